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
- :class:`HeUniform`, :class:`HeNormal`, :class:`LecunUniform`, :class:`LecunNormal` (``*Normal``
  untruncated, as named; ``*TruncatedNormal`` is Keras' ``*Normal`` law) on the same base, and
  the rest of ``keras.initializers`` re-exported, with :func:`get`/:func:`deserialize` that
  resolve ``"he_normal"`` etc. to ours, so ``from xavier_adapters import keras as initializers``
  replaces ``from keras import initializers`` (:mod:`xavier_adapters.keras.namespace`).
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
    HeNormal,
    HeTruncatedNormal,
    HeUniform,
    LecunNormal,
    LecunTruncatedNormal,
    LecunUniform,
    VarianceScaling,
    from_spec,
    sample,
)
from xavier_adapters.keras.layers import RULES, EmbeddingWeight, keep_all, layer_plans
from xavier_adapters.keras.model import init_model
from xavier_adapters.keras.namespace import (
    STFT,
    Constant,
    Identity,
    IdentityInitializer,
    Initializer,
    Ones,
    Orthogonal,
    OrthogonalInitializer,
    RandomNormal,
    RandomUniform,
    STFTInitializer,
    TruncatedNormal,
    Zeros,
    constant,
    deserialize,
    get,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    identity,
    lecun_normal,
    lecun_uniform,
    ones,
    orthogonal,
    random_normal,
    random_uniform,
    serialize,
    stft,
    truncated_normal,
    variance_scaling,
    zeros,
)

__all__ = [
    "PACKAGE",
    "RULES",
    "STFT",
    "Constant",
    "EmbeddingWeight",
    "GlorotNormal",
    "GlorotTruncatedNormal",
    "GlorotUniform",
    "HeNormal",
    "HeTruncatedNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunTruncatedNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "deserialize",
    "from_spec",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "init_model",
    "keep_all",
    "layer_plans",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "sample",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

_REPLACED = {"LAYER_KERNELS": "RULES (an xavier_core.RuleRegistry: RULES.register(MyLayer, rule), "
                              "a rule returning {name: xc.rules.Weight | EmbeddingWeight | Bias | "
                              "Keep})",
             "kernel_layouts": "layer_plans(layer) (plans by variable name, or None)"}


def __getattr__(name: str) -> object:
    if name in _REPLACED:
        raise AttributeError(f"xavier_adapters.keras.{name} was replaced by {_REPLACED[name]}")
    raise AttributeError(f"module 'xavier_adapters.keras' has no attribute {name!r}")
