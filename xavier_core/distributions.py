"""The three distributions of the spec, each able to state its exact moments and CDF.

All are centred at 0. ``bound`` is the largest magnitude a sample can have (``inf`` for the
untruncated normal); ``fourth_moment`` is E[w^4], which the conformance suite needs for the
sampling error of the variance: Var[sample variance] ~ (E[w^4] - variance^2) / n.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from xavier_core.errors import bad_argument

DistributionName = Literal["uniform", "normal", "truncated_normal"]
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "normal", "truncated_normal")

TRUNCATION_CUT = 2.0
"""Truncated normals are cut at +-2 standard deviations of the normal before truncation."""
TRUNCATED_STD_FACTOR = 0.87962566103423978
"""std of N(0, 1) cut at +-2, the constant Keras and JAX hard-code; :func:`truncated_std_factor`
computes it (bit for bit) for any cut."""

_erfc = np.frompyfunc(math.erfc, 1, 1)


def standard_normal_cdf(x: ArrayLike) -> NDArray[np.float64]:
    """Phi(x) = erfc(-x / sqrt 2) / 2, elementwise, in float64 (accurate in the lower tail)."""
    z = np.asarray(x, dtype=np.float64) / -math.sqrt(2.0)
    return 0.5 * np.asarray(_erfc(z), dtype=np.float64)


def standard_normal_pdf(x: float) -> float:
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _mass_within(cut: float) -> float:
    """P(|Z| <= cut) for Z ~ N(0, 1)."""
    return math.erf(cut / math.sqrt(2.0))


MIN_CUT = 1e-6
"""The smallest cut a truncated normal takes. Below it the law differs from U(-cut t, cut t) by
less than one float32 rounding (relatively, by about cut^2 / 10): ask for ``uniform``."""
_SERIES_BELOW = 1.0
"""Below this cut the truncated moments come from their power series (the closed forms lose
every digit to cancellation as the cut shrinks: at 1e-7 the std factor is 3.4 % off)."""


def _truncated_moment_series(cut: float, power: int) -> float:
    """E[Z^power] for Z ~ N(0, 1) truncated to [-cut, cut], ``power`` even, cut < 1.

    With e^(-z^2 / 2) = sum_n (-1/2)^n z^(2n) / n!, the integral of z^(2k) e^(-z^2 / 2) over
    [0, c] is I_k = sum_n (-1/2)^n c^(2k+2n+1) / (n! (2k+2n+1)), and E[Z^(2k)] = I_k / I_0.
    Every term is below the previous by at least c^2 / 2, so 30 terms are exact in float64.
    """
    def integral(k: int) -> float:
        return math.fsum((-0.5) ** n * cut ** (2 * k + 2 * n + 1)
                         / (math.factorial(n) * (2 * k + 2 * n + 1)) for n in range(30))
    return integral(power // 2) / integral(0)


def check_cut(cut: object) -> float:
    """``cut`` as a float, or a XavierError/TypeError: a truncated normal's cut is a finite
    number >= MIN_CUT."""
    allowed = f"a finite number >= {MIN_CUT:g}"
    if not isinstance(cut, numbers.Real) or isinstance(cut, bool):
        raise bad_argument("cut", cut, allowed)
    try:
        value = float(cut)
    except OverflowError:
        raise bad_argument("cut", cut, allowed) from None
    if not math.isfinite(value) or value < MIN_CUT:
        raise bad_argument("cut", cut, allowed,
                           "a narrower cut is a uniform law at float32 resolution: use "
                           "uniform" if 0 < value < MIN_CUT else "")
    return value


def truncated_std_factor(cut: float = TRUNCATION_CUT) -> float:
    """std of N(0, 1) truncated to [-cut, cut]: sqrt(1 - 2 cut phi(cut) / P(|Z| <= cut)),
    from the power series below a cut of 1 (exact to float64 for every cut >= MIN_CUT)."""
    cut = check_cut(cut)
    if cut < _SERIES_BELOW:
        return math.sqrt(_truncated_moment_series(cut, 2))
    return math.sqrt(1.0 - 2.0 * cut * standard_normal_pdf(cut) / _mass_within(cut))


def truncated_fourth_moment(cut: float = TRUNCATION_CUT) -> float:
    """E[Z^4] of N(0, 1) truncated to [-cut, cut]: 3 - (2 cut^3 + 6 cut) phi(cut) / P(|Z| <= cut),
    from the power series below a cut of 1."""
    cut = check_cut(cut)
    if cut < _SERIES_BELOW:
        return _truncated_moment_series(cut, 4)
    return 3.0 - (2.0 * cut**3 + 6.0 * cut) * standard_normal_pdf(cut) / _mass_within(cut)


def _point_mass_cdf(x: ArrayLike) -> NDArray[np.float64]:
    """The CDF of the point mass at 0, which every law here becomes at scale 0 (gain 0)."""
    return (np.asarray(x, dtype=np.float64) >= 0.0).astype(np.float64)


def _check_scale(value: float, name: str) -> float:
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond float64
        finite = False
    if not finite or value < 0:
        raise bad_argument(name, value, "a finite number >= 0")
    return float(value)


@dataclass(frozen=True)
class Uniform:
    """U(-bound, bound): variance bound^2 / 3, E[w^4] = bound^4 / 5."""

    bound: float
    name: ClassVar[str] = "uniform"
    mean: ClassVar[float] = 0.0

    def __post_init__(self) -> None:
        _check_scale(self.bound, "bound")

    @property
    def variance(self) -> float:
        return self.bound**2 / 3.0

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)

    @property
    def fourth_moment(self) -> float:
        return self.bound**4 / 5.0

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """P(w <= x)."""
        if self.bound == 0.0:
            return _point_mass_cdf(x)
        values = np.asarray(x, dtype=np.float64)
        return np.clip((values + self.bound) / (2.0 * self.bound), 0.0, 1.0)


@dataclass(frozen=True)
class Normal:
    """N(0, std^2), untruncated: unbounded, E[w^4] = 3 std^4."""

    std: float
    name: ClassVar[str] = "normal"
    mean: ClassVar[float] = 0.0
    bound: ClassVar[float] = math.inf

    def __post_init__(self) -> None:
        _check_scale(self.std, "std")

    @property
    def variance(self) -> float:
        return self.std**2

    @property
    def fourth_moment(self) -> float:
        return 3.0 * self.std**4

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """P(w <= x) = Phi(x / std)."""
        if self.std == 0.0:
            return _point_mass_cdf(x)
        return standard_normal_cdf(np.asarray(x, dtype=np.float64) / self.std)


@dataclass(frozen=True)
class TruncatedNormal:
    """N(0, t^2) cut at +-cut*t, with t chosen so that the final std is ``std``.

    With the default cut of 2, t = std / 0.87962566103423978. For a standard normal truncated to
    [-c, c] with mass m = P(|Z| <= c): E[Z^2] = 1 - 2 c phi(c) / m and
    E[Z^4] = 3 - (2 c^3 + 6 c) phi(c) / m.
    """

    std: float
    cut: float = TRUNCATION_CUT
    name: ClassVar[str] = "truncated_normal"
    mean: ClassVar[float] = 0.0

    def __post_init__(self) -> None:
        _check_scale(self.std, "std")
        check_cut(self.cut)

    @property
    def std_factor(self) -> float:
        """std of the unit normal truncated at +-cut (0.8796... for the default cut of 2)."""
        return truncated_std_factor(self.cut)

    @property
    def scale(self) -> float:
        """t: the std of the normal before truncation."""
        return self.std / self.std_factor

    @property
    def bound(self) -> float:
        return self.cut * self.scale

    @property
    def erfinv_limit(self) -> float:
        """m = erf(cut / sqrt 2) = P(|Z| <= cut), for inverse-CDF sampling.

        With u ~ U(-m, m), ``erfinv_scale * erfinv(u)`` is N(0, t^2) cut at +-cut*t: this
        distribution exactly, in one pass and with no rejection.
        """
        return _mass_within(self.cut)

    @property
    def erfinv_scale(self) -> float:
        """sqrt(2) * t, the factor that turns erfinv(u) into a sample (see :attr:`erfinv_limit`)."""
        return math.sqrt(2.0) * self.scale

    @property
    def variance(self) -> float:
        return self.std**2

    @property
    def fourth_moment(self) -> float:
        return truncated_fourth_moment(self.cut) * self.scale**4

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """P(w <= x) = (Phi(x / t) - Phi(-cut)) / P(|Z| <= cut), clipped to [0, 1]."""
        if self.std == 0.0:
            return _point_mass_cdf(x)
        z = np.clip(np.asarray(x, dtype=np.float64) / self.scale, -self.cut, self.cut)
        low = 0.5 * (1.0 - _mass_within(self.cut))
        return np.clip((standard_normal_cdf(z) - low) / _mass_within(self.cut), 0.0, 1.0)


Distribution = Uniform | Normal | TruncatedNormal
