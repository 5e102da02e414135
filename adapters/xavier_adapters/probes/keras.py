"""The layer probe for Keras 3: one batch forward and backward, under any Keras backend.

The model must be a chain: ``keras.Sequential``, or a functional or subclassed model whose
``layers`` run one after another (the probe steps through ``model.layers`` and checks that it
reproduces ``model(inputs)``). A *weight layer* has a ``kernel`` of rank >= 2 (Dense, ConvND,
ConvNDTranspose, ...). Its *activation* is its own ``activation`` argument when it has one (the
probe calls the layer with the activation switched off for that call, to read the
pre-activation s), else the first activation layer (``Activation``, ``ReLU``, ``Softmax``, ...)
after it and before the next weight layer; otherwise the record describes the layer's own output.

dC/ds is obtained by adding a zero perturbation to s and differentiating with respect to it,
with the backend's own autodiff: ``tf.GradientTape``, ``jax.grad`` (through
``keras.StatelessScope``) or ``torch.autograd.grad``. No variable is changed.

Example:
  >>> import keras, numpy as np
  >>> from xavier_adapters.probes import keras as probe_keras
  >>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(100, "tanh"),
  ...                           keras.layers.Dense(10, "softmax")])
  >>> report = probe_keras.probe(model, np.ones((32, 784), "float32"), np.zeros(32, "int32"))
  >>> [record.activation for record in report]
  ['tanh', 'softmax']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xavier_adapters._require import require
from xavier_core import XavierError
from xavier_core.diagnostics import MAX_VALUES, LayerReport, summarize

keras = require("keras", "keras")

Loss = Callable[[Any, Any], Any]
ACTIVATION_LAYERS = "keras.src.layers.activations"
CHAIN_TOLERANCE = 1e-5
"""Largest |chain(x) - model(x)| / (1 + |model(x)|) accepted as the same computation."""


@dataclass
class _Call:
    """A weight layer's call: the layer, its output s and its activation's output."""

    layer: Any
    output: Any
    activation: str = "none"
    activated: Any = None


def is_weight_layer(layer: Any) -> bool:
    """A layer holding a ``kernel`` variable of rank >= 2."""
    kernel = getattr(layer, "kernel", None)
    return kernel is not None and len(kernel.shape) >= 2


def activation_layer_name(layer: Any) -> str | None:
    """The nonlinearity of an activation layer (``Activation("tanh")`` -> ``"tanh"``,
    ``ReLU()`` -> ``"ReLU"``), or ``None`` for any other layer."""
    if not type(layer).__module__.startswith(ACTIVATION_LAYERS):
        return None
    if isinstance(layer, keras.layers.Activation):
        return _function_name(layer.activation)
    return type(layer).__name__


def _function_name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", type(function).__name__)


@contextlib.contextmanager
def _activation_off(layer: Any) -> Iterator[Callable[..., Any] | None]:
    """Switch ``layer.activation`` to linear for one call; yield the activation it had."""
    activation = getattr(layer, "activation", None)
    if activation is None or activation is keras.activations.linear:
        yield None
        return
    layer.activation = keras.activations.linear
    try:
        yield activation
    finally:
        layer.activation = activation


def _run_chain(layers: Sequence[Any], inputs: Any,
               perturbations: Sequence[Any] | None) -> tuple[Any, list[_Call]]:
    """The model's forward pass, layer by layer, recording each weight layer's s and h."""
    calls: list[_Call] = []
    x = inputs
    for layer in layers:
        if is_weight_layer(layer):
            with _activation_off(layer) as activation:
                s = layer(x)
            if perturbations is not None:
                s = keras.ops.add(s, perturbations[len(calls)])
            calls.append(_Call(layer, s))
            x = s
            if activation is not None:
                x = calls[-1].activated = activation(s)
                calls[-1].activation = _function_name(activation)
            continue
        x = layer(x)
        name = activation_layer_name(layer)
        if name is not None and calls and calls[-1].activated is None:
            calls[-1].activation, calls[-1].activated = name, x
    return x, calls


def _not_a_chain(model: Any, why: str) -> XavierError:
    return XavierError(f"probe needs a model whose layers run one after another (a "
                       f"keras.Sequential or a functional chain), got model={model.name!r}, {why}")


def _chain_layers(model: Any, inputs: Any) -> tuple[list[Any], list[_Call]]:
    """``model.layers`` without input layers, checked to reproduce ``model(inputs)``."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    try:
        outputs, calls = _run_chain(layers, inputs, None)
    except (ValueError, TypeError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise _not_a_chain(model, f"whose layers fail when run in order: {first_line}") from error
    expected = keras.ops.convert_to_numpy(model(inputs))
    got = keras.ops.convert_to_numpy(outputs)
    if got.shape != expected.shape or not np.all(
        np.abs(got - expected) <= CHAIN_TOLERANCE * (1.0 + np.abs(expected))
    ):
        raise _not_a_chain(model, "whose layers run in order do not reproduce model(inputs)")
    if not calls:
        raise XavierError(f"probe found no weight layer (a layer with a kernel of rank >= 2) "
                          f"in model={model.name!r}")
    return layers, calls


def _check_scalar(value: Any) -> Any:
    if len(keras.ops.shape(value)) != 0:
        raise XavierError(f"loss must return a scalar, got a tensor of shape "
                          f"{tuple(keras.ops.shape(value))}")
    return value


def probe(
    model: Any,
    inputs: Any,
    targets: Any,
    *,
    loss: Loss | None = None,
    max_values: int = MAX_VALUES,
) -> LayerReport:
    """Run one batch forward and backward and describe every weight layer.

    Per weight layer, in the order they ran: the activations' mean, std and saturated fraction,
    Var[dC/ds] of the back-propagated gradient at its pre-activation s and Var[dC/dW] of its
    kernel gradient (see :mod:`xavier_core.diagnostics`).

    Args:
      model: a built Keras model whose layers form a chain.
      inputs: the batch (numpy or backend tensor).
      targets: what ``loss`` compares the outputs with (integer class labels by default).
      loss: ``loss(targets, outputs) -> scalar``, Keras' argument order, e.g. a
        ``keras.losses.Loss``; default ``SparseCategoricalCrossentropy()`` (softmax outputs,
        as Keras models usually end; pass ``from_logits=True`` for logits).
      max_values: values of each kind kept per record for histograms.

    Returns:
      A :class:`~xavier_core.diagnostics.LayerReport`; ``print`` it for a table.

    Raises:
      XavierError: the layers are not a chain, there is no weight layer, or the loss is not a
        scalar.
    """
    loss = loss or keras.losses.SparseCategoricalCrossentropy()
    inputs = keras.ops.convert_to_tensor(inputs)
    targets = keras.ops.convert_to_tensor(targets)
    layers, shapes = _chain_layers(model, inputs)
    kernels = [call.layer.kernel for call in shapes]
    zeros = [keras.ops.zeros_like(call.output) for call in shapes]

    def loss_and_activations(perturbations: Sequence[Any]) -> tuple[Any, list[Any]]:
        outputs, calls = _run_chain(layers, inputs, perturbations)
        activations = [c.output if c.activated is None else c.activated for c in calls]
        return _check_scalar(loss(targets, outputs)), activations

    backprops, weight_grads, activations = _GRADIENTS[keras.backend.backend()](
        loss_and_activations, zeros, kernels)
    numpy = keras.ops.convert_to_numpy
    return LayerReport(
        summarize(
            call.layer.name, type(call.layer).__name__, tuple(call.layer.kernel.shape),
            call.activation, activations=numpy(values), backprop=numpy(backprop),
            weight_gradient=numpy(weight_grad), max_values=max_values,
        )
        for call, values, backprop, weight_grad in zip(shapes, activations, backprops,
                                                        weight_grads, strict=True)
    )


LossAndActivations = Callable[[Sequence[Any]], tuple[Any, list[Any]]]
Gradients = tuple[list[Any], list[Any], list[Any]]
"""dC/ds per weight layer, dC/dW per kernel, and the activations of the differentiated run."""


def _tensorflow_gradients(run: LossAndActivations, zeros: list[Any],
                          kernels: list[Any]) -> Gradients:
    tf = require("tensorflow", "tensorflow")
    with tf.GradientTape() as tape:
        tape.watch(zeros)
        value, activations = run(zeros)
    backprops, weight_grads = tape.gradient(value, (zeros, kernels))
    return backprops, weight_grads, activations


def _jax_gradients(run: LossAndActivations, zeros: list[Any], kernels: list[Any]) -> Gradients:
    jax = require("jax", "jax")

    def loss_of(values: list[Any], perturbations: list[Any]) -> tuple[Any, list[Any]]:
        with keras.StatelessScope(state_mapping=list(zip(kernels, values, strict=True))):
            return run(perturbations)

    gradient = jax.grad(loss_of, argnums=(0, 1), has_aux=True)
    (weight_grads, backprops), activations = gradient([k.value for k in kernels], zeros)
    return backprops, weight_grads, activations


def _torch_gradients(run: LossAndActivations, zeros: list[Any], kernels: list[Any]) -> Gradients:
    torch = require("torch", "torch")
    perturbations = [zero.requires_grad_() for zero in zeros]
    value, activations = run(perturbations)
    grads = torch.autograd.grad(value, [*perturbations, *(k.value for k in kernels)])
    return list(grads[:len(zeros)]), list(grads[len(zeros):]), activations


_GRADIENTS: dict[str, Callable[[LossAndActivations, list[Any], list[Any]], Gradients]] = {
    "tensorflow": _tensorflow_gradients,
    "jax": _jax_gradients,
    "torch": _torch_gradients,
}
