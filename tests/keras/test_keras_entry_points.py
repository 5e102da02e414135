"""The conformance suite's Keras entry points keep every layout they are given.

``xk.sample`` (what the suite's Keras sampler in :mod:`xavier_conformance.backends` calls),
``xk.from_spec(spec, layout)`` under it, and the same initializer after a
``get_config``/``from_config`` round trip (as a saved model reloads it), with the layouts of
:data:`xavier_conformance.cases.LAYOUT_FANS` in channels-last order (a stacked dense weight, a
stacked conv, a grouped conv, a strided transposed conv under He), judged against fans written
out as numbers: an entry point that drops or misreads its layout fails the variance and KS
checks (false-alarm rate 1e-6 each). Runs under each Keras backend.
"""

from __future__ import annotations

import pytest
from keras_helpers import BACKEND, assert_matches

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_conformance import backends, cases

CASES = cases.layout_cases(xc.CHANNELS_LAST)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_suite_sampler_keeps_the_layout(case: cases.Case) -> None:
    sampler = backends.load_sampler(backends.get_backend(f"keras-{BACKEND}"))
    sample = sampler(case.spec, case.shape, case.layout, case.dtype, case.seed(), "cpu")
    assert sample.shape == case.shape, f"got shape {sample.shape}, but should be {case.shape}"
    assert_matches(sample, cases.written_distribution(case),
                   f"suite sampler, {case.id}, {case.shape}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_initializer_keeps_the_layout_through_its_config(case: cases.Case) -> None:
    initializer = xk.from_spec(case.spec, case.layout, seed=case.seed(1))
    reloaded = type(initializer).from_config(initializer.get_config())
    assert_matches(reloaded(case.shape, "float32"), cases.written_distribution(case),
                   f"from_config(from_spec(...).get_config()), {case.id}, {case.shape}")
