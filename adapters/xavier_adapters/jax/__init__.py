"""xavier_adapters.jax: the xavier_core spec as native JAX initializers, for Flax and Equinox.

Glorot & Bengio (2010): Var[W] = 2 gain^2 / (fan_in + fan_out).

- :func:`glorot_uniform`, :func:`glorot_normal` (untruncated), :func:`glorot_truncated_normal`
  and :func:`variance_scaling` take ``jax.nn.initializers``' arguments and return
  ``init(key, shape, dtype=None, out_sharding=None)``: pure, ``jax.jit``-able, a Flax
  ``kernel_init``. float16/bfloat16 are sampled in float32 and cast once; float64 needs x64.
  With ``out_sharding`` each shard is built on its device, from the fans of the global shape, and
  the values equal the unsharded call's.
- the rest of ``jax.nn.initializers``, so ``from xavier_adapters import jax as initializers``
  replaces ``from jax.nn import initializers``: :func:`he_uniform`/:func:`he_normal`,
  :func:`lecun_uniform`/:func:`lecun_normal` and the ``xavier_*``/``kaiming_*`` aliases are
  ours (``*_normal`` untruncated, as named;
  ``*_truncated_normal`` is JAX's ``*_normal`` law); ``constant``, ``zeros``, ``ones``,
  ``uniform``, ``normal``, ``truncated_normal``, ``orthogonal`` and ``delta_orthogonal`` are
  JAX's own, re-exported (:mod:`xavier_adapters.jax.namespace`).
- :func:`init_params` Glorot-initializes a whole Flax (linen, nnx) or Equinox model layer by
  layer, with the right fans for grouped, transposed and packed weights, and reports what it did;
  :func:`plan_params` gives each weight's layout, to draw another spec with it; sharded leaves
  keep their shardings.
- :func:`with_partitioning`: Flax's ``nnx.with_partitioning`` that passes ``out_sharding`` to the
  initializer, so under a mesh each device builds only its shard.

Example:
  >>> import jax, flax.linen as nn
  >>> from xavier_adapters import jax as xj
  >>> layer = nn.Dense(256, kernel_init=xj.glorot_uniform())
  >>> variables = layer.init(jax.random.key(0), jax.numpy.ones((1, 784)))
  >>> variables, report = xj.init_params(variables, jax.random.key(1), model=layer,
  ...                                    args=(jax.numpy.ones((1, 784)),))
  >>> report["kernel"].fans
  Fans(fan_in=784, fan_out=256)
"""

from xavier_adapters.jax.initializers import (
    Initializer,
    draw,
    glorot_normal,
    glorot_truncated_normal,
    glorot_uniform,
    he_normal,
    he_truncated_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_truncated_normal,
    lecun_uniform,
    sample,
    variance_scaling,
    weight_dtype,
    xavier_normal,
    xavier_uniform,
)
from xavier_adapters.jax.layers import RULES
from xavier_adapters.jax.namespace import (
    constant,
    delta_orthogonal,
    normal,
    ones,
    orthogonal,
    truncated_normal,
    uniform,
    zeros,
)
from xavier_adapters.jax.params import init_params, plan_params
from xavier_adapters.jax.partitioning import with_partitioning
from xavier_core.rules import Plan

__all__ = [
    "RULES",
    "Initializer",
    "Plan",
    "constant",
    "delta_orthogonal",
    "draw",
    "glorot_normal",
    "glorot_truncated_normal",
    "glorot_uniform",
    "he_normal",
    "he_truncated_normal",
    "he_uniform",
    "init_params",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_truncated_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "plan_params",
    "sample",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "weight_dtype",
    "with_partitioning",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
