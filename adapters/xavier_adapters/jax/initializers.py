"""Initializers with the ``jax.nn.initializers`` protocol that draw the xavier_core spec.

``init(key, shape, dtype=None, out_sharding=None)`` resolves the spec for ``shape`` (the global
shape: fans are never those of a shard), samples with ``jax.random``'s own samplers in float32
(float64 for a float64 weight), scales by the spec's numbers and casts once to ``dtype``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.jax.sharding import check_sharding, split_sharding
from xavier_core.errors import bad_argument
from xavier_core.fans import Axes

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:
    jax = require("jax", "jax")
    jnp = require("jax.numpy", "jax")

DTypeLike: TypeAlias = Any
"""A dtype as JAX takes it: ``jnp.bfloat16``, ``"float32"``, ``np.dtype``, ..."""
OutSharding: TypeAlias = "jax.sharding.Sharding | jax.sharding.PartitionSpec | None"

_X64_HINT = "turn x64 on: jax.config.update('jax_enable_x64', True) or JAX_ENABLE_X64=1"


def float_dtype(dtype: DTypeLike) -> np.dtype:
    """``dtype`` as a numpy dtype, if it is one xavier-init samples (float16 to float64,
    complex64 and complex128).

    Raises:
      XavierError: not a dtype, or not float16, bfloat16, float32, float64 or complex.
    """
    try:
        target = jnp.dtype(dtype)
    except TypeError as error:
        allowed = f"a floating dtype ({', '.join(xc.FLOAT_DTYPES)})"
        raise bad_argument("dtype", dtype, allowed) from error
    if not xc.is_complex(target.name):
        xc.sampling_dtype(target.name)
    return target


def weight_dtype(dtype: DTypeLike | None = None) -> np.dtype:
    """The dtype a weight is returned in: ``dtype``, or JAX's default float dtype when None.

    Raises:
      XavierError: ``dtype`` is not float16, bfloat16, float32 or float64, or it is float64
        while JAX's x64 mode is off (JAX would silently give float32).
    """
    if dtype is None:
        return jnp.dtype(jax.dtypes.canonicalize_dtype(float))
    target = float_dtype(dtype)
    if jax.dtypes.canonicalize_dtype(target) != target:
        raise bad_argument("dtype", target.name, "float16, bfloat16 or float32 while JAX's x64 "
                           "mode is off", _X64_HINT)
    return target


def _sample(distribution: xc.Distribution, key: jax.Array, shape: tuple[int, ...],
            dtype: np.dtype, out_sharding: OutSharding) -> jax.Array:
    """``distribution`` drawn by jax.random in ``dtype``, with the spec's own numbers."""
    if isinstance(distribution, xc.Uniform):
        bound = distribution.bound
        return jax.random.uniform(key, shape, dtype, -bound, bound, out_sharding=out_sharding)
    if isinstance(distribution, xc.Normal):
        return jax.random.normal(key, shape, dtype, out_sharding=out_sharding) * distribution.std
    cut = distribution.cut
    unit = jax.random.truncated_normal(key, -cut, cut, shape, dtype, out_sharding=out_sharding)
    return unit * distribution.scale


def draw(distribution: xc.Distribution, key: jax.Array, shape: Sequence[int],
         dtype: DTypeLike | None = None, out_sharding: OutSharding = None) -> jax.Array:
    """A ``jax.Array`` of ``shape`` from ``distribution``, in ``dtype``, placed by ``out_sharding``.

    Sampled in ``xavier_core.sampling_dtype(dtype)`` (float32, or float64 for float64) and cast
    once, so a bfloat16 weight takes thousands of distinct values, not the ~128 of a bfloat16
    sampler. A complex64/complex128 weight takes ``xavier_core.complex_law(distribution)``: real
    and imaginary parts from two split keys, each from the same family at half the variance,
    so E|w|^2 is the target (JAX's own complex truncated normal is 1.9 % high).
    ``out_sharding``: a ``NamedSharding`` or ``PartitionSpec`` as in ``jax.random``, over
    Explicit or Auto mesh axes (:mod:`xavier_adapters.jax.sharding`), or any other ``Sharding``.
    One compiled program per (distribution, shape, dtype, sharding), so an eager call gives the
    same values as a call under ``jax.jit``.
    """
    target = weight_dtype(dtype)
    xc.check_drawable(distribution, target.name)
    check_sharding(out_sharding, tuple(shape))
    return _draw(key, distribution, tuple(shape), target, out_sharding)


@partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _draw(key: jax.Array, distribution: xc.Distribution, shape: tuple[int, ...],
          dtype: np.dtype, out_sharding: OutSharding) -> jax.Array:
    by_sampler, by_partitioner = split_sharding(out_sharding)
    if xc.is_complex(dtype.name):
        # xavier_core.complex_law: both parts from the same family at half the variance
        part = xc.complex_law(distribution).part
        work = jnp.dtype(xc.part_dtype(dtype.name))
        real_key, imag_key = jax.random.split(key)
        values = jax.lax.complex(_sample(part, real_key, shape, work, by_sampler),
                                 _sample(part, imag_key, shape, work, by_sampler))
    else:
        work = jnp.dtype(xc.sampling_dtype(dtype.name))
        values = _sample(distribution, key, shape, work, by_sampler).astype(dtype)
    if by_partitioner is not None:
        values = jax.lax.with_sharding_constraint(values, by_partitioner)
    return values


