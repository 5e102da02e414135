"""The conformance suite's torch entry points keep every layout they are given.

``xt.sample`` (what the suite's torch sampler in :mod:`xavier_conformance.backends` calls) and
``xt.variance_scaling_(..., layout=)`` under it, with the layouts of
:data:`xavier_conformance.cases.LAYOUT_FANS` in torch's storage order (a stacked dense weight, a
stacked conv, a grouped conv, a strided transposed conv under He), judged against fans written
out as numbers: an entry point that drops or misreads its layout fails the variance and KS
checks (false-alarm rate 1e-6 each).
"""

from __future__ import annotations

import pytest
import torch
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_conformance import backends, cases

CASES = cases.layout_cases(xc.TORCH)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_suite_sampler_keeps_the_layout(case: cases.Case) -> None:
    sampler = backends.load_sampler(backends.get_backend("torch"))
    sample = sampler(case.spec, case.shape, case.layout, case.dtype, case.seed(), "cpu")
    assert sample.shape == case.shape, f"got shape {sample.shape}, but should be {case.shape}"
    assert_matches(torch.from_numpy(sample), cases.written_distribution(case),
                   f"suite sampler, {case.id}, {case.shape}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_in_place_init_keeps_the_layout(case: cases.Case) -> None:
    tensor = torch.empty(case.shape)
    generator = torch.Generator().manual_seed(case.seed(1))
    xt.variance_scaling_(tensor, case.spec, generator, layout=case.layout)
    assert_matches(tensor, cases.written_distribution(case),
                   f"variance_scaling_, {case.id}, {case.shape}")
