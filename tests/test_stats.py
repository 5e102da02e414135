"""The conformance statistics agree with scipy and have teeth."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

import xavier_core as xc
from xavier_adapters import numpy as xnp
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


DTYPES = ["float64", "float32", "float16", "bfloat16"]


def _dtype(name: str) -> np.dtype:
    return np.dtype(xnp.numpy_dtype(name))


def _bound_rounding_up(dtype: np.dtype) -> tuple[float, np.ndarray]:
    """A bound a just below a value r of ``dtype``, so that a rounds up to r, and r itself."""
    r = np.array([0.05], dtype=dtype)
    a = float(r[0]) if dtype == np.float64 else float(r[0]) * (1 - 1e-9)
    assert np.array([a]).astype(dtype)[0] == r[0]
    return a, r


@pytest.mark.parametrize("dtype_name", DTYPES)
def test_bounds_check_fails_on_one_value_just_past_the_bound(dtype_name: str) -> None:
    # A check allowing any slack (1 % past the bound, or the bound not rounded to the dtype)
    # fails one of these two: the largest representable value at the bound passes, the next
    # one up, alone among 100,000 correct values, fails.
    dtype = _dtype(dtype_name)
    a, at_bound = _bound_rounding_up(dtype)
    sample = np.random.default_rng(4).uniform(-a, a, 100_000).astype(dtype)
    sample[17] = at_bound[0]
    result = stats.check_bounds(sample, xc.Uniform(a))
    assert result.passed, f"got {result.describe()}, but the bound itself should pass"
    sample[17] = np.nextafter(at_bound, np.array([np.inf], dtype=dtype))[0]
    result = stats.check_bounds(sample, xc.Uniform(a))
    assert not result.passed, (f"got {result.describe()}, but one value one step past the bound "
                               f"should fail [{dtype_name}]")


@pytest.mark.parametrize(
    "dist", [xc.Uniform(0.05), xc.TruncatedNormal(0.05)], ids=["uniform", "truncated_normal"])
def test_reach_check_fails_on_a_law_3pct_short(dist: xc.Distribution) -> None:
    # Every value inside the bound, so the bounds check cannot see it; 100,000 values of the
    # right law come within 3 % of the bound, whatever the seed (p < 1e-20 for the uniform).
    rng = np.random.default_rng(5)
    right = stats.check_reach(xnp.sample(dist, (100_000,), rng=rng), dist)
    assert right.passed, f"got {right.describe()}, but the right law should reach its bound"
    short = xnp.sample(dist, (100_000,), rng=rng) * np.float32(0.97)
    assert stats.check_bounds(short, dist).passed
    result = stats.check_reach(short, dist)
    assert not result.passed, f"got {result.describe()}, but a 3 %-short law should fail reach"


def test_check_sample_runs_every_named_check_on_a_bounded_law() -> None:
    sample = np.random.default_rng(6).uniform(-0.05, 0.05, 10_000)
    names = tuple(r.name for r in stats.check_sample(sample, xc.Uniform(0.05)))
    assert names == stats.CHECKS, f"got {names}, but should be {stats.CHECKS}"


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
