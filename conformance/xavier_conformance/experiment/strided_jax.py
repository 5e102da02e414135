"""The strided nets of :mod:`~xavier_conformance.experiment.strides` in Flax linen, initialized
by ``xavier_adapters.jax.init_params``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from xavier_adapters import jax as xj
from xavier_adapters._require import require
from xavier_adapters.probes import jax as probe_jax
from xavier_conformance.experiment import strides
from xavier_core.diagnostics import LayerReport

jax = require("jax", "jax")
nn = require("flax.linen", "flax")
jnp = jax.numpy

ACTIVATIONS = {"tanh": nn.tanh, "relu": nn.relu}


@dataclass(frozen=True)
class Model:
    """A linen module with its variables."""

    module: Any
    variables: Any


def name() -> str:
    return "jax"


def _tokens(x: Any) -> Any:
    return x.reshape(x.shape[0], -1, x.shape[-1])


def _flatten(x: Any) -> Any:
    return x.reshape(x.shape[0], -1)


def build(net: str, activation: str, stride_aware: bool, seed: int) -> Model:
    """The net with ``activation`` after each hidden layer, Glorot-initialized by init_params."""
    stack: list[Any] = []
    for layer in strides.NETS[net]:
        if isinstance(layer, strides.Conv):
            stack += [nn.Conv(layer.out, (layer.kernel, layer.kernel), strides=layer.stride,
                              padding="SAME" if layer.same else "VALID"),
                      ACTIVATIONS[activation]]
        elif isinstance(layer, strides.Tokens):
            stack.append(_tokens)
        else:
            stack += [nn.Dense(layer.out), ACTIVATIONS[activation]]
    module = nn.Sequential([*stack, _flatten, nn.Dense(strides.CLASSES)])
    image = jnp.zeros((1, *strides.IMAGE[1:], strides.IMAGE[0]))
    abstract = jax.eval_shape(module.init, jax.random.key(0), image)
    variables, _ = xj.init_params(abstract, jax.random.key(seed), gain=strides.gain(activation),
                                  stride_aware=stride_aware, model=module, args=(image,))
    return Model(module, variables)


def probe(model: Model, images: NDArray, labels: NDArray) -> LayerReport:
    return probe_jax.probe(model.module, model.variables,
                           jnp.asarray(strides.channels_last(images)), jnp.asarray(labels))
