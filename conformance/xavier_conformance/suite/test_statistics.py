"""Every case of the matrix: the backend's draw passes bounds, reach, mean, variance and KS;
a complex draw, those on its real and its imaginary parts, E|w|^2 and the parts' correlation."""

from __future__ import annotations

import numpy as np

import xavier_core as xc
from xavier_conformance import backends, cases, stats


def test_draw_matches_spec(case: cases.Case, sampler: backends.Sampler, device: str,
                           base_seed: int, record) -> None:  # type: ignore[no-untyped-def]
    sample = sampler(case.spec, case.shape, case.layout, case.dtype, case.seed(base_seed), device)
    assert sample.shape == case.shape, f"got shape {sample.shape}, but should be {case.shape}"
    assert sample.dtype.name == case.dtype, f"got {sample.dtype.name}, but should be {case.dtype}"
    assert np.isfinite(sample).all(), "got non-finite values"
    distribution = case.spec.resolve(case.shape, case.layout).distribution
    check = stats.check_complex_sample if xc.is_complex(case.dtype) else stats.check_sample
    results = check(sample, distribution)
    record(case.id, results)
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, f"{case.id} [{case.shape}]: " + "; ".join(failed)
