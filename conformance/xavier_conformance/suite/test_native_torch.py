"""torch behaves as torch.nn.init does: in place, no autograd, seeds, meta tensors, device."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.backend("torch")


@pytest.fixture(scope="module")
def torch():  # type: ignore[no-untyped-def]
    import torch  # here, not at module level: other backends' processes collect this module

    return torch


@pytest.fixture(scope="module")
def xt():  # type: ignore[no-untyped-def]
    from xavier_adapters import torch as adapter

    return adapter


def test_in_place_without_autograd(torch, xt, device: str) -> None:  # type: ignore[no-untyped-def]
    weight = torch.nn.Parameter(torch.empty(64, 32, device=device))
    pointer = weight.data_ptr()
    out = xt.xavier_uniform_(weight)
    assert out is weight and weight.data_ptr() == pointer, "got a new tensor, should be in place"
    assert weight.grad_fn is None and weight.requires_grad, "the draw should not enter autograd"
    assert weight.device.type == torch.device(device).type


def test_bit_identical_to_torch_nn_init(torch, xt, device: str) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = torch.empty(256, 128, device=device), torch.empty(256, 128, device=device)
    seeded = [torch.Generator(device).manual_seed(5) for _ in range(2)]
    xt.xavier_uniform_(ours, gain=1.7, generator=seeded[0])
    torch.nn.init.xavier_uniform_(theirs, gain=1.7, generator=seeded[1])
    assert torch.equal(ours, theirs), "got other values than torch.nn.init.xavier_uniform_"


def test_manual_seed_reproduces(torch, xt, device: str) -> None:  # type: ignore[no-untyped-def]
    draws = []
    for _ in range(2):
        torch.manual_seed(11)
        draws.append(xt.xavier_normal_(torch.empty(32, 32, device=device)))
    assert torch.equal(*draws), "got different values for the same torch.manual_seed"


def test_meta_tensor_is_a_no_op(torch, xt) -> None:  # type: ignore[no-untyped-def]
    weight = torch.empty(64, 32, device="meta")
    assert xt.xavier_uniform_(weight) is weight
