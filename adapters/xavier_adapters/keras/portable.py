"""Portable draws under Keras: ``seed=xavier_core.PortableKey(s)`` on any Keras backend.

The values are :mod:`xavier_core.portable`'s, bit for bit those of numpy, torch and JAX: on the
torch backend through :func:`xavier_adapters.torch.portable_fill_`, on the JAX backend through
:mod:`xavier_adapters.jax.portable`, on TensorFlow with TF ops under
``tf.function(jit_compile=True)``. The same key gives the same values on every call, as an int
seed does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core import portable as xp

keras = require("keras", "keras")


class TfOps:
    """:class:`xavier_core.portable.Ops` with TensorFlow ops."""

    def __init__(self) -> None:
        import tensorflow as tf

        self.tf = tf

    def constant_i32(self, values: np.ndarray) -> Any:
        return self.tf.constant(np.asarray(values, dtype=np.int32))

    def shl(self, x: Any, n: int) -> Any:
        return self.tf.bitwise.left_shift(x, self.tf.constant(n, x.dtype))

    def sar(self, x: Any, n: int) -> Any:
        return self.tf.bitwise.right_shift(x, self.tf.constant(n, x.dtype))

    def to_int64(self, x: Any) -> Any:
        return self.tf.cast(x, self.tf.int64)

    def to_float32(self, x: Any) -> Any:
        return self.tf.cast(x, self.tf.float32)

    def to_float64(self, x: Any) -> Any:
        return self.tf.cast(x, self.tf.float64)

    def bitcast_to_int32(self, x: Any) -> Any:
        return self.tf.bitcast(x, self.tf.int32)

    def bitcast_to_float32(self, x: Any) -> Any:
        return self.tf.bitcast(x, self.tf.float32)

    def sqrt(self, x: Any) -> Any:
        return self.tf.sqrt(x)

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        return self.tf.where(condition, x, y)

    def clip(self, x: Any, low: float, high: float) -> Any:
        return self.tf.clip_by_value(x, np.float32(low), np.float32(high))


def draw(distribution: xc.Distribution, shape: tuple[int, ...], work: str,
         key: xc.PortableKey, layout: xc.Layout) -> Any:
    """A backend tensor of ``shape`` in the sampling dtype ``work``: the portable draw."""
    backend = keras.config.backend()
    if backend == "torch":
        from xavier_adapters.torch import portable_fill_

        return portable_fill_(keras.ops.zeros(shape, work), distribution, key, layout)
    if backend == "jax":
        from xavier_adapters.jax import portable as jp

        return jp.draw(key, distribution, shape, layout, np.dtype(work))
    if backend == "tensorflow":
        import tensorflow as tf

        program = tf.function(lambda: xp.draw(TfOps(), key, distribution, shape, layout, work),
                              jit_compile=True)
        return program()
    raise xc.errors.bad_argument("backend", backend, "tensorflow, jax or torch for a PortableKey")
