"""The paper's MLP in Keras 3 (the backend ``KERAS_BACKEND`` names), initialized through
``xavier_adapters.keras``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_adapters._require import require
from xavier_adapters.probes import keras as probe_keras
from xavier_conformance.experiment import paper
from xavier_core.diagnostics import LayerReport

keras = require("keras", "keras")

ACTIVATIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "softsign": "softsign"}
EVAL_BATCH = 1000


def name() -> str:
    return f"keras-{keras.backend.backend()}"


def _loss() -> Any:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def build(activation: str, spec: xc.VarianceScaling, seed: int,
          sizes: Sequence[tuple[int, int]] | None = None) -> Any:
    """Dense layers with ``activation`` (logits out), kernels from ``spec``, biases 0."""
    sizes = sizes or paper.layer_sizes()
    seeds = keras.random.SeedGenerator(seed)
    layers = [
        keras.layers.Dense(fan_out, activation=ACTIVATIONS[activation] if i < len(sizes) - 1
                           else None, kernel_initializer=xk.from_spec(spec, seed=seeds))
        for i, (_, fan_out) in enumerate(sizes)
    ]
    return keras.Sequential([keras.Input((sizes[0][0],)), *layers])


def probe(model: Any, images: NDArray, labels: NDArray) -> LayerReport:
    return probe_keras.probe(model, images, labels, loss=_loss())


def train(model: Any, images: NDArray, labels: NDArray, order: NDArray[np.int64],
          learning_rate: float) -> Any:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=_loss())
    batch_size = order.shape[1]
    per_fit = max(1, len(images) // batch_size)  # at most one epoch of copied images per fit
    for start in range(0, len(order), per_fit):
        chosen = order[start:start + per_fit].ravel()
        model.fit(images[chosen], labels[chosen], batch_size=batch_size, shuffle=False,
                  epochs=1, verbose=0)
    return model


def test_error(model: Any, images: NDArray, labels: NDArray) -> float:
    logits = model.predict(images, batch_size=EVAL_BATCH, verbose=0)
    return 100.0 * float((np.argmax(logits, axis=1) != labels).mean())
