"""Ratios over seeds, and whether two frameworks agree within sampling error.

One network realization gives one ratio r = Var[dC/ds of hidden layer 1] / Var[dC/ds of the
last hidden layer] (:meth:`xavier_core.diagnostics.LayerReport.backprop_variance_ratio`). Over
``k`` seeds (fresh weights, the same batch) the experiment works with log r: its mean m and
standard error se = sd / sqrt(k). The geometric mean is exp(m) and its interval
exp(m +- t se), t the two-sided Student quantile with k - 1 degrees of freedom for
:data:`ALPHA`. Two frameworks agree when Welch's t-test on their log r does not reject at
``ALPHA``; one init is farther from 1 than another when Welch's one-sided test on |log r| rejects.
A run makes a handful of such checks, so :data:`ALPHA` = 1e-3 each (the sampler checks of
:mod:`xavier_conformance.stats` make thousands and use a smaller rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xavier_core import XavierError

ALPHA = 1e-3
"""False-alarm rate of each check here when the frameworks do agree."""


@dataclass(frozen=True)
class RatioSummary:
    """The ratios of one (framework, activation, init) over seeds."""

    framework: str
    activation: str
    init: str
    ratios: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.ratios) < 2 or not all(r > 0 and math.isfinite(r) for r in self.ratios):
            raise XavierError(f"ratios must be at least two finite positive numbers, got "
                              f"ratios={self.ratios!r}")

    @property
    def logs(self) -> np.ndarray:
        return np.log(self.ratios)

    @property
    def log_mean(self) -> float:
        return float(np.mean(self.logs))

    @property
    def log_standard_error(self) -> float:
        return float(np.std(self.logs, ddof=1) / math.sqrt(len(self.ratios)))

    @property
    def geometric_mean(self) -> float:
        return math.exp(self.log_mean)

    def interval(self, alpha: float = ALPHA) -> tuple[float, float]:
        """exp(m -+ t se): where the geometric mean lies, at false-alarm rate ``alpha``."""
        from scipy import stats

        spread = float(stats.t.isf(alpha / 2.0, len(self.ratios) - 1)) * self.log_standard_error
        return math.exp(self.log_mean - spread), math.exp(self.log_mean + spread)

    def describe(self) -> str:
        low, high = self.interval()
        return (f"{self.geometric_mean:.4g} [{low:.4g}, {high:.4g}] over {len(self.ratios)} "
                f"seeds")


def agreement_p_value(first: Sequence[float], second: Sequence[float]) -> float:
    """Welch's two-sided t-test p-value that two sets of ratios share the mean of log r."""
    from scipy import stats

    return float(stats.ttest_ind(np.log(first), np.log(second), equal_var=False).pvalue)


def agree(first: RatioSummary, second: RatioSummary, alpha: float = ALPHA) -> bool:
    """Whether the two summaries agree within sampling error (p >= ``alpha``)."""
    return agreement_p_value(first.ratios, second.ratios) >= alpha


def farther_from_one(far: RatioSummary, near: RatioSummary, alpha: float = ALPHA) -> bool:
    """Whether |log r| of ``far`` is larger than that of ``near`` (Welch, one-sided, p <
    ``alpha``)."""
    from scipy import stats

    result = stats.ttest_ind(np.abs(far.logs), np.abs(near.logs), equal_var=False,
                             alternative="greater")
    return float(result.pvalue) < alpha
