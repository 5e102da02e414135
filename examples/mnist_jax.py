"""The seed's MNIST model in JAX: Flax linen with ``xavier_adapters.jax.glorot_uniform`` kernels.

784-128-64-10, ReLU, softmax cross-entropy, Adam (optax, lr 1e-3), batch 32, pixels / 255,
shuffled each epoch; Glorot-uniform kernels and zero biases, exactly as the Keras seed program
starts (Flax's own default kernel_init would be LeCun normal instead).

    XAVIER_MNIST_DIR=../shared/mnist python examples/mnist_jax.py [--epochs 10]
"""

import argparse

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from xavier_adapters import jax as xj
from xavier_conformance.mnist import load_mnist

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Dense(128, kernel_init=xj.glorot_uniform())(x))
        x = nn.relu(nn.Dense(64, kernel_init=xj.glorot_uniform())(x))
        return nn.Dense(10, kernel_init=xj.glorot_uniform())(x)  # logits; softmax in the loss


mnist = load_mnist()
x_train = jnp.asarray(mnist.train_images.reshape(-1, 784) / 255.0, jnp.float32)
x_test = jnp.asarray(mnist.test_images.reshape(-1, 784) / 255.0, jnp.float32)
y_train, y_test = jnp.asarray(mnist.train_labels), jnp.asarray(mnist.test_labels)

model = MLP()
init_key, shuffle_key = jax.random.split(jax.random.key(args.seed))
params = model.init(init_key, x_train[:1])
optimizer = optax.adam(1e-3)
state = optimizer.init(params)


@jax.jit
def train_step(params, state, x, y):
    def loss(params):
        logits = model.apply(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    updates, state = optimizer.update(jax.grad(loss)(params), state, params)
    return optax.apply_updates(params, updates), state


@jax.jit
def accuracy(params, x, y):
    return jnp.mean(jnp.argmax(model.apply(params, x), axis=1) == y)


for epoch in range(1, args.epochs + 1):
    order = jax.random.permutation(jax.random.fold_in(shuffle_key, epoch), len(x_train))
    for batch in order.reshape(-1, 32):
        params, state = train_step(params, state, x_train[batch], y_train[batch])
    test_accuracy = float(accuracy(params, x_test, y_test))
    print(f"epoch {epoch}: test accuracy {test_accuracy:.4f}")
print(f"test accuracy: {test_accuracy:.4f} (the Keras seed: 0.9764 after 10 epochs)")
