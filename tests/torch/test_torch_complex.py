"""Complex torch weights: every initializer draws xavier_core.complex_law natively, in place;
torch's own xavier_uniform_ on a complex tensor gives twice the variance (the suite says so)."""

from __future__ import annotations

import math

import pytest
import torch

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_conformance import stats

SHAPE = (256, 384)
DTYPES = {"complex64": torch.complex64, "complex128": torch.complex128}
FILLS = {
    "xavier_uniform_": (lambda w, g: xt.xavier_uniform_(w, generator=g), xc.glorot_uniform()),
    "xavier_normal_": (lambda w, g: xt.xavier_normal_(w, generator=g), xc.glorot_normal()),
    "xavier_trunc_normal_": (lambda w, g: xt.xavier_trunc_normal_(w, generator=g),
                             xc.glorot_truncated_normal()),
    "kaiming_uniform_": (lambda w, g: xt.kaiming_uniform_(w, nonlinearity="relu", generator=g),
                         xc.he("uniform")),
    "kaiming_normal_": (lambda w, g: xt.kaiming_normal_(w, nonlinearity="relu", generator=g),
                        xc.he("normal")),
}


def check(tensor: torch.Tensor, spec: xc.VarianceScaling) -> list[stats.CheckResult]:
    law = spec.resolve(tuple(tensor.shape), xc.TORCH).distribution
    return stats.check_complex_sample(tensor.numpy(), law)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FILLS)
def test_complex_draw_passes_every_check(name: str, dtype: str) -> None:
    fill, spec = FILLS[name]
    tensor = torch.empty(SHAPE, dtype=DTYPES[dtype])
    assert fill(tensor, torch.Generator().manual_seed(4)) is tensor
    failed = [r.describe() for r in check(tensor, spec) if not r.passed]
    assert not failed, f"{name}, {dtype}: {failed}"


@pytest.mark.parametrize("name", ["xavier_uniform_"])  # torch's normal_ halves each part: right
def test_torchs_own_complex_draw_is_twice_the_variance(name: str) -> None:
    tensor = getattr(torch.nn.init, name)(torch.empty(SHAPE, dtype=torch.complex64),
                                          generator=torch.Generator().manual_seed(4))
    abs2 = next(r for r in check(tensor, FILLS[name][1]) if r.name == "abs2")
    assert not abs2.passed and math.isclose(abs2.statistic / abs2.expected, 2.0, rel_tol=0.02)


def test_same_seed_same_values_and_in_place_on_a_parameter() -> None:
    weight = torch.nn.Parameter(torch.empty(8, 6, dtype=torch.complex64))
    xt.xavier_normal_(weight, generator=torch.Generator().manual_seed(0))
    again = xt.xavier_normal_(torch.empty(8, 6, dtype=torch.complex64),
                              generator=torch.Generator().manual_seed(0))
    assert weight.requires_grad and torch.equal(weight.detach(), again)


def test_meta_complex_is_a_no_op() -> None:
    tensor = torch.empty(4, 4, dtype=torch.complex64, device="meta")
    assert xt.xavier_uniform_(tensor) is tensor


def test_sample_gives_complex() -> None:
    weight = xt.sample(xc.glorot_uniform(), (64, 32), xc.TORCH, "complex128", seed=0)
    assert weight.dtype == torch.complex128
