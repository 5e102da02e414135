"""The seed's MNIST model in JAX with optax, initialized by :mod:`xavier_adapters.jax`.

Parameters are a list of (kernel, bias) pairs with kernels stored (in, out), the layout of
``glorot_uniform()``'s default axes; biases start at zero. One jitted step per batch, the batch
cut from the epoch's arrays inside the step, so nothing is copied per step. Every batch is full
(60000 = 1875 x 32), as in the other backends.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xavier_adapters._require import require
from xavier_conformance.mnist.progress import Progress
from xavier_conformance.mnist.recipe import Arrays, Recipe, accuracy, epoch_order

jax = require("jax", "jax")
optax = require("optax", "all")
from xavier_adapters import jax as xj  # noqa: E402  (after the framework's install check)

jnp = jax.numpy
Params = list[tuple[Any, Any]]


def init_params(recipe: Recipe, seed: int) -> Params:
    """Glorot-uniform kernels (in, out) and zero biases for each dense layer."""
    init = xj.glorot_uniform()
    keys = jax.random.split(jax.random.key(seed), len(recipe.dense_shapes))
    return [(init(key, shape, jnp.float32), jnp.zeros(shape[1], jnp.float32))
            for key, shape in zip(keys, recipe.dense_shapes, strict=True)]


def logits(params: Params, x: Any) -> Any:
    """ReLU between the dense layers; the softmax is in the loss."""
    for kernel, bias in params[:-1]:
        x = jax.nn.relu(x @ kernel + bias)
    kernel, bias = params[-1]
    return x @ kernel + bias


def loss(params: Params, x: Any, y: Any) -> Any:
    """Mean softmax cross-entropy."""
    return optax.softmax_cross_entropy_with_integer_labels(logits(params, x), y).mean()


def make_step(optimizer: Any, batch_size: int) -> Any:
    """A jitted update on batch ``index`` of the epoch's arrays."""

    @jax.jit
    def step(params: Params, state: Any, xs: Any, ys: Any, index: Any) -> tuple[Params, Any]:
        start = index * batch_size
        x = jax.lax.dynamic_slice_in_dim(xs, start, batch_size)
        y = jax.lax.dynamic_slice_in_dim(ys, start, batch_size)
        grads = jax.grad(loss)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return step


@jax.jit
def predict(params: Params, x: Any) -> Any:
    return jnp.argmax(logits(params, x), axis=1)


def train(arrays: Arrays, recipe: Recipe, seed: int, progress: Progress) -> list[float]:
    """Train for ``recipe.epochs``; return the test accuracy after each epoch."""
    params = init_params(recipe, seed)
    optimizer = optax.adam(recipe.learning_rate, b1=recipe.beta_1, b2=recipe.beta_2,
                           eps=recipe.epsilon)
    state = optimizer.init(params)
    step = make_step(optimizer, recipe.batch_size)
    x_train, y_train = jnp.asarray(arrays.x_train), jnp.asarray(arrays.y_train)
    x_test = jnp.asarray(arrays.x_test)
    steps = len(arrays.x_train) // recipe.batch_size
    curve = []
    for epoch in range(recipe.epochs):
        order = jnp.asarray(epoch_order(seed, epoch, len(arrays.x_train)))
        xs, ys = x_train[order], y_train[order]
        for index in range(steps):
            params, state = step(params, state, xs, ys, index)
            progress.update(1)
        curve.append(accuracy(np.asarray(predict(params, x_test)), arrays.y_test))
        progress.set_postfix_str(f"test {curve[-1]:.2%}")
    return curve


def versions() -> dict[str, str]:
    """The framework versions this harness ran with."""
    return {"jax": jax.__version__, "optax": optax.__version__}
