"""The layer probe for PyTorch: one batch forward and backward through any ``torch.nn.Module``.

A *weight layer* is a leaf module whose ``weight`` is a parameter of rank >= 2 (Linear, ConvNd,
ConvTransposeNd, Embedding, ...). Its *activation* is the first ``torch.nn`` activation module
(Tanh, Sigmoid, Softsign, ReLU, ...) that runs after it and before the next weight layer; a
nonlinearity applied as a function (``torch.tanh(x)``) is invisible to the probe, and the record
then describes the layer's own output. A module that runs twice is reported for its first call.

Gradients are taken with ``torch.autograd.grad``: the parameters' ``.grad`` are left untouched.
The model runs in its current mode (call ``model.eval()`` first to switch dropout off).

Example:
  >>> import torch
  >>> from xavier_adapters.probes import torch as probe_torch
  >>> model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.Tanh(),
  ...                             torch.nn.Linear(100, 10))
  >>> report = probe_torch.probe(model, torch.randn(32, 784), torch.randint(0, 10, (32,)))
  >>> [record.activation for record in report]
  ['tanh', 'none']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from xavier_adapters._require import require
from xavier_core import XavierError
from xavier_core.diagnostics import MAX_VALUES, LayerReport, summarize

torch = require("torch", "torch")

if TYPE_CHECKING:
    from torch import Tensor, nn

Loss = Callable[["Tensor", "Tensor"], "Tensor"]
ACTIVATION_MODULE = "torch.nn.modules.activation"


@dataclass
class _Seen:
    """A weight layer's first call: its output s and, once it runs, its activation's output."""

    name: str
    module: nn.Module
    output: Tensor
    activation: str = "none"
    activated: Tensor | None = None


def is_weight_layer(module: nn.Module) -> bool:
    """A leaf module holding a ``weight`` parameter of rank >= 2."""
    weight = getattr(module, "weight", None)
    return (isinstance(weight, torch.nn.Parameter) and weight.dim() >= 2
            and next(module.children(), None) is None)


def is_activation(module: nn.Module) -> bool:
    """A leaf module from ``torch.nn``'s activation modules (Tanh, Sigmoid, ReLU, ...)."""
    return type(module).__module__ == ACTIVATION_MODULE and next(module.children(), None) is None


def _numpy(tensor: Tensor) -> np.ndarray:
    values = tensor.detach().cpu()
    return (values if values.dtype in (torch.float32, torch.float64) else values.float()).numpy()


def _record_calls(model: nn.Module, seen: list[_Seen]) -> list[torch.utils.hooks.RemovableHandle]:
    """Forward hooks that append each weight layer's first call to ``seen`` and attach the
    activation module that follows it."""
    called: set[int] = set()

    def on_weight_layer(name: str) -> Callable[..., None]:
        def hook(module: nn.Module, _inputs: object, output: Tensor) -> None:
            if id(module) not in called:
                called.add(id(module))
                seen.append(_Seen(name, module, output))
        return hook

    def on_activation(module: nn.Module, _inputs: object, output: Tensor) -> None:
        if seen and seen[-1].activated is None:
            seen[-1].activation = type(module).__name__
            seen[-1].activated = output

    handles = []
    for name, module in model.named_modules():
        if is_weight_layer(module):
            handles.append(module.register_forward_hook(on_weight_layer(name or "(model)")))
        elif is_activation(module):
            handles.append(module.register_forward_hook(on_activation))
    return handles


def probe(
    model: nn.Module,
    inputs: Tensor,
    targets: Tensor,
    *,
    loss: Loss | None = None,
    max_values: int = MAX_VALUES,
) -> LayerReport:
    """Run one batch forward and backward and describe every weight layer.

    Per weight layer, in the order they ran: the activations' mean, std and saturated fraction,
    Var[dC/ds] of the back-propagated gradient at its output s and Var[dC/dW] of its weight
    gradient (see :mod:`xavier_core.diagnostics`).

    Args:
      model: any ``torch.nn.Module``.
      inputs: the batch, passed as ``model(inputs)``.
      targets: what ``loss`` compares the outputs with (class indices by default).
      loss: ``loss(outputs, targets) -> scalar``; default ``torch.nn.functional.cross_entropy``
        (the model outputs logits).
      max_values: values of each kind kept per record for histograms.

    Returns:
      A :class:`~xavier_core.diagnostics.LayerReport`; ``print`` it for a table.

    Raises:
      XavierError: the model has no weight layer, or the loss is not a scalar.
    """
    seen: list[_Seen] = []
    handles = _record_calls(model, seen)
    try:
        with torch.enable_grad():
            outputs = model(inputs)
            value = (loss or torch.nn.functional.cross_entropy)(outputs, targets)
    finally:
        for handle in handles:
            handle.remove()
    if not seen:
        raise XavierError(f"probe found no weight layer (a leaf module with a weight of rank "
                          f">= 2) in model={type(model).__name__}")
    if value.dim() != 0:
        raise XavierError(f"loss must return a scalar, got a tensor of shape "
                          f"{tuple(value.shape)}")
    weights = [entry.module.weight for entry in seen]
    grads = torch.autograd.grad(value, [entry.output for entry in seen] + weights,
                                allow_unused=True)
    return LayerReport(
        summarize(
            entry.name, type(entry.module).__name__, tuple(entry.module.weight.shape),
            entry.activation,
            activations=_numpy(entry.output if entry.activated is None else entry.activated),
            backprop=_numpy(_or_zeros(backprop, entry.output)),
            weight_gradient=_numpy(_or_zeros(weight_grad, entry.module.weight)),
            max_values=max_values,
        )
        for entry, backprop, weight_grad in zip(seen, grads[:len(seen)], grads[len(seen):],
                                                strict=True)
    )


def _or_zeros(gradient: Tensor | None, like: Tensor) -> Tensor:
    """``autograd.grad`` gives None for a tensor the loss does not depend on: that is zero."""
    return torch.zeros_like(like) if gradient is None else gradient
