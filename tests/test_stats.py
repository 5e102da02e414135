"""The conformance statistics agree with scipy and have teeth."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

import xavier_core as xc
from xavier_conformance import stats


@pytest.mark.parametrize(
    "dist", [xc.Uniform(0.1), xc.Normal(0.05), xc.TruncatedNormal(0.05)],
    ids=["uniform", "normal", "truncated_normal"],
)
def test_ks_statistic_equals_scipy_on_continuous_data(dist: xc.Distribution) -> None:
    rng = np.random.default_rng(0)
    sample = rng.uniform(-0.1, 0.1, 5000)  # deliberately not from dist: D is large
    ours = stats.ks_statistic(sample, dist)
    theirs = scipy_stats.kstest(sample, dist.cdf).statistic
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_low_precision_ks_accounts_for_rounding() -> None:
    # A bfloat16 cast of a correct sample passes against the rounded CDF, although D against
    # the continuous CDF alone is inflated by the rounding steps (1/256 relative) and fails.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dist = xc.Uniform(0.05)
    sample = np.random.default_rng(1).uniform(-0.05, 0.05, 4_000_000).astype(ml_dtypes.bfloat16)
    assert stats.check_ks(sample, dist).passed
    naive = scipy_stats.kstest(sample.astype(np.float64), dist.cdf)
    assert naive.pvalue < stats.ALPHA


@pytest.mark.parametrize(
    ("wrong", "check"),
    [(1.05, stats.check_variance), (1.03, stats.check_ks)],
    ids=["variance-5pct", "scale-3pct"],
)
def test_checks_catch_small_errors(wrong: float, check: object) -> None:
    dist = xc.Normal(0.05)
    sample = np.random.default_rng(2).normal(0.0, 0.05 * np.sqrt(wrong), 1_000_000)
    assert not check(sample, dist).passed  # type: ignore[operator]


def test_mean_check_catches_a_shift() -> None:
    dist = xc.Uniform(0.1)
    sample = np.random.default_rng(3).uniform(-0.1, 0.1, 100_000) + 0.01 * dist.std
    assert not stats.check_mean(sample + 0.1 * dist.std, dist).passed


def test_z_critical_is_the_quantile_of_alpha() -> None:
    expected = scipy_stats.norm.isf(stats.ALPHA / 2)
    got = stats.Z_CRITICAL
    assert abs(got - expected) < 1e-12, f"got {got}, but should be {expected}"


def test_every_stated_false_alarm_rate_is_the_checks_alpha() -> None:
    # Docstrings and the README quote the rate; a stale number misstates what a pass means.
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *(root / "tests").rglob("*.py"),
             *(root / "conformance").rglob("*.py")]
    pattern = re.compile(r"false-alarm\s+rate\s+(?::data:`ALPHA`\s*=\s*)?([0-9][0-9.e+-]*)")
    stated = {f"{path.relative_to(root)}: {match.group(0)}": float(match.group(1).rstrip(".-"))
              for path in files for match in pattern.finditer(path.read_text(encoding="utf-8"))}
    wrong = {where: rate for where, rate in stated.items() if rate != stats.ALPHA}
    assert stated, "got no stated false-alarm rate, but should find the README's"
    assert not wrong, f"got {wrong}, but every stated rate should be {stats.ALPHA}"
