"""One PortableKey, the seed's MLP (784-128-64-10) built in Keras, PyTorch and JAX: the same
weights bit for bit, and the same first forward pass to float32 tolerance.

    python examples/portable.py
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import itertools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import torch

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_adapters import torch as xt
from xavier_adapters.jax import initializers as ji

KEY = xc.PortableKey(0)
SIZES = (784, 128, 64, 10)


def main() -> None:
    keras_model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
         keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    xk.init_model(keras_model, seed=KEY)
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    xt.init_model(torch_model, generator=KEY)
    # JAX: layer k's kernel from KEY.for_tensor(k, 0), biases zero, as init_model does.
    kernels = [ji.glorot_uniform()(KEY.for_tensor(k, 0), (n_in, n_out))
               for k, (n_in, n_out) in enumerate(itertools.pairwise(SIZES))]

    torch_linears = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    for k, (layer, linear, kernel) in enumerate(zip(keras_model.layers, torch_linears, kernels,
                                                    strict=True)):
        from_keras = keras.ops.convert_to_numpy(layer.kernel)
        same = (np.array_equal(from_keras, linear.weight.detach().numpy().T)
                and np.array_equal(from_keras, np.asarray(kernel)))
        print(f"layer {k} kernel {from_keras.shape}: keras == torch.T == jax: {same}")

    x = np.random.default_rng(0).random((32, 784), dtype=np.float32)
    out_keras = keras.ops.convert_to_numpy(keras_model(x))
    with torch.no_grad():
        out_torch = torch_model(torch.from_numpy(x)).numpy()
    h = jnp.asarray(x)
    for k, kernel in enumerate(kernels):
        h = h @ kernel
        h = jax.nn.relu(h) if k < len(kernels) - 1 else h
    out_jax = np.asarray(h)
    for name, out in (("torch", out_torch), ("jax", out_jax)):
        print(f"first forward pass, keras vs {name}: max |difference| "
              f"{np.abs(out_keras - out).max():.2e} (allclose at float32 tolerance: "
              f"{np.allclose(out_keras, out, rtol=1e-5, atol=1e-5)})")


if __name__ == "__main__":
    main()
