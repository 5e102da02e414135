"""Flax linen and nnx models built with these initializers as kernel_init draw the spec."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters import numpy as xnp
from xavier_conformance import stats


def _assert_draws(weight: jax.Array, distribution: xc.Distribution, context: str) -> None:
    dtype = jnp.dtype(weight.dtype).name
    values = np.asarray(weight.astype(jnp.float32)).astype(xnp.numpy_dtype(dtype))
    for result in stats.check_sample(values, distribution):
        assert result.passed, result.describe() + f" [{context}]"


class LinenMLP(nn.Module):
    """784-256-10 with Glorot kernels, as the MNIST seed program."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(256, kernel_init=xj.glorot_uniform())(x))
        return nn.Dense(10, kernel_init=xj.glorot_uniform())(x)


class NnxMLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, param_dtype: jnp.dtype = jnp.float32) -> None:
        init = xj.glorot_normal()
        self.hidden = nnx.Linear(784, 256, kernel_init=init, param_dtype=param_dtype, rngs=rngs)
        self.out = nnx.Linear(256, 10, kernel_init=init, param_dtype=param_dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(nnx.relu(self.hidden(x)))


def test_linen_mlp_under_jit() -> None:
    model = LinenMLP()
    variables = jax.jit(model.init)(jax.random.key(0), jnp.ones((2, 784)))
    kernel = variables["params"]["Dense_0"]["kernel"]
    _assert_draws(kernel, xc.glorot_uniform().resolve((784, 256)).distribution, "linen Dense")
    assert model.apply(variables, jnp.ones((2, 784))).shape == (2, 10)


@pytest.mark.parametrize("param_dtype", ["float32", "bfloat16"])
def test_nnx_mlp(param_dtype: str) -> None:
    model = NnxMLP(nnx.Rngs(params=1), jnp.dtype(param_dtype))
    kernel = model.hidden.kernel[...]
    assert kernel.dtype == jnp.dtype(param_dtype)
    _assert_draws(kernel, xc.glorot_normal().resolve((784, 256)).distribution, "nnx Linear")
    assert model(jnp.ones((2, 784))).shape == (2, 10)


def test_linen_conv_with_grouped_layout() -> None:
    # Flax's kernel_init sees only (3, 3, 16, 128); the layout says it is 4 groups of 64->32.
    layout = xc.CHANNELS_LAST.with_(groups=4)
    conv = nn.Conv(128, (3, 3), feature_group_count=4,
                   kernel_init=xj.Initializer(xc.glorot_truncated_normal(), layout))
    kernel = conv.init(jax.random.key(2), jnp.ones((1, 8, 8, 64)))["params"]["kernel"]
    resolved = xc.glorot_truncated_normal().resolve((3, 3, 16, 128), layout)
    assert resolved.fans == (144, 288)
    _assert_draws(kernel, resolved.distribution, "linen Conv groups=4")


def test_nnx_conv_transpose_with_custom_axes() -> None:
    # transpose_kernel=True stores (*k, out, in): in_axis=-1, out_axis=-2.
    conv = nnx.ConvTranspose(64, 96, (3, 3), transpose_kernel=True, rngs=nnx.Rngs(3),
                             kernel_init=xj.glorot_uniform(in_axis=-1, out_axis=-2))
    kernel = conv.kernel[...]
    assert kernel.shape == (3, 3, 96, 64)
    distribution = xc.glorot_uniform().resolve(kernel.shape, xc.KERAS_TRANSPOSED).distribution
    _assert_draws(kernel, distribution, "nnx ConvTranspose transpose_kernel=True")


def test_linen_dense_general_is_flattened_by_flax() -> None:
    # Flax hands kernel_init the flat (in, prod(features)) shape and reshapes the result.
    layer = nn.DenseGeneral((8, 64), kernel_init=xj.glorot_uniform())
    kernel = layer.init(jax.random.key(4), jnp.ones((1, 256)))["params"]["kernel"]
    assert kernel.shape == (256, 8, 64)
    _assert_draws(kernel, xc.glorot_uniform().resolve((256, 512)).distribution,
                  "linen DenseGeneral")


def test_nnx_param_dtype_default_is_used() -> None:
    layer = nnx.Linear(16, 8, kernel_init=xj.glorot_uniform(dtype=jnp.float16),
                       param_dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
    # Flax always passes param_dtype, which wins over the factory's default, as in JAX.
    assert layer.kernel[...].dtype == jnp.bfloat16
