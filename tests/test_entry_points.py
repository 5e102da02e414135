"""The conformance suite's numpy entry point keeps every layout it is given.

The suite calls one sampler per backend, ``sample(spec, shape, layout, dtype, seed, device)``
(:mod:`xavier_conformance.backends`); this file checks numpy's with the layouts of
:data:`xavier_conformance.cases.LAYOUT_FANS` (a stacked dense weight, a stacked conv, a grouped
conv, a strided transposed conv under He), judged against fans written out as numbers, so a
sampler that drops or misreads its layout fails the variance and KS checks. The torch, JAX and
Keras entry points have the same test in their groups (``tests/*/test_*_entry_points.py``).
"""

from __future__ import annotations

import pytest

import xavier_core as xc
from xavier_conformance import backends, cases, stats

NATIVE = {"torch-order": xc.TORCH, "channels-last": xc.CHANNELS_LAST}


@pytest.mark.parametrize("order", NATIVE)
def test_layout_weights_have_the_written_fans(order: str) -> None:
    # The numbers the entry-point tests judge by agree with the spec's fans in both orders.
    for case in cases.layout_cases(NATIVE[order]):
        got = case.layout.fans(case.shape)
        assert (got.fan_in, got.fan_out) == cases.LAYOUT_FANS[case.weight], (
            f"got {got}, but should be {cases.LAYOUT_FANS[case.weight]} [{case.id}, {case.shape}]")


def test_every_layout_weight_is_in_the_matrix() -> None:
    for native in NATIVE.values():
        weights = {case.weight for case in cases.cases_for(native, ("float32",))}
        assert weights >= set(cases.LAYOUT_FANS), sorted(set(cases.LAYOUT_FANS) - weights)


@pytest.mark.parametrize("case", cases.layout_cases(xc.CHANNELS_LAST), ids=lambda c: c.id)
def test_numpy_entry_point_keeps_the_layout(case: cases.Case) -> None:
    sampler = backends.load_sampler(backends.get_backend("numpy"))
    sample = sampler(case.spec, case.shape, case.layout, case.dtype, case.seed(), "cpu")
    assert sample.shape == case.shape, f"got shape {sample.shape}, but should be {case.shape}"
    for result in stats.check_sample(sample, cases.written_distribution(case)):
        assert result.passed, f"{result.describe()} [numpy, {case.id}, {case.shape}]"

