"""The statistics a sample is judged by, each against the spec's exact numbers.

Every check is two-sided with the same false-alarm rate :data:`ALPHA` = 1e-6 when the sampler
is right. A full run checks six backends x ~85 cases x 3-5 statistics, about 2,500 checks, so the
chance that a correct run raises any false alarm is about 2,500 x 1e-6 = 0.25 % (Bonferroni); the
seeds are fixed, so a given run is deterministic. At this rate the checks still catch every
mutant of :mod:`xavier_conformance.mutants` (variance off by 5 %, bound off by 3 %, ...), each by
the checks it names, with p-values below 1e-9 on the suite's sample sizes.

- bounds: every |w| <= the bound rounded to the sample's dtype (no false alarms); reach: the
  largest |w| is as close to the bound as a sample of this size must be (bounded laws only);
- mean: |mean(w)| <= z * sqrt(Var[w] / n);
- variance: |mean(w^2) - Var[w]| <= z * sqrt((E[w^4] - Var[w]^2) / n), the exact sampling error
  of the second moment (the mean is known to be 0);
- Kolmogorov-Smirnov: D = sup |F_n - G| against G, the exact CDF of the spec's distribution after
  rounding to the sample's dtype (a float16 or bfloat16 weight takes only representable values,
  and G accounts for that); the p-value is ``scipy.stats.kstwo``'s, which is exact for a
  continuous G and conservative for a discrete one.

z = 4.8916 is the two-sided standard normal quantile for ALPHA. The mean and variance p-values
rest on the central limit theorem (n >= 2,000 in every case); the KS p-value is exact.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc

ALPHA = 1e-6
"""False-alarm rate of every check on a correct sampler."""
Z_CRITICAL = 4.891638475698591
"""Two-sided standard normal quantile for ALPHA: P(|Z| > Z_CRITICAL) = 1e-6."""
CHECKS = ("bounds", "reach", "mean", "variance", "ks")
"""The names of :func:`check_sample`'s checks of a bounded law, in order."""


