"""Hypothesis strategies shared by the bad-input property tests (issue 16): junk of every kind
for any argument, and a check that a call either returns or raises only XavierError/TypeError."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import xavier_core as xc

PROPERTY_SETTINGS = settings(max_examples=60, derandomize=True, deadline=30_000,
                             suppress_health_check=[HealthCheck.too_slow])
"""CI-cheap: a fixed example set, a per-example deadline (a hang or a pathological slow path
fails the test instead of stalling the run)."""

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**32, 2**63, 2**64, 2**1100, -(2**1100)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-170, 1e-300, 1e154, 1e155, 1e308, -0.0, 5e-324]),
)
junk = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=6),
    st.sampled_from(["relu", "tanh", "uniform", "normal", "fan_in", "glorot", "torch", "*", ""]),
    st.lists(st.integers(-3, 5), max_size=4), st.tuples(st.integers(-3, 5), st.integers(-3, 5)),
    st.sampled_from([np.int64(3), np.float32(1.5), np.array([1, 2]), np.bool_(True),
                     object(), {"a": 1}, {"*": "relu"}, b"x", 1j, slice(1), set()]),
)
"""Any Python value a user might mistype into an argument."""
shapes = st.one_of(junk, st.lists(st.integers(-2, 40), min_size=0, max_size=5).map(tuple))


def call_safely(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """(True, result) when ``function`` accepts the input, (False, error) when it raises
    XavierError or TypeError; any other exception propagates and fails the test."""
    try:
        return True, function(*args, **kwargs)
    except (xc.XavierError, TypeError) as error:
        assert str(error), f"{type(error).__name__} without a message from {function}"
        return False, error


def assert_stated_statistics(values: np.ndarray, distribution: xc.Distribution,
                             context: str) -> None:
    """Finite, within the stated bound, and (when there are enough) a sample variance within
    8 standard errors of the stated variance (the standard error from the exact 4th moment)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    assert np.isfinite(flat).all(), f"got non-finite weights, but should be finite [{context}]"
    bound = getattr(distribution, "bound", None)
    if bound is not None:
        assert np.abs(flat).max(initial=0.0) <= bound * (1 + 1e-3), (
            f"got max |w| {np.abs(flat).max()}, but should be <= {bound} [{context}]")
    n = flat.size
    if n >= 1000 and distribution.variance > 0:
        variance = distribution.variance
        error = math.sqrt(max(distribution.fourth_moment - variance**2, 0.0) / n)
        got = float(np.mean(flat**2))
        assert abs(got - variance) <= 8 * error + 1e-3 * variance, (
            f"got variance {got}, but should be {variance} +- {8 * error} [{context}]")
