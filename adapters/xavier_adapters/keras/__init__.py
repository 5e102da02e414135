"""xavier_adapters.keras: the xavier_core spec as native Keras 3 initializers, on every backend.

Works under ``KERAS_BACKEND=tensorflow``, ``jax`` and ``torch``, sampling with Keras' own random
ops on the backend's device::

    import keras
    from xavier_adapters import keras as xk

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="tanh",
                            kernel_initializer=xk.GlorotUniform(gain=5 / 3)),
        keras.layers.DepthwiseConv2D(3),
    ])
    report = xk.init_model(model, "normal", gain="tanh", seed=0)   # every kernel, its fans
    print(report)                                                 # DepthwiseConv2D: (9, 9)

- :class:`GlorotUniform`, :class:`GlorotNormal` (untruncated), :class:`GlorotTruncatedNormal`
  and their base :class:`VarianceScaling`: ``keras.initializers.Initializer`` subclasses with
  ``gain``, ``seed`` and explicit axes, registered as ``"xavier_init>GlorotUniform"`` etc.
- :func:`init_model`: redraws the kernels of a built model with the fans of each layer type
  (the rules of :data:`RULES`, which a user may extend with their own layer types).
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
from xavier_adapters.keras.layers import RULES, EmbeddingWeight, keep_all, layer_plans
from xavier_adapters.keras.model import init_model

__all__ = [
    "PACKAGE",
    "RULES",
    "EmbeddingWeight",
    "GlorotNormal",
    "GlorotTruncatedNormal",
    "GlorotUniform",
    "VarianceScaling",
    "from_spec",
    "init_model",
    "keep_all",
    "layer_plans",
    "sample",
]

_REPLACED = {"LAYER_KERNELS": "RULES (an xavier_core.RuleRegistry: RULES.register(MyLayer, rule), "
                              "a rule returning {name: xc.rules.Weight | EmbeddingWeight | Bias | "
                              "Keep})",
             "kernel_layouts": "layer_plans(layer) (plans by variable name, or None)"}


def __getattr__(name: str) -> object:
    if name in _REPLACED:
        raise AttributeError(f"xavier_adapters.keras.{name} was replaced by {_REPLACED[name]}")
    raise AttributeError(f"module 'xavier_adapters.keras' has no attribute {name!r}")
