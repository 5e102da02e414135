"""The JAX (Flax linen) probe reports what jax.grad itself computes, layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
nn = pytest.importorskip("flax.linen")

import xavier_core as xc  # noqa: E402
from xavier_adapters.probes import jax as probe_jax  # noqa: E402

jnp = jax.numpy


def _batch(size: int = 16, features: int = 12) -> tuple[jax.Array, jax.Array]:
    inputs = jax.random.normal(jax.random.key(1), (size, features))
    return inputs, jnp.arange(size) % 3


def _mlp() -> tuple[nn.Module, dict]:
    model = nn.Sequential([nn.Dense(8), nn.tanh, nn.Dense(6), nn.sigmoid, nn.Dense(3)])
    return model, jax.jit(model.init)(jax.random.key(0), _batch()[0])


def _by_hand(params: dict, inputs: jax.Array, targets: jax.Array):
    """The same network written out: s = x W + b, with explicit perturbations to differentiate."""
    layers = [params[f"layers_{i}"] for i in (0, 2, 4)]

    def loss(kernels: list, perturbations: list) -> tuple:
        s1 = inputs @ kernels[0] + layers[0]["bias"] + perturbations[0]
        h1 = jnp.tanh(s1)
        s2 = h1 @ kernels[1] + layers[1]["bias"] + perturbations[1]
        h2 = jax.nn.sigmoid(s2)
        s3 = h2 @ kernels[2] + layers[2]["bias"] + perturbations[2]
        return probe_jax.cross_entropy(s3, targets), [h1, h2, s3]

    kernels = [layer["kernel"] for layer in layers]
    zeros = [jnp.zeros((len(inputs), k.shape[1])) for k in kernels]
    return jax.grad(loss, argnums=(0, 1), has_aux=True)(kernels, zeros)


def test_records_equal_jax_grad_of_the_network_written_out() -> None:
    model, variables = _mlp()
    inputs, targets = _batch()
    report = probe_jax.probe(model, variables, inputs, targets)
    (weight_grads, backprops), activations = _by_hand(variables["params"], inputs, targets)
    assert [r.name for r in report] == ["layers_0", "layers_2", "layers_4"]
    for record, h, g, dw in zip(report, activations, backprops, weight_grads, strict=True):
        h, g, dw = (np.asarray(a, dtype=np.float64) for a in (h, g, dw))
        assert record.activation_mean == pytest.approx(h.mean(), rel=1e-5, abs=1e-8)
        assert record.activation_std == pytest.approx(h.std(), rel=1e-5)
        assert record.backprop_variance == pytest.approx(g.var(), rel=1e-5)
        assert record.weight_gradient_variance == pytest.approx(dw.var(), rel=1e-5)
    assert [r.activation for r in report] == ["tanh", "sigmoid", "none"]


class Block(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.Sequential([nn.Dense(8), nn.soft_sign])(x)


class UserModel(nn.Module):
    """A user-style model: a nested Sequential, and a tanh called inside __call__."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = Block()(x)
        x = jnp.tanh(nn.Dense(8, name="hidden")(x))
        return nn.Dense(3, name="head")(x)


def test_nested_modules_are_found_and_sequential_activations_seen() -> None:
    model = UserModel()
    inputs, targets = _batch()
    variables = jax.jit(model.init)(jax.random.key(0), inputs)
    report = probe_jax.probe(model, variables, inputs, targets)
    got = [(r.name, r.layer, r.activation) for r in report]
    expected = [("Block_0/Dense_0", "Dense", "softsign"),
                ("hidden", "Dense", "none"), ("head", "Dense", "none")]
    assert got == expected, f"got {got}, but should be {expected}"


def test_a_module_called_twice_is_reported_once() -> None:
    class Twice(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            shared = nn.Dense(12)
            return nn.Dense(3)(shared(jnp.tanh(shared(x))))

    inputs, targets = _batch()
    model = Twice()
    report = probe_jax.probe(model, jax.jit(model.init)(jax.random.key(0), inputs), inputs, targets)
    assert [r.name for r in report] == ["Dense_0", "Dense_1"]


def test_convolutions_are_weight_layers() -> None:
    model = nn.Sequential([nn.Conv(4, (3, 3)), nn.tanh, lambda x: x.reshape(len(x), -1),
                           nn.Dense(3)])
    inputs = jax.random.normal(jax.random.key(2), (5, 8, 8, 1))
    report = probe_jax.probe(model, jax.jit(model.init)(jax.random.key(0), inputs), inputs,
                             jnp.array([0, 1, 2, 0, 1]))
    assert [(r.layer, r.shape, r.activation) for r in report] == [
        ("Conv", (3, 3, 1, 4), "tanh"), ("Dense", (256, 3), "none")]


def test_variables_without_params_are_refused() -> None:
    model, _ = _mlp()
    with pytest.raises(xc.XavierError, match=r"variables must hold a 'params' collection"):
        probe_jax.probe(model, {"batch_stats": {}}, *_batch())


def test_a_model_without_weight_layers_is_refused() -> None:
    model = nn.LayerNorm()
    inputs, targets = _batch(features=3)
    with pytest.raises(xc.XavierError, match=r"no weight layer .* model=LayerNorm"):
        probe_jax.probe(model, jax.jit(model.init)(jax.random.key(0), inputs), inputs, targets)


def test_a_non_scalar_loss_is_refused() -> None:
    model, variables = _mlp()

    def per_example(logits: jax.Array, labels: jax.Array) -> jax.Array:
        return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=-1)

    with pytest.raises(xc.XavierError, match=r"loss must return a scalar, got .* \(16, 1\)"):
        probe_jax.probe(model, variables, *_batch(), loss=per_example)
