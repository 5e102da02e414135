"""The layer probe for JAX: one batch forward and backward through a Flax linen ``Module``.

A *weight layer* is a submodule with its own ``kernel`` parameter (``nn.Dense``, ``nn.Conv``,
...). Its output s is read, and dC/ds obtained, by an ``nn.intercept_methods`` interceptor that
adds a zero perturbation to s and differentiates with respect to it (one ``jax.jit`` of
``jax.grad``; the model's code is not touched). Its *activation* is the first activation
function (``nn.tanh``, ``nn.sigmoid``, ``nn.soft_sign``, ``nn.relu``, ...) applied after it and
before the next weight layer inside an ``nn.Sequential``, which the probe steps through itself;
an activation called inside a module's own ``__call__`` is invisible, and the record then
describes the layer's own output. A module that runs twice is reported for its first call.

Example:
  >>> import jax, jax.numpy as jnp, flax.linen as nn
  >>> from xavier_adapters.probes import jax as probe_jax
  >>> model = nn.Sequential([nn.Dense(100), nn.tanh, nn.Dense(10)])
  >>> x, y = jnp.ones((32, 784)), jnp.zeros(32, dtype=jnp.int32)
  >>> report = probe_jax.probe(model, model.init(jax.random.key(0), x), x, y)
  >>> [record.activation for record in report]
  ['tanh', 'none']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from xavier_adapters._require import require
from xavier_core import XavierError
from xavier_core.diagnostics import MAX_VALUES, LayerReport, summarize

jax = require("jax", "jax")
nn = require("flax.linen", "flax")
jnp = jax.numpy

Loss = Callable[[Any, Any], Any]
ACTIVATION_NAMES = ("tanh", "sigmoid", "soft_sign", "hard_tanh", "relu", "relu6", "leaky_relu",
                    "elu", "celu", "selu", "gelu", "silu", "swish", "mish", "softplus",
                    "log_sigmoid", "hard_sigmoid", "hard_silu", "softmax", "log_softmax")
ACTIVATION_FUNCTIONS: dict[Callable[..., Any], str] = {
    getattr(jax.nn, name): name for name in ACTIVATION_NAMES if hasattr(jax.nn, name)
}
"""The functions counted as activations, by identity: ``jax.nn``'s (which ``flax.linen``
re-exports; ``nn.tanh`` is ``jax.numpy.tanh``)."""


def cross_entropy(logits: Any, labels: Any) -> Any:
    """mean over the batch of -log softmax(logits)[label]: the default loss."""
    log_probabilities = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_probabilities, labels[..., None], axis=-1))


@dataclass
class _Call:
    """A weight layer's first call: where it sits, its output s and its activation's output."""

    path: tuple[str, ...]
    layer: str
    shape: tuple[int, ...]
    output: Any
    activation: str = "none"
    activated: Any = None


class _Tap:
    """The interceptor: records weight layers and activations, adds the perturbations."""

    def __init__(self, perturbations: Mapping[str, Any] | None = None) -> None:
        self.perturbations = perturbations
        self.calls: list[_Call] = []

    def __call__(self, next_fun: Callable[..., Any], args: tuple, kwargs: dict,
                 context: Any) -> Any:
        module = context.module
        if context.method_name != "__call__":
            return next_fun(*args, **kwargs)
        if isinstance(module, nn.Sequential):
            return self._step_through(module, next_fun, args, kwargs)
        kernel = module.variables.get("params", {}).get("kernel")
        output = next_fun(*args, **kwargs)
        if kernel is None or jnp.ndim(kernel) < 2 or self._seen(module.path):
            return output
        if self.perturbations is not None:
            output = output + self.perturbations[_key(module.path)]
        self.calls.append(_Call(module.path, type(module).__name__, tuple(jnp.shape(kernel)),
                                output))
        return output

    def _seen(self, path: tuple[str, ...]) -> bool:
        return any(call.path == path for call in self.calls)

    def _step_through(self, sequential: Any, next_fun: Callable[..., Any], args: tuple,
                      kwargs: dict) -> Any:
        """``nn.Sequential.__call__``, step by step, so that activation functions are seen."""
        if not sequential.layers:
            return next_fun(*args, **kwargs)  # flax's own error for an empty Sequential
        outputs = sequential.layers[0](*args, **kwargs)
        for layer in sequential.layers[1:]:
            if isinstance(outputs, tuple):
                outputs = layer(*outputs)
            elif isinstance(outputs, dict):
                outputs = layer(**outputs)
            else:
                outputs = layer(outputs)
            self._activation(layer, outputs)
        return outputs

    def _activation(self, layer: Any, outputs: Any) -> None:
        name = ACTIVATION_FUNCTIONS.get(layer) if not isinstance(layer, nn.Module) else None
        if name is not None and self.calls and self.calls[-1].activated is None:
            self.calls[-1].activation = name
            self.calls[-1].activated = outputs


def _key(path: tuple[str, ...]) -> str:
    return "/".join(path) or "(model)"


def _kernel_gradient(gradients: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node = gradients
    for name in path:
        node = node[name]
    return node["kernel"]


def probe(
    model: nn.Module,
    variables: Mapping[str, Any],
    inputs: Any,
    targets: Any,
    *,
    loss: Loss | None = None,
    max_values: int = MAX_VALUES,
) -> LayerReport:
    """Run one batch forward and backward and describe every weight layer.

    Per weight layer, in the order they ran: the activations' mean, std and saturated fraction,
    Var[dC/ds] of the back-propagated gradient at its output s and Var[dC/dW] of its kernel
    gradient (see :mod:`xavier_core.diagnostics`).

    Args:
      model: a Flax linen ``Module``.
      variables: its variables, as ``model.init`` returns them (a ``"params"`` collection).
      inputs: the batch, passed as ``model.apply(variables, inputs)``.
      targets: what ``loss`` compares the outputs with (integer class labels by default).
      loss: ``loss(outputs, targets) -> scalar``; default :func:`cross_entropy` on logits.
      max_values: values of each kind kept per record for histograms.

    Returns:
      A :class:`~xavier_core.diagnostics.LayerReport`; ``print`` it for a table.

    Raises:
      XavierError: no ``"params"`` in ``variables``, no weight layer, or a non-scalar loss.
    """
    if "params" not in variables:
        raise XavierError(f"variables must hold a 'params' collection (what model.init "
                          f"returns), got collections {sorted(variables)}")
    loss = loss or cross_entropy
    shapes = _Tap()
    with nn.intercept_methods(shapes):
        jax.eval_shape(model.apply, variables, inputs)  # abstract: shapes only, no arithmetic
    if not shapes.calls:
        raise XavierError(f"probe found no weight layer (a module with its own 'kernel' of "
                          f"rank >= 2) in model={type(model).__name__}")
    zeros = {_key(c.path): jnp.zeros(c.output.shape, c.output.dtype) for c in shapes.calls}

    def loss_and_values(params: Any, perturbations: Mapping[str, Any]) -> tuple[Any, list]:
        tap = _Tap(perturbations)
        with nn.intercept_methods(tap):
            value = loss(model.apply({**variables, "params": params}, inputs), targets)
        if jnp.ndim(value) != 0:
            raise XavierError(f"loss must return a scalar, got an array of shape "
                              f"{jnp.shape(value)}")
        return value, [c.output if c.activated is None else c.activated for c in tap.calls]

    gradient = jax.jit(jax.grad(loss_and_values, argnums=(0, 1), has_aux=True))
    (weight_grads, backprops), activations = gradient(variables["params"], zeros)
    return LayerReport(
        summarize(
            _key(call.path), call.layer, call.shape, call.activation,
            activations=np.asarray(values), backprop=np.asarray(backprops[_key(call.path)]),
            weight_gradient=np.asarray(_kernel_gradient(weight_grads, call.path)),
            max_values=max_values,
        )
        for call, values in zip(shapes.calls, activations, strict=True)
    )
