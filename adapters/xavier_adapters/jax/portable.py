"""Portable draws in JAX: a ``xavier_core.PortableKey`` in place of a ``jax.random`` key.

A uniform draw is ``jax.random.uniform`` itself (bit for bit the portable values, see
:mod:`xavier_core.portable`) over the weight's canonical shape, transposed to its layout; normal
and truncated normal draws evaluate :mod:`xavier_core.portable`'s definition with JAX ops under
``jax.jit`` (with x64 on inside the trace: the multiply-adds are exact in float64). With
``out_sharding`` over Auto axes XLA partitions the elementwise program (each device computes its
own slice); over Explicit axes a canonical-layout uniform is built sharded by ``jax.random``, the
other draws are computed whole and resharded.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.jax.sharding import split_sharding
from xavier_core import portable as xp

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:
    jax = require("jax", "jax")
    jnp = require("jax.numpy", "jax")


class JaxOps:
    """:class:`xavier_core.portable.Ops` with ``jax.numpy`` (traced under ``jax.jit``)."""

    def constant_i32(self, values: np.ndarray) -> Any:
        return jnp.asarray(np.asarray(values, dtype=np.int32))

    def shl(self, x: Any, n: int) -> Any:
        return jax.lax.shift_left(x, jnp.asarray(n, x.dtype))

    def sar(self, x: Any, n: int) -> Any:
        return jax.lax.shift_right_arithmetic(x, jnp.asarray(n, x.dtype))

    def to_int64(self, x: Any) -> Any:
        return x.astype(jnp.int64)

    def to_float32(self, x: Any) -> Any:
        return x.astype(jnp.float32)

    def to_float64(self, x: Any) -> Any:
        return x.astype(jnp.float64)

    def bitcast_to_int32(self, x: Any) -> Any:
        return jax.lax.bitcast_convert_type(x, jnp.int32)

    def bitcast_to_float32(self, x: Any) -> Any:
        return jax.lax.bitcast_convert_type(x, jnp.float32)

    def sqrt(self, x: Any) -> Any:
        return jnp.sqrt(x)

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        return jnp.where(condition, x, y)

    def clip(self, x: Any, low: float, high: float) -> Any:
        return jnp.clip(x, np.float32(low), np.float32(high))


def jax_key(key: xc.PortableKey) -> jax.Array:
    """The ``jax.random`` threefry key with ``key``'s words (``jax.random.key(seed)`` for
    ``PortableKey(seed)``)."""
    return jax.random.wrap_key_data(np.asarray(key.words, dtype=np.uint32), impl="threefry2x32")


def draw(key: xc.PortableKey, distribution: xc.Distribution, shape: tuple[int, ...],
         layout: xc.Layout, dtype: np.dtype, out_sharding: Any = None) -> jax.Array:
    """The portable draw of a weight of ``shape`` in ``layout``, cast once to ``dtype``."""
    xp.sampling_dtype(dtype)  # refuses a complex dtype: portable draws are real
    return _draw(key, distribution, tuple(shape), layout, np.dtype(dtype), out_sharding)


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4, 5))
def _draw(key: xc.PortableKey, distribution: xc.Distribution, shape: tuple[int, ...],
          layout: xc.Layout, dtype: np.dtype, out_sharding: Any) -> jax.Array:
    work = xc.sampling_dtype(dtype.name)
    order = xp.canonical_axes(layout, len(shape))
    by_sampler, by_partitioner = split_sharding(out_sharding)
    identity = order == tuple(range(len(shape)))
    native = (isinstance(distribution, xc.Uniform) and jax.config.jax_threefry_partitionable
              and (work == "float32" or jax.config.jax_enable_x64))
    if native:
        canonical = tuple(shape[a] for a in order)
        bound = float(np.dtype(work).type(distribution.bound))
        values = jax.random.uniform(jax_key(key), canonical, jnp.dtype(work), -bound, bound,
                                    out_sharding=by_sampler if identity else None)
        if not identity:
            values = jnp.transpose(values, tuple(int(a) for a in np.argsort(order)))
    else:
        with jax.enable_x64(True):
            values = xp.draw(JaxOps(), key, distribution, shape, layout, work)
    values = values.astype(dtype)
    if by_sampler is not None and not (native and identity):
        values = jax.sharding.reshard(values, by_sampler)
    if by_partitioner is not None:
        values = jax.lax.with_sharding_constraint(values, by_partitioner)
    return values
