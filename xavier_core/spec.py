"""The variance-scaling family: one spec for Glorot, He, LeCun and the paper's "standard" init.

    variance = scale / n,   n = fan_in | fan_out | (fan_in + fan_out) / 2 | sqrt(fan_in * fan_out)

drawn from a distribution named exactly: ``uniform`` U(-a, a) with a = sqrt(3 variance),
``normal`` N(0, variance) untruncated, or ``truncated_normal`` whose final variance is the
target. Glorot & Bengio (2010, "Understanding the difficulty of training deep feedforward neural
networks", AISTATS) is scale gain^2 over fan_avg: Var[W] = 2 gain^2 / (fan_in + fan_out).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from xavier_core.distributions import (
    DISTRIBUTIONS,
    Distribution,
    DistributionName,
    Normal,
    TruncatedNormal,
    Uniform,
)
from xavier_core.errors import bad_argument
from xavier_core.fans import CHANNELS_LAST, Fans, Layout
from xavier_core.gain import calculate_gain, check_gain

Mode = Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]
MODES: tuple[str, ...] = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")


def _inverse_n(mode: str, fans: Fans) -> float:
    # Written as torch writes it (2 / (fan_in + fan_out)), so that bounds match torch bit for bit.
    fan_in, fan_out = float(fans.fan_in), float(fans.fan_out)
    if mode == "fan_in":
        return 1.0 / fan_in
    if mode == "fan_out":
        return 1.0 / fan_out
    if mode == "fan_avg":
        return 2.0 / (fan_in + fan_out)
    return 1.0 / math.sqrt(fan_in * fan_out)


def _fits_float64(value: float) -> bool:
    """A finite real that float64 holds (an int beyond it is not finite there)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclass(frozen=True)
class VarianceScaling:
    """variance = scale / n, with n picked by ``mode``, drawn from ``distribution``.

    Args:
      scale: a finite number >= 0 (gain^2 for Glorot).
      mode: ``fan_in``, ``fan_out``, ``fan_avg`` or ``fan_geo_avg``.
      distribution: ``uniform``, ``normal`` (untruncated) or ``truncated_normal``.

    Example:
      >>> spec = glorot_uniform()
      >>> round(spec.resolve((784, 256)).distribution.bound, 6)
      0.075955
    """

    scale: float = 1.0
    mode: Mode = "fan_in"
    distribution: DistributionName = "truncated_normal"

    def __post_init__(self) -> None:
        scale = self.scale
        plain = type(scale) is float or type(scale) is int  # skips the ABC check
        if ((not plain and (not isinstance(scale, numbers.Real) or isinstance(scale, bool)))
                or not _fits_float64(scale) or scale < 0):
            raise bad_argument("scale", scale, "a finite number >= 0")
        if self.mode not in MODES:
            raise bad_argument("mode", self.mode, f"one of {', '.join(MODES)}")
        if self.distribution not in DISTRIBUTIONS:
            given: object = self.distribution  # any value a caller passed, not only the Literal
            hint = ("'normal' here is untruncated; Keras' 'normal' is 'truncated_normal'"
                    if given == "untruncated_normal" else "")
            raise bad_argument("distribution", self.distribution,
                               f"one of {', '.join(DISTRIBUTIONS)}", hint)

    def std(self, fans: Fans) -> float:
        """sqrt(scale / n): the standard deviation every distribution is given.

        Written as torch writes it, so that torch's bounds come out bit for bit: gain * sqrt(2 /
        (fan_in + fan_out)) for ``fan_avg`` (xavier), gain / sqrt(fan) for ``fan_in`` and
        ``fan_out`` (kaiming).
        """
        try:
            if self.mode in ("fan_in", "fan_out"):
                fan = float(fans.fan_in if self.mode == "fan_in" else fans.fan_out)
                return math.sqrt(self.scale) / math.sqrt(fan)
            return math.sqrt(self.scale) * math.sqrt(_inverse_n(self.mode, fans))
        except OverflowError:  # an int beyond float64
            raise bad_argument("fans", tuple(fans), "fans a float64 can hold (below 1.8e308)",
                               "") from None

    def distribution_for(self, fans: Fans) -> Distribution:
        """The exact distribution for a weight with ``fans``."""
        std = self.std(fans)
        if self.distribution == "uniform":
            return Uniform(bound=math.sqrt(3.0) * std)
        if self.distribution == "normal":
            return Normal(std=std)
        return TruncatedNormal(std=std)

    def resolve(
        self,
        shape: Sequence[int],
        layout: Layout = CHANNELS_LAST,
        *,
        shards: Sequence[int] | None = None,
    ) -> ResolvedInit:
        """Fans and distribution for a weight of ``shape`` stored in ``layout``."""
        fans = layout.fans(shape, shards=shards)
        return ResolvedInit(tuple(shape), fans, self.distribution_for(fans))