@dataclass(frozen=True)
class CheckResult:
    """One check of one sample: what was measured, what the spec says, and the verdict."""

    name: str
    statistic: float
    expected: float
    tolerance: float
    p_value: float
    passed: bool

    def describe(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return (f"{self.name}: got {self.statistic:.6g}, but should be {self.expected:.6g} "
                f"+- {self.tolerance:.3g} (p={self.p_value:.3g}) [{verdict}]")


def _as_float64(sample: NDArray) -> NDArray[np.float64]:
    return np.asarray(sample).astype(np.float64).ravel()


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def check_mean(sample: NDArray, distribution: xc.Distribution) -> CheckResult:
    """The sample mean against 0, within z standard errors."""
    values = _as_float64(sample)
    error = math.sqrt(distribution.variance / values.size)
    mean = float(values.mean())
    return CheckResult("mean", mean, 0.0, Z_CRITICAL * error,
                       _two_sided_p(mean / error) if error else float(mean == 0),
                       abs(mean) <= Z_CRITICAL * error)


def check_variance(sample: NDArray, distribution: xc.Distribution) -> CheckResult:
    """mean(w^2) against the spec variance, within z exact standard errors."""
    values = _as_float64(sample)
    target = distribution.variance
    error = math.sqrt((distribution.fourth_moment - target**2) / values.size)
    second = float(np.mean(values * values))
    p_value = _two_sided_p((second - target) / error) if error else float(second == target)
    return CheckResult("variance", second, target, Z_CRITICAL * error, p_value,
                       abs(second - target) <= Z_CRITICAL * error)


def check_bounds(sample: NDArray, distribution: xc.Distribution) -> CheckResult:
    """Every |w| <= the bound rounded to the sample's dtype (rounding is monotone)."""
    largest = float(np.max(np.abs(_as_float64(sample))))
    dtype = np.asarray(sample).dtype
    bound = float(np.asarray(distribution.bound, dtype=np.float64).astype(dtype))
    return CheckResult("bounds", largest, bound, 0.0, float(largest <= bound), largest <= bound)


def reach_threshold(distribution: xc.Distribution, n: int) -> float:
    """x with P(max of n |w| < x) = ALPHA: a correct sampler's largest |w| passes it but for
    a false-alarm rate of ALPHA. Found by bisection on the spec's CDF."""
    tail = -math.expm1(math.log(ALPHA) / n)  # P(|w| > x) such that (1 - tail)^n = ALPHA
    low, high = 0.0, distribution.bound
    for _ in range(200):
        middle = (low + high) / 2
        beyond = 2.0 * float(distribution.cdf(-middle))  # symmetric: P(|w| > middle)
        low, high = (middle, high) if beyond > tail else (low, middle)
    return low


def check_reach(sample: NDArray, distribution: xc.Distribution) -> CheckResult:
    """The largest |w| comes near the bound, as a sample of this size must (bounded laws).

    p = P(max of n |w| < m) = (1 - P(|w| > m))^n, with m the largest value that rounds to the
    observed maximum in the sample's dtype; passes when p >= ALPHA.
    """
    values = np.asarray(sample)
    magnitudes = np.abs(values.ravel())
    largest = magnitudes.max(keepdims=True)
    _, upper = _neighbours(largest)
    beyond = min(1.0, 2.0 * float(distribution.cdf(-upper[0])))  # P(|w| > m), symmetric law
    p_value = math.exp(values.size * math.log1p(-beyond)) if beyond < 1.0 else 0.0
    tolerance = distribution.bound - reach_threshold(distribution, values.size)
    return CheckResult("reach", float(largest[0]), distribution.bound, tolerance, p_value,
                       p_value >= ALPHA)


def _neighbours(values: NDArray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The midpoints between each value and its next lower / next higher representable value."""
    below = np.nextafter(values, np.array(-np.inf, dtype=values.dtype))
    above = np.nextafter(values, np.array(np.inf, dtype=values.dtype))
    exact = values.astype(np.float64)
    return (exact + below.astype(np.float64)) / 2.0, (exact + above.astype(np.float64)) / 2.0


def ks_statistic(sample: NDArray, distribution: xc.Distribution) -> float:
    """D = sup_x |F_n(x) - G(x)|, G the spec CDF rounded to the sample's dtype."""
    values = np.sort(np.asarray(sample).ravel())
    distinct, counts = np.unique(values, return_counts=True)
    n = values.size
    ecdf_at = np.cumsum(counts) / n
    ecdf_before = ecdf_at - counts / n
    low, high = _neighbours(distinct)
    d_plus = np.max(ecdf_at - distribution.cdf(high))
    d_minus = np.max(distribution.cdf(low) - ecdf_before)
    return float(max(d_plus, d_minus, 0.0))


def check_ks(sample: NDArray, distribution: xc.Distribution) -> CheckResult:
    """Kolmogorov-Smirnov against the spec's exact CDF; passes when p >= ALPHA."""
    from scipy import stats

    n = np.asarray(sample).size
    statistic = ks_statistic(sample, distribution)
    p_value = float(stats.kstwo.sf(statistic, n))
    critical = float(stats.kstwo.isf(ALPHA, n))
    return CheckResult("ks", statistic, 0.0, critical, p_value, p_value >= ALPHA)


def check_sample(sample: NDArray, distribution: xc.Distribution) -> list[CheckResult]:
    """Bounds and reach (bounded laws), mean, variance and Kolmogorov-Smirnov of one sample."""
    checks = [check_mean, check_variance, check_ks]
    if math.isfinite(distribution.bound):
        checks[:0] = [check_bounds, check_reach]
    return [check(sample, distribution) for check in checks]


COMPLEX_CHECKS = ("abs2", "correlation")
"""The checks of a complex sample besides those of its parts (named ``real.bounds``, ...)."""


def check_abs2(sample: NDArray, law: xc.ComplexLaw) -> CheckResult:
    """mean(|w|^2) against E|w|^2 (the target variance), within z exact standard errors
    sqrt((E|w|^4 - E|w|^2^2) / n)."""
    values = np.asarray(sample).astype(np.complex128).ravel()
    target = law.variance
    error = math.sqrt((law.fourth_moment - target**2) / values.size)
    second = float(np.mean(values.real**2 + values.imag**2))
    p_value = _two_sided_p((second - target) / error) if error else float(second == target)
    return CheckResult("abs2", second, target, Z_CRITICAL * error, p_value,
                       abs(second - target) <= Z_CRITICAL * error)


def check_correlation(sample: NDArray, law: xc.ComplexLaw) -> CheckResult:
    """mean(re * im) against 0 (independent parts), within z * Var[x] / sqrt(n)."""
    values = np.asarray(sample).astype(np.complex128).ravel()
    error = law.part.variance / math.sqrt(values.size)
    mean = float(np.mean(values.real * values.imag))
    p_value = _two_sided_p(mean / error) if error else float(mean == 0)
    return CheckResult("correlation", mean, 0.0, Z_CRITICAL * error, p_value,
                       abs(mean) <= Z_CRITICAL * error)


def check_complex_sample(sample: NDArray, distribution: xc.Distribution) -> list[CheckResult]:
    """A complex sample against ``xc.complex_law(distribution)``: the real parts and the
    imaginary parts each by :func:`check_sample` against the part law (``real.ks``, ...), then
    E|w|^2 (``abs2``) and the parts' correlation.

    Example:
      >>> rng = np.random.default_rng(0)
      >>> w = (rng.normal(size=20000) + 1j * rng.normal(size=20000)) / np.sqrt(2)
      >>> all(r.passed for r in check_complex_sample(w, xc.Normal(std=1.0)))
      True
    """
    law = xc.complex_law(distribution)
    values = np.asarray(sample)
    part_dtype = xc.part_dtype(values.dtype.name)
    results = []
    for part_name, part in (("real", values.real), ("imag", values.imag)):
        results += [dataclasses.replace(r, name=f"{part_name}.{r.name}")
                    for r in check_sample(part.astype(part_dtype, copy=False), law.part)]
    return [*results, check_abs2(values, law), check_correlation(values, law)]


def detectable_scale_error(distribution: xc.Distribution, n: int) -> float:
    """The smallest relative error in a law's scale (its std, and its bound with it) that the
    checks catch on n values, either way: the larger of the too-wide and too-narrow figures.

    Variance check: a scale off by e moves mean(w^2) by (1 + e)^2 - 1; it is flagged (with
    probability >= 1/2) once that reaches t = z sqrt((E[w^4] - Var^2) / n) / Var, so
    e = sqrt(1 + t) - 1 too wide and 1 - sqrt(1 - t) too narrow. A bounded law has two more:
    too wide, some |w| passes the bound with probability >= 1/2 (bisection on the CDF); too
    narrow, the largest |w| cannot reach :func:`reach_threshold`, so reach fails surely at
    e = 1 - threshold / bound. Each side takes its more sensitive check.

    Example:
      >>> round(detectable_scale_error(xc.Uniform(bound=1.0), 4096), 4)
      0.0034
      >>> round(detectable_scale_error(xc.Normal(std=1.0), 4096), 4)
      0.0556
    """
    t = Z_CRITICAL * math.sqrt((distribution.fourth_moment - distribution.variance**2) / n) \
        / distribution.variance
    wide = math.sqrt(1.0 + t) - 1.0
    narrow = 1.0 - math.sqrt(1.0 - t) if t < 1.0 else 1.0
    if math.isfinite(distribution.bound):
        narrow = min(narrow, 1.0 - reach_threshold(distribution, n) / distribution.bound)
        low, high = 0.0, wide  # P(every |w| <= bound) = (1 - 2 G(-bound / (1 + e)))^n
        for _ in range(60):
            middle = (low + high) / 2
            beyond = 2.0 * float(distribution.cdf(-distribution.bound / (1.0 + middle)))
            inside = math.exp(n * math.log1p(-beyond)) if beyond < 1.0 else 0.0
            low, high = (middle, high) if inside > 0.5 else (low, middle)
        wide = high
    return max(wide, narrow)


def standardized(sample: NDArray, distribution: xc.Distribution
                 ) -> tuple[NDArray[np.float64], xc.Distribution]:
    """``sample`` divided by its law's scale, and the law it then follows (bound 1 for a
    bounded law, std 1 otherwise): samples of one family drawn at different scales pool into
    one sample of that law. A bounded law is divided by its bound rounded to the sample's
    dtype, so the pooled values keep |w| <= 1 exactly.

    Example:
      >>> values, unit = standardized(np.array([0.5, -0.25]), xc.Uniform(bound=0.5))
      >>> values.tolist(), unit
      ([1.0, -0.5], Uniform(bound=1.0))
    """
    values = np.asarray(sample)
    if isinstance(distribution, xc.Uniform):
        scale, unit = distribution.bound, xc.Uniform(bound=1.0)
    elif math.isfinite(distribution.bound):  # truncated normal: std / bound = factor / (2 cut)
        scale = distribution.bound
        unit = dataclasses.replace(distribution, std=distribution.std / distribution.bound)
    else:
        scale, unit = distribution.std, dataclasses.replace(distribution, std=1.0)
    if math.isfinite(distribution.bound):
        scale = float(np.asarray(scale, dtype=np.float64).astype(values.dtype))
    return values.astype(np.float64) / scale, unit
