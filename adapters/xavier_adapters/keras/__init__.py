"""xavier_adapters.keras: the xavier_core spec as native Keras 3 initializers, on every backend.

Works under ``KERAS_BACKEND=tensorflow``, ``jax`` and ``torch``, sampling with Keras' own random
ops on the backend's device::

    import keras
    import xavier_core as xc
    from xavier_adapters import keras as xk

    layer = keras.layers.Dense(128, activation="tanh",
                               kernel_initializer=xk.GlorotUniform(gain=5 / 3))
    report = xk.init_model(model, xc.glorot_normal(), seed=0)   # every kernel, right fans
    print(report)

- :class:`GlorotUniform`, :class:`GlorotNormal` (untruncated), :class:`GlorotTruncatedNormal`
  and their base :class:`VarianceScaling`: ``keras.initializers.Initializer`` subclasses with
  ``gain``, ``seed`` and explicit axes, registered as ``"xavier_init>GlorotUniform"`` etc.
- :func:`init_model`: redraws the kernels of a built model with the fans of each layer type.
- :func:`from_spec` and :func:`sample`: any ``xavier_core`` spec as an initializer, and the
  conformance suite's sampler.
"""

from xavier_adapters.keras.initializers import (
    PACKAGE,
    GlorotNormal,
    GlorotTruncatedNormal,
    GlorotUniform,
    VarianceScaling,
    from_spec,
    sample,
)
from xavier_adapters.keras.model import LAYER_KERNELS, init_model, kernel_layouts
from xavier_adapters.keras.seeds import SeedStream

__all__ = [
    "LAYER_KERNELS",
    "PACKAGE",
    "GlorotNormal",
    "GlorotTruncatedNormal",
    "GlorotUniform",
    "SeedStream",
    "VarianceScaling",
    "from_spec",
    "init_model",
    "kernel_layouts",
    "sample",
]
