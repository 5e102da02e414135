"""The conformance suite's JAX entry points keep every layout they are given.

``xj.sample`` (what the suite's jax sampler in :mod:`xavier_conformance.backends` calls) and
``xj.Initializer(spec, layout)`` under it, eagerly and under ``jax.jit``, with the layouts of
:data:`xavier_conformance.cases.LAYOUT_FANS` in channels-last order (a stacked dense weight, a
stacked conv as a scanned layer stores it, a grouped conv, a strided transposed conv under He),
judged against fans written out as numbers: an entry point that drops or misreads its layout
fails the variance and KS checks (false-alarm rate 1e-6 each).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance import backends, cases, stats

CASES = cases.layout_cases(xc.CHANNELS_LAST)


def _assert_written_fans(sample: np.ndarray, case: cases.Case, where: str) -> None:
    assert sample.shape == case.shape, f"got shape {sample.shape}, but should be {case.shape}"
    for result in stats.check_sample(sample, cases.written_distribution(case)):
        assert result.passed, f"{result.describe()} [jax {where}, {case.id}, {case.shape}]"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_suite_sampler_keeps_the_layout(case: cases.Case) -> None:
    sampler = backends.load_sampler(backends.get_backend("jax"))
    sample = sampler(case.spec, case.shape, case.layout, case.dtype, case.seed(), "cpu")
    _assert_written_fans(sample, case, "suite sampler")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jitted_initializer_keeps_the_layout(case: cases.Case) -> None:
    init = jax.jit(xj.Initializer(case.spec, case.layout), static_argnums=(1, 2))
    sample = np.asarray(init(jax.random.key(case.seed(1)), case.shape, "float32"))
    _assert_written_fans(sample, case, "jit(Initializer)")