@dataclass(frozen=True)
class Initializer:
    """A ``jax.nn.initializers.Initializer`` drawing ``spec`` for weights stored in ``layout``.

    ``init(key, shape, dtype=None, out_sharding=None)``: fans from ``layout.fans(shape)``,
    then :func:`draw`; a :class:`xavier_core.PortableKey` as ``key`` draws the portable values
    (:mod:`xavier_adapters.jax.portable`), bit for bit those of numpy, torch and Keras. A
    value, not a closure: it compares equal, hashes, pickles and prints.

    Args:
      spec: the variance-scaling spec (``xavier_core.glorot_uniform()``, ...).
      layout: how the weight's axes map to fans (``xavier_core.CHANNELS_LAST`` for Flax).
      dtype: the default dtype; the ``dtype`` passed to a call wins, as in ``jax.nn.initializers``.

    Example:
      >>> import jax, xavier_core as xc
      >>> init = Initializer(xc.glorot_uniform(), xc.CHANNELS_LAST.with_(groups=4))
      >>> init(jax.random.key(0), (3, 3, 8, 64)).shape   # Flax Conv 32->64, k3, 4 groups
      (3, 3, 8, 64)
    """

    spec: xc.VarianceScaling
    layout: xc.Layout = xc.CHANNELS_LAST
    dtype: DTypeLike | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.spec, xc.VarianceScaling):
            raise bad_argument("spec", self.spec, "a xavier_core.VarianceScaling")
        if not isinstance(self.layout, xc.Layout):
            raise bad_argument("layout", self.layout, "a xavier_core.Layout")
        if self.dtype is not None:
            float_dtype(self.dtype)

    def __call__(self, key: jax.Array, shape: Sequence[int], dtype: DTypeLike | None = None,
                 out_sharding: OutSharding = None) -> jax.Array:
        resolved = self.spec.resolve(shape, self.layout)
        chosen = self.dtype if dtype is None else dtype
        if isinstance(key, xc.PortableKey):  # the same values as numpy, torch and Keras
            from xavier_adapters.jax import portable

            return portable.draw(key, resolved.distribution, resolved.shape, self.layout,
                                 weight_dtype(chosen), out_sharding)
        return draw(resolved.distribution, key, resolved.shape, chosen, out_sharding)


def _layout(in_axis: Axes, out_axis: Axes, batch_axis: Axes) -> xc.Layout:
    """A hashable Layout from jax-style axes (Layout turns lists and numpy ints into tuples and
    ints, and names a bad axis argument)."""
    return xc.Layout(in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis)


def variance_scaling(
    scale: float,
    mode: xc.Mode,
    distribution: xc.DistributionName,
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """variance = scale / n, n = fan_in | fan_out | fan_avg | fan_geo_avg of the weight's axes.

    The signature of ``jax.nn.initializers.variance_scaling``; ``"normal"`` is untruncated
    there and here, ``"truncated_normal"`` has its final std corrected to sqrt(scale / n).

    Args:
      scale: a finite number >= 0 (gain^2 for Glorot, 2 for He).
      mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
      distribution: ``"uniform"``, ``"normal"`` or ``"truncated_normal"``.
      in_axis, out_axis, batch_axis, dtype: as :func:`glorot_uniform`.

    Returns:
      An :class:`Initializer`.

    Raises:
      XavierError: a bad scale, mode or distribution (now), or bad axes for a shape (at call).

    Example:
      >>> init = variance_scaling(2.0, "fan_in", "normal")            # He normal
    """
    spec = xc.VarianceScaling(scale=scale, mode=mode, distribution=distribution)
    return Initializer(spec, _layout(in_axis, out_axis, batch_axis), dtype)


def glorot_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
    *,
    gain: float = 1.0,
) -> Initializer:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
      in_axis, out_axis, batch_axis: the weight's axes, as in ``jax.nn.initializers``; other
        axes are the receptive field. The defaults are Flax's ``(..., in, out)``.
      dtype: the default dtype; the ``dtype`` of a call wins.
      gain: a finite number >= 0, e.g. ``xavier_core.calculate_gain("tanh")``.

    Returns:
      An :class:`Initializer`: ``init(key, shape, dtype=None, out_sharding=None)``.

    Raises:
      XavierError: a bad gain or dtype (now), or axes that do not fit a shape (at call).

    Example:
      >>> import flax.linen as nn
      >>> layer = nn.Dense(256, kernel_init=glorot_uniform())
    """
    return Initializer(xc.glorot_uniform(gain), _layout(in_axis, out_axis, batch_axis), dtype)


def glorot_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
    *,
    gain: float = 1.0,
) -> Initializer:
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)), untruncated.

    ``jax.nn.initializers.glorot_normal`` is truncated; that one is
    :func:`glorot_truncated_normal` here. Arguments, return and errors as :func:`glorot_uniform`.

    Example:
      >>> import jax
      >>> glorot_normal(gain=2 ** 0.5)(jax.random.key(0), (784, 256)).std() > 0.05
      Array(True, dtype=bool)
    """
    return Initializer(xc.glorot_normal(gain), _layout(in_axis, out_axis, batch_axis), dtype)


