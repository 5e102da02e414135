"""The paper's MLP in Flax linen, initialized through ``xavier_adapters.jax``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters._require import require
from xavier_adapters.probes import jax as probe_jax
from xavier_conformance.experiment import paper
from xavier_core.diagnostics import LayerReport

jax = require("jax", "jax")
nn = require("flax.linen", "flax")
jnp = jax.numpy

ACTIVATIONS = {"tanh": nn.tanh, "sigmoid": nn.sigmoid, "softsign": nn.soft_sign}
EVAL_BATCH = 1000


@dataclass(frozen=True)
class Model:
    """A linen module with its variables."""

    module: Any
    variables: Any


def name() -> str:
    return "jax"


def build(activation: str, spec: xc.VarianceScaling, seed: int,
          sizes: Sequence[tuple[int, int]] | None = None) -> Model:
    """Dense layers with ``activation`` between them, kernels from ``spec``, biases 0."""
    sizes = sizes or paper.layer_sizes()
    kernel_init = xj.variance_scaling(spec.scale, spec.mode, spec.distribution)
    layers: list[Any] = []
    for index, (_, fan_out) in enumerate(sizes):
        layers.append(nn.Dense(fan_out, kernel_init=kernel_init))
        if index < len(sizes) - 1:
            layers.append(ACTIVATIONS[activation])
    module = nn.Sequential(layers)
    variables = jax.jit(module.init)(jax.random.key(seed), jnp.zeros((1, sizes[0][0])))
    return Model(module, variables)


def probe(model: Model, images: NDArray, labels: NDArray) -> LayerReport:
    return probe_jax.probe(model.module, model.variables, jnp.asarray(images),
                           jnp.asarray(labels))


def train(model: Model, images: NDArray, labels: NDArray, order: NDArray[np.int64],
          learning_rate: float) -> Model:
    def loss(params: Any, x: Any, y: Any) -> Any:
        logits = model.module.apply({**model.variables, "params": params}, x)
        return probe_jax.cross_entropy(logits, y)

    @jax.jit
    def step(params: Any, x: Any, y: Any) -> Any:
        grads = jax.grad(loss)(params, x, y)
        return jax.tree.map(lambda p, g: p - learning_rate * g, params, grads)

    params = model.variables["params"]
    inputs, targets = jnp.asarray(images), jnp.asarray(labels)
    for batch in order:
        params = step(params, inputs[batch], targets[batch])
    return replace(model, variables={**model.variables, "params": params})


def test_error(model: Model, images: NDArray, labels: NDArray) -> float:
    apply = jax.jit(model.module.apply)
    predicted = np.concatenate([
        np.asarray(apply(model.variables, jnp.asarray(images[i:i + EVAL_BATCH])).argmax(1))
        for i in range(0, len(images), EVAL_BATCH)
    ])
    return 100.0 * float((predicted != labels).mean())
