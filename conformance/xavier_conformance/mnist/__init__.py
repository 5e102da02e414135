"""The MNIST stage: the seed's program, trained with this project's Glorot init on every backend.

"Comparable accuracy" made measurable: the seed's Keras MLP (784-128-64-10, ReLU, softmax,
Glorot-uniform kernels, zero biases, Adam 1e-3, batch 32, pixels / 255) is trained in PyTorch,
JAX + optax and Keras on tensorflow, jax and torch, each in its own process, and the final test
accuracies must land in the same band as the seed's 97.64%.

    >>> from xavier_conformance import mnist
    >>> result = mnist.run_stage(tier="quick")                 # doctest: +SKIP
    >>> print(mnist.render(result))                            # doctest: +SKIP
    >>> mnist.save_plot(result, "curves.png")                  # doctest: +SKIP

The data: :func:`load_mnist` (the four IDX files, SHA-256 verified; ``XAVIER_MNIST_DIR``, then
the user cache, downloading there when needed). Nothing here imports a framework; the training
harnesses (``train_torch``, ``train_jax``, ``train_keras``) are imported only in the workers.
"""

from xavier_conformance.mnist.backends import ALL_BACKENDS
from xavier_conformance.mnist.data import (
    ENV_VAR,
    FILES,
    MIRRORS,
    IdxFile,
    Mnist,
    cache_dir,
    find_mnist,
    load_mnist,
    parse_idx,
    read_idx_gz,
)
from xavier_conformance.mnist.recipe import SEED_ACCURACY, SEED_CURVE, Arrays, Recipe, prepare
from xavier_conformance.mnist.report import render, save_plot
from xavier_conformance.mnist.results import TIERS, BackendResult, Run, StageResult, Tier
from xavier_conformance.mnist.stage import run_stage, save_outputs

__all__ = [
    "ALL_BACKENDS",
    "ENV_VAR",
    "FILES",
    "MIRRORS",
    "SEED_ACCURACY",
    "SEED_CURVE",
    "TIERS",
    "Arrays",
    "BackendResult",
    "IdxFile",
    "Mnist",
    "Recipe",
    "Run",
    "StageResult",
    "Tier",
    "cache_dir",
    "find_mnist",
    "load_mnist",
    "parse_idx",
    "prepare",
    "read_idx_gz",
    "render",
    "run_stage",
    "save_outputs",
    "save_plot",
]
