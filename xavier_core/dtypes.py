"""The dtype policy: which precision each weight dtype is sampled in.

float16 and bfloat16 are sampled in float32 and cast once (sampling bfloat16 directly, as
``jax.nn.initializers`` does, leaves only 128 distinct values in a Glorot range); float32 is
sampled in float32 and float64 in float64. Integer and bool weights are refused; complex
weights are sampled per part (:mod:`xavier_core.complex_laws`), not here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from xavier_core.errors import bad_argument

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
LOW_PRECISION_DTYPES = ("float16", "bfloat16")


def dtype_name(dtype: object) -> str:
    """The plain name of a numpy, torch, TensorFlow, Keras or JAX dtype (``"bfloat16"``)."""
    if isinstance(dtype, str):
        text = dtype
    elif isinstance(getattr(dtype, "name", None), str):
        text = dtype.name  # type: ignore[attr-defined]
    else:
        try:
            text = np.dtype(dtype).name  # type: ignore[call-overload]
        except TypeError:
            text = str(dtype)
    return text.removeprefix("torch.")


def sampling_dtype(dtype: object) -> str:
    """The dtype to sample a weight of ``dtype`` in: ``"float32"`` or ``"float64"``.

    Raises:
      XavierError: ``dtype`` is not one of :data:`FLOAT_DTYPES`.

    Example:
      >>> sampling_dtype("bfloat16")
      'float32'
    """
    name = dtype_name(dtype)
    if name not in FLOAT_DTYPES:
        hint = ("complex weights are drawn per part: xavier_core.complex_law gives their law "
                "and part_dtype the dtype of each part (the torch, JAX and numpy adapters draw "
                "them; Keras' random ops have no complex dtypes)"
                if name.startswith("complex") else "")
        raise bad_argument("dtype", name, f"a floating dtype ({', '.join(FLOAT_DTYPES)})", hint)
    return "float64" if name == "float64" else "float32"


FLOAT_LIMITS: dict[str, tuple[float, float]] = {
    "float16": (65504.0, 2.0**-14),
    "bfloat16": (3.3895313892515355e38, 2.0**-126),
    "float32": (3.4028234663852886e38, 2.0**-126),
    "float64": (1.7976931348623157e308, 2.0**-1022),
}
"""(largest finite value, smallest normal value) of each weight dtype."""
NORMAL_REACH = 10.0
"""An untruncated normal is checked as if it ended at 10 std (P(|z| > 10) is about 1.5e-23)."""


def check_drawable(distribution: Any, dtype: object) -> None:
    """Raise unless a weight of ``dtype`` can hold a draw of ``distribution``: no value may
    overflow to inf and a nonzero std may not underflow below the dtype's normal range (the
    weights would be zeros or a few subnormals, silently).

    Raises:
      XavierError: ``dtype`` is not floating, or the distribution does not fit it.

    Example:
      >>> import xavier_core as xc
      >>> check_drawable(xc.Uniform(bound=1e5), "float16")  # doctest: +ELLIPSIS
      Traceback (most recent call last):
      ...
      xavier_core.errors.XavierError: the weight's largest value must be at most 65504 to ...
    """
    name = dtype_name(dtype)
    name = {"complex64": "float32", "complex128": "float64"}.get(name, name)  # per part
    sampling_dtype(name)
    largest, smallest = FLOAT_LIMITS[name]
    std = float(distribution.std)
    bound = float(distribution.bound)
    reach = bound if math.isfinite(bound) else NORMAL_REACH * std
    what = "the weight's largest value" if math.isfinite(bound) else f"{NORMAL_REACH:g} x std"
    if not reach <= largest:
        raise bad_argument(what, reach, f"at most {largest:.5g} to draw {name} weights",
                           "lower the gain or scale")
    if 0.0 < std < smallest:
        raise bad_argument("the weight's std", std, f"0 or at least {smallest:.5g} (the "
                           f"smallest normal {name}) to draw {name} weights",
                           "raise the gain or scale: the weights would underflow")
