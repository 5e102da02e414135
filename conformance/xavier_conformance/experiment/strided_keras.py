"""The strided nets of :mod:`~xavier_conformance.experiment.strides` in Keras 3 (the backend
``KERAS_BACKEND`` names), initialized by ``xavier_adapters.keras.init_model``."""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

from xavier_adapters import keras as xk
from xavier_adapters._require import require
from xavier_adapters.probes import keras as probe_keras
from xavier_conformance.experiment import strides
from xavier_core.diagnostics import LayerReport

keras = require("keras", "keras")
layers = keras.layers


def name() -> str:
    return f"keras-{keras.backend.backend()}"


def build(net: str, activation: str, stride_aware: bool, seed: int) -> Any:
    """The net with ``activation`` after each hidden layer, Glorot-initialized by init_model."""
    stack: list[Any] = [keras.Input((*strides.IMAGE[1:], strides.IMAGE[0]))]
    channels = strides.IMAGE[0]
    for layer in strides.NETS[net]:
        if isinstance(layer, strides.Conv):
            stack.append(layers.Conv2D(layer.out, layer.kernel, strides=layer.stride,
                                       padding="same" if layer.same else "valid",
                                       activation=activation))
            channels = layer.out
        elif isinstance(layer, strides.Tokens):
            stack.append(layers.Reshape((-1, channels)))
        else:
            stack.append(layers.Dense(layer.out, activation=activation))
            channels = layer.out
    model = keras.Sequential([*stack, layers.Flatten(), layers.Dense(strides.CLASSES)])
    xk.init_model(model, gain=strides.gain(activation), bias="zeros", stride_aware=stride_aware,
                  seed=seed)
    return model


def probe(model: Any, images: NDArray, labels: NDArray) -> LayerReport:
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return probe_keras.probe(model, strides.channels_last(images), labels, loss=loss)
