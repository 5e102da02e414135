"""Recommended gains per nonlinearity, the same floats as ``torch.nn.init.calculate_gain``."""

from __future__ import annotations

import math
import numbers

from xavier_core.errors import XavierError, bad_argument

LINEAR_NONLINEARITIES = (
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)
NONLINEARITIES = (*LINEAR_NONLINEARITIES, "tanh", "relu", "leaky_relu", "selu")
DEFAULT_NEGATIVE_SLOPE = 0.01


def _is_real(value: object) -> bool:
    if type(value) is float or type(value) is int:  # the common case, without the ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


MAX_GAIN = 1e150
"""The largest gain: its square, the spec's scale, must stay a float64 with room for the fans
(and the smallest nonzero gain is its inverse)."""


def check_gain(gain: object) -> float:
    """Return ``gain`` as a float, or raise: a real number >= 0, and 0 or within [1e-150, 1e150]
    so that gain^2 neither overflows to inf nor underflows to 0."""
    try:
        value = float(gain) if _is_real(gain) else math.nan  # type: ignore[arg-type]
    except OverflowError:  # an int beyond float64: finite, but too large
        value = 2 * MAX_GAIN
    if not math.isfinite(value) or value < 0:
        raise bad_argument("gain", gain, "a finite number >= 0")
    if value != 0 and not 1 / MAX_GAIN <= value <= MAX_GAIN:
        raise bad_argument("gain", gain, f"0 or between {1 / MAX_GAIN:g} and {MAX_GAIN:g}",
                           "its square, the spec's scale, would overflow or underflow")
    return value


def calculate_gain(nonlinearity: str, param: float | None = None, *,
                   ignore_param: bool = False) -> float:
    """The gain that keeps activation variance steady through ``nonlinearity``.

    linear, conv*, conv_transpose*, sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)), slope ``param`` (default 0.01); selu: 3/4.

    Args:
      nonlinearity: one of :data:`NONLINEARITIES`.
      param: the negative slope of ``leaky_relu``; no other nonlinearity takes one.
      ignore_param: torch's leniency: a ``param`` given to a nonlinearity other than
        ``leaky_relu`` is ignored, unchecked (``kaiming_normal_(w, a=0.1, nonlinearity="relu")``
        is valid torch), instead of an error.

    Returns:
      The gain as a float, equal to ``torch.nn.init.calculate_gain(nonlinearity, param)``.

    Raises:
      XavierError: an unknown nonlinearity, a non-numeric or non-finite ``param``, or a
        ``param`` given to a nonlinearity that has none.

    Example:
      >>> calculate_gain("leaky_relu", 0.2) == (2 / 1.04) ** 0.5
      True
    """
    if not isinstance(nonlinearity, str) or nonlinearity not in NONLINEARITIES:
        raise bad_argument("nonlinearity", nonlinearity, f"one of {', '.join(NONLINEARITIES)}")
    if ignore_param and nonlinearity != "leaky_relu":
        param = None
    if param is not None and (not _is_real(param) or not math.isfinite(param)):
        raise bad_argument("param", param, "None or a finite real number (not bool)")
    if param is not None and nonlinearity != "leaky_relu":
        raise XavierError(f"param is only used by leaky_relu, got param={param!r} for "
                          f"nonlinearity={nonlinearity!r}; leave it None")
    if nonlinearity in LINEAR_NONLINEARITIES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    slope = DEFAULT_NEGATIVE_SLOPE if param is None else param
    return math.sqrt(2.0 / (1 + slope**2))