@dataclass(frozen=True)
class ResolvedInit:
    """A spec applied to one weight: its shape, fans and exact distribution."""

    shape: tuple[int, ...]
    fans: Fans
    distribution: Distribution

    @property
    def bound(self) -> float:
        """The largest |w| possible (inf for the untruncated normal)."""
        return self.distribution.bound

    @property
    def std(self) -> float:
        return self.distribution.std

    @property
    def variance(self) -> float:
        return self.distribution.variance


def glorot(distribution: DistributionName = "uniform", gain: float = 1.0) -> VarianceScaling:
    """Glorot/Xavier: Var[W] = gain^2 * 2 / (fan_in + fan_out), from ``distribution``."""
    gain = check_gain(gain)
    return VarianceScaling(scale=gain * gain, mode="fan_avg", distribution=distribution)


def glorot_uniform(gain: float = 1.0) -> VarianceScaling:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (``torch.nn.init.xavier_uniform_``)."""
    return glorot("uniform", gain)


def glorot_normal(gain: float = 1.0) -> VarianceScaling:
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)), untruncated."""
    return glorot("normal", gain)


def glorot_truncated_normal(gain: float = 1.0) -> VarianceScaling:
    """Normal cut at 2 pre-correction stds, rescaled so the final std is the Glorot std."""
    return glorot("truncated_normal", gain)


def he(distribution: DistributionName = "truncated_normal") -> VarianceScaling:
    """He/Kaiming: Var[W] = 2 / fan_in (for ReLU)."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution=distribution)


KAIMING_MODES: tuple[str, ...] = ("fan_in", "fan_out")


def kaiming(
    distribution: DistributionName = "normal",
    a: float = 0.0,
    mode: Mode = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> VarianceScaling:
    """He/Kaiming as torch.nn.init spells it: std = gain / sqrt(fan), gain for ``nonlinearity``.

    He et al. (2015, "Delving deep into rectifiers"). gain = ``calculate_gain(nonlinearity, a)``
    with torch's leniency (``a`` only counts for ``leaky_relu``), so the defaults (a = 0,
    leaky_relu) give gain sqrt(2): Var[W] = 2 / fan_in, the same as :func:`he`.

    Raises:
      XavierError: ``mode`` not ``fan_in`` or ``fan_out``, an unknown nonlinearity, a bad ``a``.

    Example:
      >>> kaiming("uniform", mode="fan_out", nonlinearity="relu").scale
      2.0000000000000004
    """
    if mode not in KAIMING_MODES:
        raise bad_argument("mode", mode, "'fan_in' or 'fan_out'")
    gain = calculate_gain(nonlinearity, a, ignore_param=True)
    return VarianceScaling(scale=gain * gain, mode=mode, distribution=distribution)


def lecun(distribution: DistributionName = "truncated_normal") -> VarianceScaling:
    """LeCun: Var[W] = 1 / fan_in (for SELU and linear units)."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution=distribution)


def standard_uniform() -> VarianceScaling:
    """The paper's "standard" init U(-1/sqrt(fan_in), 1/sqrt(fan_in)): scale 1/3, fan_in.

    It is also PyTorch's default for Linear and ConvNd weights (kaiming_uniform_ with a=sqrt(5)).
    """
    return VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform")
