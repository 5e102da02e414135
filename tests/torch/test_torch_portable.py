"""Portable mode in torch: ``generator=PortableKey`` gives the numpy reference's values bit for
bit (the case matrix: dense, conv, transposed, grouped, packed, sharded 1/2/4/8; float32, float64,
float16/bfloat16 through float32; uniform, normal, truncated normal), in the bare initializers,
``fill_`` and ``init_model`` (model-level keys)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_core import portable as xp

KEY = xc.PortableKey(2024)
LAWS = {"uniform": xc.Uniform(0.2), "normal": xc.Normal(0.1),
        "truncated_normal": xc.TruncatedNormal(0.1)}
BITS = {torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float32: torch.int32,
        torch.float64: torch.int64}
CASES = {
    "dense": ((64, 16), xc.TORCH),
    "conv": ((8, 4, 3, 3), xc.TORCH),
    "transposed": ((4, 8, 3, 3), xc.TORCH_TRANSPOSED),
    "grouped": ((16, 2, 3, 3), xc.TORCH.with_(groups=4)),
    "packed": ((96, 32), xc.TORCH.with_(blocks=3)),
}


def reference(law: xc.Distribution, shape: tuple[int, ...], layout: xc.Layout,
              dtype: torch.dtype, key: xc.PortableKey = KEY, **shard: object) -> torch.Tensor:
    work = "float64" if dtype == torch.float64 else "float32"
    return torch.from_numpy(xp.sample(key, law, shape, layout, work, **shard)).to(dtype)  # type: ignore[arg-type]


def assert_same_bits(got: torch.Tensor, expected: torch.Tensor, context: str) -> None:
    bits = BITS[got.dtype]
    differ = int((got.view(bits) != expected.view(bits)).sum())
    assert differ == 0, f"got {differ} of {got.numel()} values differing from the numpy " \
        f"reference, but should be 0 [{context}]"


@pytest.mark.parametrize("dtype", list(BITS), ids=[str(d).removeprefix("torch.") for d in BITS])
@pytest.mark.parametrize("law", list(LAWS))
@pytest.mark.parametrize("case", list(CASES))
def test_fill_equals_numpy_reference(case: str, law: str, dtype: torch.dtype) -> None:
    shape, layout = CASES[case]
    tensor = torch.empty(shape, dtype=dtype)
    xt.fill_(tensor, LAWS[law], KEY, layout=layout)
    assert_same_bits(tensor, reference(LAWS[law], shape, layout, dtype), f"{case}-{law}-{dtype}")


@pytest.mark.parametrize("count", [1, 2, 4, 8])
@pytest.mark.parametrize("law", list(LAWS))
def test_a_shard_is_its_slice_of_the_full_draw(law: str, count: int) -> None:
    shape, layout = (64, 24), xc.TORCH
    full = reference(LAWS[law], shape, layout, torch.float32)
    for at in range(count):
        indices = xp.shard_indices(shape, (count, 1), (at, 0))
        local = torch.empty(len(indices[0]), 24)
        xt.portable_fill_(local, LAWS[law], KEY, layout, global_shape=shape, indices=indices)
        assert_same_bits(local, full[at * 64 // count:(at + 1) * 64 // count],
                         f"shard {at} of {count}")


@pytest.mark.parametrize("initializer", ["xavier_uniform_", "xavier_normal_",
                                         "xavier_trunc_normal_"])
def test_bare_initializers_take_a_portable_key(initializer: str) -> None:
    spec = {"xavier_uniform_": xc.glorot_uniform(), "xavier_normal_": xc.glorot_normal(),
            "xavier_trunc_normal_": xc.glorot_truncated_normal()}[initializer]
    tensor = getattr(xt, initializer)(torch.empty(32, 8, 3, 3), generator=KEY)
    law = spec.resolve((32, 8, 3, 3), xc.TORCH).distribution
    assert_same_bits(tensor, reference(law, (32, 8, 3, 3), xc.TORCH, torch.float32), initializer)


def test_same_key_same_values_other_key_other_values() -> None:
    first = xt.xavier_uniform_(torch.empty(16, 16), generator=KEY)
    assert torch.equal(first, xt.xavier_uniform_(torch.empty(16, 16), generator=KEY))
    assert not torch.equal(first, xt.xavier_uniform_(torch.empty(16, 16),
                                                     generator=KEY.fold_in(1)))


def test_torch_linear_is_the_transpose_of_the_channels_last_kernel() -> None:
    torch_w = xt.xavier_uniform_(torch.empty(10, 64), generator=KEY)
    kernel = xp.sample(KEY, xc.glorot_uniform().resolve((64, 10)).distribution, (64, 10))
    np.testing.assert_array_equal(torch_w.numpy().T, kernel)


def test_init_model_keys_are_layer_and_role() -> None:
    model = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.LSTM(8, 4), nn.Linear(4, 3))
    report = xt.init_model(model, generator=KEY)
    expected = {"0.weight": (0, 0), "2.weight_ih_l0": (1, 0), "2.weight_hh_l0": (1, 1),
                "3.weight": (2, 0)}
    params = dict(model.named_parameters())
    for name, (layer, role) in expected.items():
        record = report[name]
        law = record.distribution
        layout = xc.TORCH.with_(blocks=4) if "_l0" in name else xc.TORCH
        want = reference(law, tuple(params[name].shape), layout, torch.float32,  # type: ignore[arg-type]
                         key=KEY.for_tensor(layer, role))
        assert_same_bits(params[name].detach(), want, name)
    assert torch.count_nonzero(model[0].bias) == 0


def test_init_model_with_a_key_is_reproducible_and_skips_the_device_check() -> None:
    first, second = nn.Linear(5, 3), nn.Linear(5, 3)
    xt.init_model(first, generator=KEY)
    xt.init_model(second, generator=KEY)
    assert torch.equal(first.weight, second.weight)


def test_portable_fill_refuses_a_non_key() -> None:
    with pytest.raises(xc.XavierError, match=r"key must be a xavier_core\.PortableKey, got key=3"):
        xt.portable_fill_(torch.empty(2, 2), LAWS["uniform"], 3)  # type: ignore[arg-type]
