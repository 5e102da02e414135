"""The MNIST arrays the experiment uses, behind one function (:func:`load`).

The files come from the project's verified loader, :func:`xavier_conformance.mnist.load_mnist`
(``--data-dir``, then ``$XAVIER_MNIST_DIR``, then the user cache); here images are flattened to
784 floats in [0, 1] (pixels / 255) and labels made int32.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xavier_conformance.mnist.data import ENV_VAR, load_mnist

__all__ = ["ENV_VAR", "Arrays", "load"]


@dataclass(frozen=True)
class Arrays:
    """MNIST as the experiment feeds it: flat float32 images in [0, 1], int32 labels."""

    train_images: NDArray[np.float32]
    train_labels: NDArray[np.int32]
    test_images: NDArray[np.float32]
    test_labels: NDArray[np.int32]

    def probe_batch(self, size: int) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
        """The first ``size`` training examples: the one batch every probe sees."""
        return self.train_images[:size], self.train_labels[:size]


def _flat(images: NDArray[np.uint8]) -> NDArray[np.float32]:
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)


def load(data_dir: str | os.PathLike[str] | None = None) -> Arrays:
    """MNIST, verified, as :class:`Arrays`.

    Raises:
      XavierError: the files cannot be found or fetched, or one fails its check.
    """
    mnist = load_mnist(data_dir)
    return Arrays(_flat(mnist.train_images), mnist.train_labels.astype(np.int32),
                  _flat(mnist.test_images), mnist.test_labels.astype(np.int32))
