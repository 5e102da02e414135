"""The strided nets of :mod:`~xavier_conformance.experiment.strides` in PyTorch, initialized by
``xavier_adapters.torch.init_model``."""

from __future__ import annotations

import math

from numpy.typing import NDArray

from xavier_adapters import torch as xt
from xavier_adapters._require import require
from xavier_adapters.probes import torch as probe_torch
from xavier_conformance.experiment import strides
from xavier_core.diagnostics import LayerReport

torch = require("torch", "torch")
nn = torch.nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class Tokens(nn.Module):
    """(N, C, H, W) -> (N, H * W, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


def name() -> str:
    return "torch"


def build(net: str, activation: str, stride_aware: bool, seed: int) -> nn.Sequential:
    """The net with ``activation`` after each hidden layer, Glorot-initialized by init_model."""
    layers: list[nn.Module] = []
    channels, size = strides.IMAGE[0], strides.IMAGE[1:]
    tokens = None
    for layer in strides.NETS[net]:
        if isinstance(layer, strides.Conv):
            padding = (layer.kernel - 1) // 2 if layer.same else 0
            layers += [nn.Conv2d(channels, layer.out, layer.kernel, layer.stride, padding),
                       ACTIVATIONS[activation]()]
            channels = layer.out
            size = tuple((d + 2 * padding - layer.kernel) // layer.stride + 1 for d in size)
        elif isinstance(layer, strides.Tokens):
            layers.append(Tokens())
            tokens = math.prod(size)
        else:
            layers += [nn.Linear(channels, layer.out), ACTIVATIONS[activation]()]
            channels = layer.out
    flat = channels * (tokens if tokens is not None else math.prod(size))
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, strides.CLASSES))
    xt.init_model(model, gain=strides.gain(activation), stride_aware=stride_aware,
                  generator=torch.Generator().manual_seed(seed))
    return model


def probe(model: nn.Sequential, images: NDArray, labels: NDArray) -> LayerReport:
    return probe_torch.probe(model, torch.from_numpy(images), torch.from_numpy(labels))
