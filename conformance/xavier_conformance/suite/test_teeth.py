"""The suite has teeth and is calibrated: run once, in the numpy backend's process.

Teeth: every deliberately wrong initializer of :mod:`xavier_conformance.mutants` fails exactly
the checks it names, and each check (bounds, reach, variance, KS) is the only one to catch some
mutant (the mean is not, and ``mutants.NO_SOLE_CATCH`` says why). Calibration: the correct
numpy reference, over 200 seeds, fails no more often than the documented false-alarm rate
allows, and the p-values of its mean, variance and KS checks are uniform on [0, 1] (which is
what makes "rate ALPHA" true at every ALPHA, not only one we could count failures at).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import mutants, stats

MUTANTS = mutants.build_mutants()
CALIBRATION_SEEDS = 200
CALIBRATION_SHAPE = (96, 64)
SURPRISE = 1e-4
"""A calibration run fails only if its false alarms would have probability < 1e-4 when the
checks are exactly calibrated."""
UNIFORMITY_ALPHA = 1e-3
"""Level of the KS test that the 200 p-values of one check are uniform (9 such tests)."""


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_by_its_checks(mutant: mutants.Mutant, record) -> None:  # type: ignore[no-untyped-def]
    sample = mutant.draw(np.random.default_rng(0))
    check = stats.check_complex_sample if np.iscomplexobj(sample) else stats.check_sample
    results = check(sample, mutant.truth)
    record(f"mutant-{mutant.name}", results)
    caught = {r.name for r in results if not r.passed}
    allowed = {*mutant.caught_by, *mutant.may_also_fail}
    assert mutant.caught_by, f"mutant {mutant.name} names no check that catches it"
    assert set(mutant.caught_by) <= caught <= allowed, (
        f"mutant {mutant.name} ({mutant.bug}): got failures of {sorted(caught)}, but should be "
        f"{sorted(mutant.caught_by)} (or also {sorted(mutant.may_also_fail)}): "
        + "; ".join(r.describe() for r in results))


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("check", stats.CHECKS)
def test_each_check_alone_catches_some_mutant(check: str) -> None:
    alone = [m.name for m in MUTANTS if m.caught_by == (check,) and not m.may_also_fail]
    if check in mutants.NO_SOLE_CATCH:
        assert any(check in m.caught_by for m in MUTANTS), f"no mutant is caught by {check}"
        assert not alone, f"{check} catches {alone} alone: drop it from NO_SOLE_CATCH"
        return
    assert alone, (f"got no mutant that only {check} catches, but should be one: else {check} "
                   f"could be dropped (or say why in mutants.NO_SOLE_CATCH)")


@pytest.mark.backend("numpy")
@pytest.mark.parametrize("spec_name", ["uniform", "normal", "truncated_normal"])
def test_reference_false_alarm_rate(spec_name: str, record) -> None:  # type: ignore[no-untyped-def]
    spec = xc.glorot(spec_name)
    truth = spec.resolve(CALIBRATION_SHAPE).distribution
    runs = [stats.check_sample(xnp.initialize(spec, CALIBRATION_SHAPE, rng=seed), truth)
            for seed in range(CALIBRATION_SEEDS)]
    checks = [r for run in runs for r in run if r.name != "bounds"]  # bounds never false-alarm
    alarms = sum(not r.passed for r in checks)
    allowed = int(scipy_stats.binom.isf(SURPRISE, len(checks), stats.ALPHA))
    assert all(r.passed for run in runs for r in run if r.name == "bounds")
    assert alarms <= allowed, (f"got {alarms} false alarms in {len(checks)} checks, but should "
                               f"be <= {allowed} at rate {stats.ALPHA}")
    uniformity = []
    for check in ("mean", "variance", "ks"):
        p_values = np.array([r.p_value for run in runs for r in run if r.name == check])
        result = scipy_stats.kstest(p_values, "uniform")
        uniformity.append(stats.CheckResult(
            f"{check}-p-uniformity", float(result.statistic), 0.0, 0.0, float(result.pvalue),
            bool(result.pvalue >= UNIFORMITY_ALPHA)))
    record(f"calibration-{spec_name}", uniformity)
    skewed = [r.describe() for r in uniformity if not r.passed]
    assert not skewed, f"p-values far from uniform [{spec_name}]: {skewed}"
