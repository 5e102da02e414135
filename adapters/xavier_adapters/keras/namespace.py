"""The whole ``keras.initializers`` surface: ``from xavier_adapters import keras as initializers``.

Ours (the variance-scaling family, on our :class:`~xavier_adapters.keras.VarianceScaling`):
``VarianceScaling``, ``GlorotUniform``, ``GlorotNormal``, ``HeUniform``, ``HeNormal``,
``LecunUniform``, ``LecunNormal`` and their snake-case aliases (``glorot_uniform`` is the class,
as in Keras), plus ``get``/``deserialize`` that resolve those names to ours. Keras' own,
re-exported: ``Initializer``, ``Constant``, ``Zeros``, ``Ones``, ``Identity``, ``Orthogonal``,
``RandomNormal``, ``RandomUniform``, ``TruncatedNormal``, ``STFT`` (and their aliases) and
``serialize``.
"""

from __future__ import annotations

from typing import Any

from xavier_adapters._require import require
from xavier_adapters.keras.initializers import (
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
)

keras = require("keras", "keras")
_K = keras.initializers

Initializer = _K.Initializer
Constant, constant = _K.Constant, _K.constant
Zeros, zeros = _K.Zeros, _K.zeros
Ones, ones = _K.Ones, _K.ones
Identity, IdentityInitializer, identity = _K.Identity, _K.IdentityInitializer, _K.identity
Orthogonal, OrthogonalInitializer, orthogonal = (_K.Orthogonal, _K.OrthogonalInitializer,
                                                 _K.orthogonal)
RandomNormal, random_normal = _K.RandomNormal, _K.random_normal
RandomUniform, random_uniform = _K.RandomUniform, _K.random_uniform
TruncatedNormal, truncated_normal = _K.TruncatedNormal, _K.truncated_normal
STFT, STFTInitializer, stft = _K.STFT, _K.STFTInitializer, _K.stft
serialize = _K.serialize

variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal

OUR_CLASSES: dict[str, type[VarianceScaling]] = {
    cls.__name__: cls for cls in (VarianceScaling, GlorotUniform, GlorotNormal,
                                  GlorotTruncatedNormal, HeUniform, HeNormal, HeTruncatedNormal,
                                  LecunUniform, LecunNormal, LecunTruncatedNormal)}
"""Our classes by class name."""
IDENTIFIERS: dict[str, type[VarianceScaling]] = {
    **OUR_CLASSES,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "glorot_truncated_normal": GlorotTruncatedNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "he_truncated_normal": HeTruncatedNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "lecun_truncated_normal": LecunTruncatedNormal,
}
"""The string identifiers :func:`get` and :func:`deserialize` resolve to our classes (Keras'
spellings, class and snake case); ``"xavier_init>HeNormal"`` works in Keras' own ``get`` too."""


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """``keras.initializers.deserialize`` with our classes for our names (``custom_objects`` wins).

    Example:
      >>> type(deserialize({"class_name": "HeNormal", "config": {"seed": 1}})).__module__
      'xavier_adapters.keras.initializers'
    """
    return _K.deserialize(config, custom_objects={**IDENTIFIERS, **(custom_objects or {})})


def get(identifier: Any) -> Any:
    """``keras.initializers.get``, with our classes for our names.

    A string (``"he_normal"``, ``"HeNormal"``, ``"xavier_init>HeNormal"``) or a config dict gives
    an instance of ours where the name is one of :data:`IDENTIFIERS`, else Keras' own; None gives
    None; anything else is as in Keras (a callable is returned, a class instantiated, a tensor
    becomes a constant initializer).

    Raises:
      ValueError: an unknown name (Keras' own error).

    Example:
      >>> type(get("he_uniform")).__name__, type(get("zeros")).__name__
      ('HeUniform', 'Zeros')
    """
    if isinstance(identifier, str) and identifier in IDENTIFIERS:
        return IDENTIFIERS[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return _K.get(identifier)


OURS = ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
        "VarianceScaling", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
        "he_uniform", "lecun_normal", "lecun_uniform", "variance_scaling")
"""The names of ``keras.initializers`` that are ours here."""
KERAS_OWN = ("Constant", "Identity", "IdentityInitializer", "Initializer", "Ones", "Orthogonal",
             "OrthogonalInitializer", "RandomNormal", "RandomUniform", "STFT", "STFTInitializer",
             "TruncatedNormal", "Zeros", "constant", "identity", "ones", "orthogonal",
             "random_normal", "random_uniform", "serialize", "stft", "truncated_normal", "zeros")
"""The names of ``keras.initializers`` re-exported unchanged."""
