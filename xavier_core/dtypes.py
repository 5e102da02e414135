"""The dtype policy: which precision each weight dtype is sampled in.

float16 and bfloat16 are sampled in float32 and cast once (sampling bfloat16 directly, as
``jax.nn.initializers`` does, leaves only 128 distinct values in a Glorot range); float32 is
sampled in float32 and float64 in float64. Integer and bool weights are refused; complex
weights are sampled per part (:mod:`xavier_core.complex_laws`), not here.
"""

from __future__ import annotations

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
