"""The seed program (DESIGN.md section 5) runs with only its kernel_initializer changed.

The seed's model, compile call and batch size, on small learnable random data for a few steps
(the real MNIST training belongs to xavier_conformance.mnist).
"""

from __future__ import annotations

import keras
import numpy as np
from keras_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import keras as xk


def seed_model(kernel_initializer: object) -> keras.Sequential:
    """784-128-64-10, ReLU and softmax, Adam(1e-3), sparse categorical cross-entropy."""
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(128, activation="relu", kernel_initializer=kernel_initializer),
        keras.layers.Dense(64, activation="relu", kernel_initializer=kernel_initializer),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=kernel_initializer),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_seed_program_trains_with_xavier_glorot_uniform() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=640)
    pixels = rng.integers(0, 128, size=(640, 784)).astype("float32")
    for row, label in enumerate(labels):  # learnable: digit k brightens the k-th band of pixels
        pixels[row, 78 * label:78 * (label + 1)] += 127
    pixels /= 255.0

    model = seed_model(xk.GlorotUniform())
    kernels = [layer.kernel for layer in model.layers]
    for kernel in kernels:
        shape = tuple(kernel.shape)
        assert_matches(kernel, xc.glorot_uniform().resolve(shape).distribution, f"{shape}")

    history = model.fit(pixels, labels, batch_size=32, epochs=3, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)), f"got losses {losses}, but should be finite"
    assert losses[-1] < 0.5 * losses[0], f"got losses {losses}, but should halve or better"
