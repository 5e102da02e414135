"""The paper's MLP in PyTorch, initialized through ``xavier_adapters.torch``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_adapters._require import require
from xavier_adapters.probes import torch as probe_torch
from xavier_conformance.experiment import paper
from xavier_core.diagnostics import LayerReport

torch = require("torch", "torch")
nn = torch.nn

ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softsign": nn.Softsign}
EVAL_BATCH = 1000


def name() -> str:
    return "torch"


def build(activation: str, spec: xc.VarianceScaling, seed: int,
          sizes: Sequence[tuple[int, int]] | None = None) -> nn.Sequential:
    """Linear layers with ``activation`` between them, weights from ``spec``, biases 0."""
    generator = torch.Generator().manual_seed(seed)
    sizes = sizes or paper.layer_sizes()
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(sizes):
        linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            xt.variance_scaling_(linear.weight, spec, generator)
            linear.bias.zero_()
        layers.append(linear)
        if index < len(sizes) - 1:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def probe(model: nn.Sequential, images: NDArray, labels: NDArray) -> LayerReport:
    return probe_torch.probe(model, torch.from_numpy(images), torch.from_numpy(labels).long())


def train(model: nn.Sequential, images: NDArray, labels: NDArray, order: NDArray[np.int64],
          learning_rate: float) -> nn.Sequential:
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    inputs, targets = torch.from_numpy(images), torch.from_numpy(labels).long()
    for batch in torch.from_numpy(order):
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(inputs[batch]), targets[batch]).backward()
        optimizer.step()
    return model


@torch.no_grad()
def test_error(model: nn.Sequential, images: NDArray, labels: NDArray) -> float:
    inputs = torch.from_numpy(images)
    predicted = torch.cat([model(chunk).argmax(1) for chunk in inputs.split(EVAL_BATCH)])
    return 100.0 * float((predicted.numpy() != labels).mean())