def glorot_truncated_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
    *,
    gain: float = 1.0,
) -> Initializer:
    """N(0, t^2) cut at +-2t, t = s / 0.8796..., so the final std is s = gain sqrt(2 / (in + out)).

    The law of ``jax.nn.initializers.glorot_normal``. Arguments, return and errors as
    :func:`glorot_uniform`.

    Example:
      >>> import jax
      >>> w = glorot_truncated_normal()(jax.random.key(0), (784, 256), jax.numpy.bfloat16)
    """
    return Initializer(xc.glorot_truncated_normal(gain), _layout(in_axis, out_axis, batch_axis),
                       dtype)


def _family(spec: xc.VarianceScaling, in_axis: int | Sequence[int],
            out_axis: int | Sequence[int], batch_axis: int | Sequence[int],
            dtype: DTypeLike | None) -> Initializer:
    return Initializer(spec, _layout(in_axis, out_axis, batch_axis), dtype)


def he_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """He (Kaiming): U(-a, a), a = sqrt(6 / fan_in), i.e. Var[W] = 2 / fan_in.

    He et al. (2015). The signature of ``jax.nn.initializers.he_uniform``, the same law.
    Arguments, return and errors as :func:`glorot_uniform` (without ``gain``).

    Example:
      >>> import jax
      >>> he_uniform()(jax.random.key(0), (3, 3, 16, 64)).shape
      (3, 3, 16, 64)
    """
    return _family(xc.he("uniform"), in_axis, out_axis, batch_axis, dtype)


def he_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """He (Kaiming): N(0, 2 / fan_in), untruncated (torch's ``kaiming_normal_``).

    ``jax.nn.initializers.he_normal`` is truncated; that law is :func:`he_truncated_normal`.
    Arguments, return and errors as :func:`he_uniform`.
    """
    return _family(xc.he("normal"), in_axis, out_axis, batch_axis, dtype)


def he_truncated_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """He (Kaiming), truncated at +-2t and corrected so the final variance is 2 / fan_in.

    The law of ``jax.nn.initializers.he_normal``. Arguments as :func:`he_uniform`.
    """
    return _family(xc.he("truncated_normal"), in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """LeCun: U(-a, a), a = sqrt(3 / fan_in), i.e. Var[W] = 1 / fan_in (for SELU).

    The signature of ``jax.nn.initializers.lecun_uniform``, the same law. Arguments as
    :func:`he_uniform`.
    """
    return _family(xc.lecun("uniform"), in_axis, out_axis, batch_axis, dtype)


def lecun_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """LeCun: N(0, 1 / fan_in), untruncated.

    ``jax.nn.initializers.lecun_normal`` is truncated; that law is
    :func:`lecun_truncated_normal`. Arguments as :func:`he_uniform`.
    """
    return _family(xc.lecun("normal"), in_axis, out_axis, batch_axis, dtype)


def lecun_truncated_normal(
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    batch_axis: int | Sequence[int] = (),
    dtype: DTypeLike | None = None,
) -> Initializer:
    """LeCun, truncated at +-2t and corrected so the final variance is 1 / fan_in.

    The law of ``jax.nn.initializers.lecun_normal``. Arguments as :func:`he_uniform`.
    """
    return _family(xc.lecun("truncated_normal"), in_axis, out_axis, batch_axis, dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def sample(
    spec: xc.VarianceScaling,
    shape: Sequence[int],
    layout: xc.Layout,
    dtype: str,
    seed: int,
    device: str | None = None,
) -> jax.Array:
    """One weight for the conformance suite: ``spec`` in ``layout``, keyed by ``seed``.

    Args:
      spec, shape, layout: what to draw, for a weight of ``shape`` stored in ``layout``.
      dtype: the weight's dtype name; ``"float64"`` needs x64 (``JAX_ENABLE_X64=1``).
      seed: the seed of ``jax.random.key``: the same arguments give the same values.
      device: a platform name (``"cpu"``, ``"gpu"``, ``"tpu"``); None: JAX's default device.

    Returns:
      A ``jax.Array`` on that device.

    Example:
      >>> import xavier_core as xc
      >>> sample(xc.glorot_normal(), (784, 256), xc.CHANNELS_LAST, "bfloat16", seed=0).dtype
      dtype(bfloat16)
    """
    key = jax.random.key(seed)
    if device is not None:
        key = jax.device_put(key, jax.devices(device)[0])
    return Initializer(spec, layout)(key, shape, dtype)
