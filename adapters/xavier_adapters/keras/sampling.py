"""Draw a resolved distribution with Keras' own random ops, on the current backend and device.

float16 and bfloat16 weights are sampled in float32 and cast once (``xc.sampling_dtype``);
float64 is sampled in float64. The spec's numbers go straight to the ops:

    uniform           keras.random.uniform(minval=-bound, maxval=bound)
    normal            keras.random.normal(stddev=std)              (untruncated)
    truncated_normal  keras.random.truncated_normal(stddev=scale)   (cut at 2 * scale by Keras)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.keras.seeds import DrawSeed, SeedStream

keras = require("keras", "keras")

KERAS_TRUNCATION_CUT = 2.0
"""keras.random.truncated_normal keeps values within 2 stddev of the mean, on every backend."""


def draw(distribution: xc.Distribution, shape: Sequence[int], dtype: Any, seed: DrawSeed) -> Any:
    """A backend tensor of ``shape`` and ``dtype`` drawn from ``distribution``.

    Args:
      distribution: a resolved distribution (``spec.resolve(shape, layout).distribution``).
      shape: the weight's shape.
      dtype: the weight's dtype (any framework's dtype or its name); None means
        ``keras.config.floatx()``.
      seed: an int (the same values every time) or a ``keras.random.SeedGenerator``.

    Raises:
      XavierError: a dtype that is not floating, float64 on the JAX backend with 64-bit mode off,
        or a truncated normal cut elsewhere than at 2 stddev.
    """
    name = xc.dtype_name(keras.config.floatx() if dtype is None else dtype)
    work = check_dtype(name)
    xc.check_drawable(distribution, name)
    shape = tuple(shape)
    if isinstance(distribution, xc.Uniform):
        values = keras.random.uniform(shape, minval=-distribution.bound,
                                      maxval=distribution.bound, dtype=work, seed=seed)
    elif isinstance(distribution, xc.Normal):
        values = keras.random.normal(shape, stddev=distribution.std, dtype=work, seed=seed)
    else:
        values = _truncated_normal(distribution, shape, work, seed)
    return values if name == work else keras.ops.cast(values, name)


def draw_portable(distribution: xc.Distribution, shape: Sequence[int], dtype: Any,
                  key: xc.PortableKey, layout: xc.Layout) -> Any:
    """The portable draw of ``key`` (:mod:`xavier_adapters.keras.portable`), cast once."""
    from xavier_adapters.keras import portable

    name = xc.dtype_name(keras.config.floatx() if dtype is None else dtype)
    work = check_dtype(name)
    values = portable.draw(distribution, tuple(shape), work, key, layout)
    return values if name == work else keras.ops.cast(values, name)


def check_dtype(dtype: Any) -> str:
    """The dtype ``draw`` samples a weight of ``dtype`` in, or the error ``draw`` would raise:
    a weight can be checked before anything is drawn.

    Raises:
      XavierError: a dtype that is not floating, or float64 on the JAX backend with 64-bit
        mode off.
    """
    work = xc.sampling_dtype(xc.dtype_name(dtype))
    _check_backend_supports(work)
    return work


def _check_backend_supports(work: str) -> None:
    # JAX with 64-bit mode off silently returns float32 when asked for float64.
    if work == "float64" and keras.config.backend() == "jax":
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise xc.errors.bad_argument(
                "dtype", "float64", "float32, float16 or bfloat16 on the JAX backend with 64-bit "
                "mode off", "set JAX_ENABLE_X64=1 before importing jax to sample float64")


def _truncated_normal(
    distribution: xc.TruncatedNormal, shape: tuple[int, ...], work: str, seed: DrawSeed
) -> Any:
    if distribution.cut != KERAS_TRUNCATION_CUT:
        raise xc.errors.bad_argument("cut", distribution.cut,
                                     f"{KERAS_TRUNCATION_CUT}, where Keras' truncated_normal cuts")
    values = keras.random.truncated_normal(shape, stddev=distribution.scale, dtype=work,
                                            seed=seed)
    if keras.config.backend() == "torch":
        values = _replace_beyond_cut(values, distribution, work, SeedStream(seed))
    return values


def _replace_beyond_cut(
    values: Any, distribution: xc.TruncatedNormal, work: str, seeds: SeedStream
) -> Any:
    """``values`` (a torch tensor) with those beyond the cut replaced, in place.

    Keras' torch backend draws 4 normals per value and keeps the first one within 2 stddev, but
    keeps the first one regardless when none is: P = P(|Z| > 2)^4 = 4.3e-6 per value, some 70
    values in a 4096 x 4096 weight. Their replacements are drawn the same way and checked the same
    way (on a tensor that small, one round almost always suffices), so the result is exactly the
    truncated normal, for one extra scan of ``values``.
    """
    outside = values.abs() > distribution.bound  # torch tensor methods: this is torch's path
    count = int(outside.count_nonzero())
    if count:
        fresh = keras.random.truncated_normal((count,), stddev=distribution.scale, dtype=work,
                                              seed=seeds.next())
        values[outside] = _replace_beyond_cut(fresh, distribution, work, seeds)
    return values


def to_numpy(values: Any, dtype: Any) -> np.ndarray:
    """A backend tensor as a numpy array of ``dtype`` (bfloat16 through ``ml_dtypes``), exactly:
    float16 and bfloat16 go through float32, which holds them without rounding."""
    from xavier_adapters.numpy import numpy_dtype

    target = numpy_dtype(dtype)
    if target.itemsize < 4:
        values = keras.ops.cast(values, "float32")
    return keras.ops.convert_to_numpy(values).astype(target, copy=False)
