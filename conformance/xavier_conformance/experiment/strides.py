"""Strided convolutions: do stride-aware fans keep the signal steady where stride-blind ones do not?

Every framework counts a convolution's fan_out as out_channels x kernel size. With stride s an
input unit feeds only out x prod(k / s) outputs (:func:`xavier_core.compute_fans`), so a
stride-blind Glorot draw is too small: for a ViT patch embedding (k = s = 16) 11x in std. This
experiment measures what that does, with the project's own layer probes, in PyTorch, Keras and
JAX (Flax linen), each initialized through its own model-level entry point with
``stride_aware=True`` and ``False``:

- ``strided-cnn``: 3x64x64 -> conv k3 s2 -> conv k3 s2 -> conv k4 s4 -> conv k3 s2 -> dense 10;
- ``vit``: 3x64x64 -> patch embedding conv k16 s16 (16 tokens of 192) -> 4 dense 192 -> dense 10.

Per hidden layer: Var[h] of its activations and Var[dC/ds] of the back-propagated gradient at its
pre-activation s, for one batch of N(0, 1) images with random labels, over several seeds. The
summary numbers per run are the geometric means over seeds of

    gradient ratio    Var[dC/ds] first hidden layer / last hidden layer   (1: gradients flow evenly)
    activation ratio  Var[h] last hidden layer / first hidden layer       (1: activations steady)
    first activation  Var[h] of the first hidden layer, the input having variance 1

Each framework module (``strided_torch``, ``strided_keras``, ``strided_jax``) offers
``name()``, ``build(net, activation, stride_aware, seed)`` and ``probe(model, images, labels)``.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc
from xavier_core.diagnostics import LayerReport
from xavier_core.errors import bad_argument

FRAMEWORKS: tuple[str, ...] = ("torch", "keras", "jax")
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu")
IMAGE = (3, 64, 64)
"""Channels, height, width of the input images (channels-last frameworks get (64, 64, 3))."""
CLASSES = 10


@dataclass(frozen=True)
class Conv:
    """A square 2-D convolution: ``out`` channels, kernel ``kernel``, stride ``stride``;
    ``same`` pads so that the output is ceil(input / stride), else no padding."""

    out: int
    kernel: int
    stride: int
    same: bool


@dataclass(frozen=True)
class Tokens:
    """(N, C, H, W) -> (N, H * W, C): the patches of a patch embedding as tokens."""


@dataclass(frozen=True)
class Dense:
    """A dense layer on the last axis (each token alike)."""

    out: int


Layer = Conv | Tokens | Dense
NETS: dict[str, tuple[Layer, ...]] = {
    "strided-cnn": (Conv(32, 3, 2, True), Conv(64, 3, 2, True), Conv(128, 4, 4, False),
                    Conv(128, 3, 2, True)),
    "vit": (Conv(192, 16, 16, False), Tokens(), Dense(192), Dense(192), Dense(192), Dense(192)),
}
"""The hidden layers of each net (each weight layer followed by the activation); the output
layer, a dense map of the flattened last hidden layer to 10 logits, is added by each builder."""


def load(framework: str) -> ModuleType:
    """The experiment's module for ``framework`` (imports the framework itself)."""
    if framework not in FRAMEWORKS:
        raise bad_argument("framework", framework, f"one of {', '.join(FRAMEWORKS)}")
    return importlib.import_module(f"xavier_conformance.experiment.strided_{framework}")


def batch(size: int, seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """``size`` N(0, 1) images (N, C, H, W) and uniform random labels, the same everywhere."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((size, *IMAGE), dtype=np.float32)
    return images, rng.integers(0, CLASSES, size)


def channels_last(images: NDArray[np.float32]) -> NDArray[np.float32]:
    """(N, C, H, W) -> (N, H, W, C), contiguous."""
    return np.ascontiguousarray(images.transpose(0, 2, 3, 1))


@dataclass(frozen=True)
class StrideRun:
    """One (framework, net, activation, stride_aware) probed over several seeds."""

    framework: str
    net: str
    activation: str
    stride_aware: bool
    reports: tuple[LayerReport, ...]

    def _geometric_mean(self, values: Sequence[float]) -> float:
        return math.exp(float(np.mean(np.log(values))))

    @property
    def gradient_ratio(self) -> float:
        """Var[dC/ds] first hidden / last hidden layer, geometric mean over seeds."""
        return self._geometric_mean([r.backprop_variance_ratio() for r in self.reports])

    @property
    def activation_ratio(self) -> float:
        """Var[h] last hidden / first hidden layer, geometric mean over seeds."""
        return self._geometric_mean([r.hidden[-1].activation_std ** 2
                                     / r.hidden[0].activation_std ** 2 for r in self.reports])

    @property
    def first_activation(self) -> float:
        """Var[h] of the first hidden layer (the input has variance 1), geometric mean."""
        return self._geometric_mean([r.hidden[0].activation_std ** 2 for r in self.reports])

    def per_layer(self, what: str) -> NDArray[np.float64]:
        """Var[h] (``"activation"``) or Var[dC/ds] (``"backprop"``) per hidden layer,
        geometric mean over seeds."""
        if what == "activation":
            values = [[rec.activation_std ** 2 for rec in r.hidden] for r in self.reports]
        elif what == "backprop":
            values = [[rec.backprop_variance for rec in r.hidden] for r in self.reports]
        else:
            raise bad_argument("what", what, "'activation' or 'backprop'")
        return np.exp(np.mean(np.log(np.asarray(values)), axis=0))

    @property
    def distance(self) -> float:
        """|log gradient ratio| + |log activation ratio| + |log first activation|: how far the
        signal drifts from steady, forward and backward (0 is perfectly steady)."""
        return sum(abs(math.log(v)) for v in (self.gradient_ratio, self.activation_ratio,
                                              self.first_activation))


def run(framework: ModuleType, net: str, activation: str, stride_aware: bool,
        seeds: Sequence[int], batch_size: int) -> StrideRun:
    """Build, initialize and probe one configuration once per seed, on the same batch."""
    images, labels = batch(batch_size)
    reports = tuple(framework.probe(framework.build(net, activation, stride_aware, seed),
                                    images, labels) for seed in seeds)
    return StrideRun(framework.name(), net, activation, stride_aware, reports)


def gain(activation: str) -> float:
    """The gain each run is initialized with: torch's recommendation for ``activation``."""
    return xc.calculate_gain(activation)


def table(runs: Sequence[StrideRun]) -> str:
    """One row per run: the three summary numbers and the drift."""
    header = ("framework", "net", "activation", "stride_aware", "gradient ratio",
              "activation ratio", "first Var[h]", "drift")
    rows = [(r.framework, r.net, r.activation, str(r.stride_aware), f"{r.gradient_ratio:.3g}",
             f"{r.activation_ratio:.3g}", f"{r.first_activation:.3g}", f"{r.distance:.2f}")
            for r in runs]
    return xc.render_table(header, rows)


def verdict(runs: Sequence[StrideRun]) -> tuple[int, int]:
    """(cases where stride-aware drifts less, cases compared): one case is a (framework, net,
    activation) measured both ways."""
    by_case: dict[tuple[str, str, str], dict[bool, StrideRun]] = {}
    for r in runs:
        by_case.setdefault((r.framework, r.net, r.activation), {})[r.stride_aware] = r
    pairs = [case for case in by_case.values() if len(case) == 2]
    wins = sum(case[True].distance < case[False].distance for case in pairs)
    return wins, len(pairs)
