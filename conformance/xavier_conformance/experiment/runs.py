"""The experiment's two runs: probes at initialization, and a short SGD training.

Every framework sees the same data: the probe batch is the first training examples, and the
training batches come from :func:`batch_order`, drawn with numpy; only each framework's own
random weights (the same distribution, through this project's adapters) differ.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc
from xavier_conformance.experiment import paper
from xavier_conformance.experiment.analysis import RatioSummary
from xavier_conformance.experiment.data import Arrays
from xavier_core.diagnostics import LayerReport
from xavier_core.errors import bad_argument


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise bad_argument(name, value, f"one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class InitRun:
    """One (framework, activation, init) probed at initialization, one report per seed."""

    framework: str
    activation: str
    init: str
    reports: tuple[LayerReport, ...]

    @property
    def summary(self) -> RatioSummary:
        ratios = tuple(report.backprop_variance_ratio() for report in self.reports)
        return RatioSummary(self.framework, self.activation, self.init, ratios)


def _spec(init: str | xc.VarianceScaling) -> tuple[str, xc.VarianceScaling]:
    if isinstance(init, xc.VarianceScaling):
        return repr(init), init
    return init, paper.INITS[_check_choice("init", init, tuple(paper.INITS))]


def probe_at_init(framework: ModuleType, activation: str, init: str | xc.VarianceScaling,
                  seeds: Sequence[int], images: NDArray, labels: NDArray,
                  sizes: Sequence[tuple[int, int]] | None = None) -> InitRun:
    """Build the paper's MLP once per seed and probe it on (``images``, ``labels``).

    Args:
      framework: a module from :func:`xavier_conformance.experiment.frameworks.load`.
      activation: one of :data:`paper.ACTIVATIONS`.
      init: ``"standard"``, ``"glorot"`` or any variance-scaling spec.
      seeds: one network per seed.
      sizes: (fan_in, fan_out) per layer; the paper's 784 -> 5 x 1000 -> 10 by default.
    """
    _check_choice("activation", activation, paper.ACTIVATIONS)
    init_name, spec = _spec(init)
    reports = tuple(framework.probe(framework.build(activation, spec, seed, sizes), images,
                                    labels) for seed in seeds)
    return InitRun(framework.name(), activation, init_name, reports)


def batch_order(seed: int, steps: int, batch_size: int, examples: int) -> NDArray[np.int64]:
    """(steps, batch_size) example indices: epoch after epoch of fresh permutations."""
    if steps < 1 or batch_size < 1:
        raise bad_argument("steps", steps, "a positive integer, with batch_size >= 1")
    rng = np.random.default_rng(seed)
    epochs = -(-steps * batch_size // examples)
    flat = np.concatenate([rng.permutation(examples) for _ in range(epochs)])
    return flat[: steps * batch_size].reshape(steps, batch_size)


@dataclass(frozen=True)
class TrainRun:
    """One short training run and its test error (percent)."""

    framework: str
    activation: str
    init: str
    steps: int
    learning_rate: float
    test_error: float
    seconds: float


def train_once(framework: ModuleType, activation: str, init: str | xc.VarianceScaling,
               data: Arrays, *, steps: int,
               learning_rate: float, seed: int = 0, batch_size: int = paper.BATCH_SIZE,
               test_examples: int | None = None) -> TrainRun:
    """Train the paper's MLP with SGD for ``steps`` mini-batches and measure its test error."""
    _check_choice("activation", activation, paper.ACTIVATIONS)
    init, spec = _spec(init)
    order = batch_order(seed, steps, batch_size, len(data.train_images))
    start = time.perf_counter()
    model = framework.build(activation, spec, seed)
    model = framework.train(model, data.train_images, data.train_labels, order, learning_rate)
    count = test_examples or len(data.test_images)
    error = framework.test_error(model, data.test_images[:count], data.test_labels[:count])
    return TrainRun(framework.name(), activation, init, steps, learning_rate, error,
                    time.perf_counter() - start)
