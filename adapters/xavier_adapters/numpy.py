"""The numpy reference adapter: samples the spec with ``numpy.random.Generator``.

Channels-last by default (``(..., in, out)``, as Keras and JAX). float16 and bfloat16 (the latter
through ``ml_dtypes``) are sampled in float32 and cast once; float64 is sampled in float64.

Example:
  >>> import numpy as np
  >>> from xavier_adapters import numpy as xnp
  >>> w = xnp.glorot_uniform((784, 256), rng=np.random.default_rng(0))
  >>> w.dtype, bool(abs(w).max() <= 0.0759555)
  (dtype('float32'), True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike, NDArray

import xavier_core as xc
from xavier_core.fans import check_shape


def numpy_dtype(dtype: DTypeLike | str) -> np.dtype:
    """``dtype`` as a numpy dtype; ``"bfloat16"`` comes from ``ml_dtypes``."""
    name = xc.dtype_name(dtype)
    if xc.is_complex(name):
        return np.dtype(name)
    xc.sampling_dtype(name)  # refuses non-float dtypes with the standard message
    if name == "bfloat16":
        from xavier_adapters._require import require

        return np.dtype(require("ml_dtypes", "conformance").bfloat16)
    return np.dtype(name)


_REAL_DTYPES = {name: (np.dtype(name), np.dtype(xc.sampling_dtype(name)))
                for name in ("float16", "float32", "float64")}
"""(target, sampling dtype) of the plain real dtype names, looked up without name round trips."""


def _check_rng(rng: object) -> None:
    if rng is None or isinstance(rng, np.random.Generator):
        return
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise xc.errors.bad_argument("rng", rng, "an integer seed >= 0, a numpy Generator or "
                                                 "None")


def sample(
    distribution: xc.Distribution,
    shape: Sequence[int],
    *,
    rng: int | np.random.Generator | xc.PortableKey | None = None,
    dtype: DTypeLike | str = "float32",
    layout: xc.Layout = xc.CHANNELS_LAST,
) -> NDArray:
    """Draw an array of ``shape`` from a resolved ``distribution``.

    A :class:`xavier_core.PortableKey` as ``rng`` gives the portable values (the same bit for
    bit in torch, Keras and JAX), their canonical order read from ``layout`` (real dtypes).

    Sampled in ``xc.sampling_dtype(dtype)`` and cast once to ``dtype``. A complex64/complex128
    ``dtype`` takes ``xc.complex_law(distribution)``: the real parts, then the imaginary parts,
    each from the same family at half the variance, so E|w|^2 is the target.

    Raises:
      TypeError: ``distribution`` is not a Uniform, Normal or TruncatedNormal.
      XavierError: a bad shape, dtype or ``rng`` (a complex dtype with a PortableKey ``rng``).
    """
    if not isinstance(distribution, (xc.Uniform, xc.Normal, xc.TruncatedNormal)):
        raise TypeError(f"distribution must be an xavier_core Uniform, Normal or TruncatedNormal, "
                        f"got distribution={distribution!r}")
    shape = check_shape(shape)
    if not isinstance(rng, xc.PortableKey):
        _check_rng(rng)
    elif type(dtype) is not str or dtype not in _REAL_DTYPES:
        xc.portable.sampling_dtype(dtype)  # refuses a complex dtype: portable draws are real
    plain = _REAL_DTYPES.get(dtype) if type(dtype) is str else None
    target = plain[0] if plain is not None else numpy_dtype(dtype)
    xc.check_drawable(distribution, target.name)
    if isinstance(rng, xc.PortableKey):  # the reference of portable mode, canonical order
        work_name = xc.portable.sampling_dtype(target.name)
        return xc.portable.sample(rng, distribution, shape, layout, work_name).astype(
            target, copy=False)
    generator = np.random.default_rng(rng)
    if plain is None and xc.is_complex(target.name):
        part = xc.complex_law(distribution).part
        real = sample(part, shape, rng=generator, dtype=xc.part_dtype(target.name))
        imag = sample(part, shape, rng=generator, dtype=xc.part_dtype(target.name))
        return (real + 1j * imag).astype(target, copy=False)
    work = plain[1] if plain is not None else np.dtype(xc.sampling_dtype(target.name))
    if isinstance(distribution, xc.Uniform):
        values = generator.random(shape, dtype=work)
        values *= 2.0
        values -= 1.0
        values *= distribution.bound
    elif isinstance(distribution, xc.Normal):
        values = generator.standard_normal(shape, dtype=work)
        values *= distribution.std
    else:
        values = _truncated_standard_normal(generator, shape, distribution.cut, work)
        values *= distribution.scale
    return values.astype(target, copy=False)


def _truncated_standard_normal(
    generator: np.random.Generator, shape: Sequence[int], cut: float, dtype: np.dtype
) -> NDArray:
    """N(0, 1) restricted to [-cut, cut], by rejection: N(0, 1) proposals kept inside the cut
    for a cut of 1 or more (at least 68 % kept), else U(-cut, cut) proposals kept with
    probability exp(-z^2 / 2) (at least 60 % kept), so no cut makes the loop crawl."""
    def propose(count: int | Sequence[int]) -> NDArray:
        if cut >= 1.0:
            return generator.standard_normal(count, dtype=dtype)
        z = generator.random(count, dtype=dtype) * (2.0 * cut) - cut
        u = generator.random(count, dtype=dtype)
        return np.where(u <= np.exp(-0.5 * z * z), z, np.inf).astype(dtype, copy=False)

    values = propose(shape)
    outside = np.abs(values) > cut
    while outside.any():
        values[outside] = propose(int(outside.sum()))
        outside = np.abs(values) > cut
    return values


def initialize(
    spec: xc.VarianceScaling,
    shape: Sequence[int],
    *,
    layout: xc.Layout = xc.CHANNELS_LAST,
    dtype: DTypeLike | str = "float32",
    rng: int | np.random.Generator | xc.PortableKey | None = None,
) -> NDArray:
    """A weight of ``shape`` (stored in ``layout``) drawn from ``spec``."""
    return sample(spec.resolve(shape, layout).distribution, shape, rng=rng, dtype=dtype,
                  layout=layout)


_RESOLVED: dict[tuple[object, float, tuple[int, ...], int], tuple[xc.Layout, xc.Distribution]] = {}
"""(spec factory, gain, shape, id(layout)) -> (layout, distribution) of the named calls."""
RESOLVED_CACHE_SIZE = 1024


def _named(
    factory: Callable[[float], xc.VarianceScaling],
    gain: float,
    shape: Sequence[int],
    layout: xc.Layout,
    dtype: DTypeLike | str,
    rng: int | np.random.Generator | None,
) -> NDArray:
    """``initialize(factory(gain), shape, ...)``, the distribution cached per (factory, plain
    int/float gain, tuple-of-int shape, layout object); only successful resolutions are cached,
    so bad arguments still raise as uncached."""
    if (type(gain) is not float and type(gain) is not int) or type(shape) is not tuple or not all(
            type(d) is int for d in shape):
        return initialize(factory(gain), shape, layout=layout, dtype=dtype, rng=rng)
    key = (factory, gain, shape, id(layout))
    entry = _RESOLVED.get(key)
    if entry is None or entry[0] is not layout:
        entry = (layout, factory(gain).resolve(shape, layout).distribution)
        if len(_RESOLVED) >= RESOLVED_CACHE_SIZE:
            _RESOLVED.clear()
        _RESOLVED[key] = entry
    return sample(entry[1], shape, rng=rng, dtype=dtype, layout=layout)


def glorot_uniform(
    shape: Sequence[int],
    *,
    gain: float = 1.0,
    layout: xc.Layout = xc.CHANNELS_LAST,
    dtype: DTypeLike | str = "float32",
    rng: int | np.random.Generator | xc.PortableKey | None = None,
) -> NDArray:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    return _named(xc.glorot_uniform, gain, shape, layout, dtype, rng)


def glorot_normal(
    shape: Sequence[int],
    *,
    gain: float = 1.0,
    layout: xc.Layout = xc.CHANNELS_LAST,
    dtype: DTypeLike | str = "float32",
    rng: int | np.random.Generator | xc.PortableKey | None = None,
) -> NDArray:
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)), untruncated."""
    return _named(xc.glorot_normal, gain, shape, layout, dtype, rng)


def glorot_truncated_normal(
    shape: Sequence[int],
    *,
    gain: float = 1.0,
    layout: xc.Layout = xc.CHANNELS_LAST,
    dtype: DTypeLike | str = "float32",
    rng: int | np.random.Generator | xc.PortableKey | None = None,
) -> NDArray:
    """Normal cut at +-2 t, t = s / 0.8796..., so the final std is the Glorot std s."""
    return _named(xc.glorot_truncated_normal, gain, shape, layout, dtype, rng)
