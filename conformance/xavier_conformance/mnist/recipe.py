"""The seed's MNIST program as plain numbers that every backend builds from (DESIGN.md section 5).

A Keras MLP 784-128-64-10 (ReLU, softmax), Glorot-uniform kernels, zero biases, softmax
cross-entropy, Adam (lr 1e-3), batch 32, 10 epochs, pixels / 255. It reports 97.64% test accuracy
after 10 epochs; :data:`SEED_CURVE` is its per-epoch test accuracy.

What every backend shares, beyond the model: the data order. Epoch ``e`` of run ``seed`` visits
the training set in the order :func:`epoch_order` gives, drawn with numpy, so all backends see
the same batches; only their initial weights (the same distribution, each framework's own random
stream) and their arithmetic differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from xavier_conformance.mnist.data import Mnist

SEED_CURVE: tuple[float, ...] = (0.9624, 0.9731, 0.9741, 0.9728, 0.9781, 0.9774, 0.9757,
                                 0.9771, 0.9790, 0.9764)
"""The seed program's test accuracy after each of its 10 epochs."""
SEED_ACCURACY = SEED_CURVE[-1]
"""The seed program's final test accuracy, 97.64%."""


@dataclass(frozen=True)
class Recipe:
    """The model and its training, as the seed program has them.

    ``epsilon`` is Keras' default (the seed's optimizer); torch and optax are given the same
    value. Keras adds it to sqrt(v) before the bias correction, torch and optax after, a
    difference of a factor sqrt(1 - beta_2^t) on epsilon only.
    """

    layer_sizes: tuple[int, ...] = (784, 128, 64, 10)
    learning_rate: float = 1e-3
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    batch_size: int = 32
    epochs: int = 10

    @property
    def dense_shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each dense layer: [(784, 128), (128, 64), (64, 10)]."""
        return list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True))


class Arrays(NamedTuple):
    """MNIST ready to train on: float32 pixels / 255, flattened to 784; int32 labels."""

    x_train: NDArray[np.float32]
    y_train: NDArray[np.int32]
    x_test: NDArray[np.float32]
    y_test: NDArray[np.int32]


def prepare(data: Mnist) -> Arrays:
    """Flatten the images to (N, 784) and scale them to [0, 1] as the seed does (pixels / 255)."""

    def pixels(images: NDArray[np.uint8]) -> NDArray[np.float32]:
        return images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)

    return Arrays(pixels(data.train_images), data.train_labels.astype(np.int32),
                  pixels(data.test_images), data.test_labels.astype(np.int32))


def epoch_order(seed: int, epoch: int, size: int) -> NDArray[np.int64]:
    """The order in which epoch ``epoch`` of run ``seed`` visits ``size`` training examples."""
    return np.random.default_rng([seed, epoch]).permutation(size)


def layer_seeds(seed: int, count: int) -> list[int]:
    """``count`` distinct 31-bit seeds for the layers' initializers of run ``seed``."""
    state = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint32)
    return [int(s) >> 1 for s in state]


def accuracy(predicted: NDArray[np.integer], labels: NDArray[np.integer]) -> float:
    """The fraction of ``predicted`` class indices equal to ``labels``."""
    return float(np.mean(np.asarray(predicted) == np.asarray(labels)))
