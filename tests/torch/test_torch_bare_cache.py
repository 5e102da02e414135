"""The bare torch calls' cached distributions give the same values as the uncached path (#18)."""

from __future__ import annotations

import pytest
import torch

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_adapters.torch import sampling

CASES = [("xavier_uniform_", xc.glorot_uniform), ("xavier_normal_", xc.glorot_normal),
         ("xavier_trunc_normal_", xc.glorot_truncated_normal)]


@pytest.mark.parametrize("name,factory", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("shape", [(16, 16), (64, 16, 3, 3)], ids=["16x16", "conv"])
@pytest.mark.parametrize("gain", [1.0, 2, 0.5], ids=["g1.0", "g2", "g0.5"])
def test_cached_call_equals_uncached(name, factory, shape, gain) -> None:
    sampling._RESOLVED.clear()
    for _ in range(2):  # the first call fills the cache, the second reads it
        ours = getattr(xt, name)(torch.empty(shape), gain, torch.Generator().manual_seed(3))
        plain = sampling.variance_scaling_(torch.empty(shape), factory(gain),
                                           torch.Generator().manual_seed(3))
        assert torch.equal(ours, plain), f"cached {name} differs from uncached [shape={shape}]"


def test_requires_grad_parameter_is_filled_without_a_graph() -> None:
    weight = torch.nn.Parameter(torch.empty(8, 8))
    xt.xavier_uniform_(weight, generator=torch.Generator().manual_seed(0))
    assert weight.grad_fn is None and weight.requires_grad
    plain = torch.empty(8, 8)
    xt.xavier_uniform_(plain, generator=torch.Generator().manual_seed(0))
    assert torch.equal(weight.detach(), plain)


@pytest.mark.parametrize("gain", [-1.0, float("nan"), True], ids=["neg", "nan", "bool"])
def test_bad_gain_raises_after_a_cached_call(gain) -> None:
    xt.xavier_uniform_(torch.empty(4, 4))
    with pytest.raises((xc.XavierError, TypeError)):
        xt.xavier_uniform_(torch.empty(4, 4), gain)
