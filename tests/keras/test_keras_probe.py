"""The Keras probe, under the backend KERAS_BACKEND names: it reports what torch autograd
computes on the same weights, and the paper's MLP gives the same ratios as in torch."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import keras
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters.probes import keras as probe_keras
from xavier_conformance.experiment import analysis, data, frameworks, runs

torch = pytest.importorskip("torch")
from xavier_adapters.probes import torch as probe_torch  # noqa: E402

BACKEND = keras.config.backend()
CHECKOUT = Path(__file__).resolve().parents[2]


def _batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 12)).astype("float32"), (np.arange(16) % 3).astype("int32")


def _keras_mlp() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((12,)), keras.layers.Dense(8, "tanh"),
                             keras.layers.Dense(6), keras.layers.Activation("sigmoid"),
                             keras.layers.Dense(3)])


def _torch_copy(model: keras.Model) -> torch.nn.Sequential:
    """The same network in torch, with the Keras kernels transposed into (out, in) weights."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    linears = [torch.nn.Linear(*layer.kernel.shape) for layer in dense]
    with torch.no_grad():
        for linear, layer in zip(linears, dense, strict=True):
            linear.weight.copy_(torch.from_numpy(keras.ops.convert_to_numpy(layer.kernel).T))
            linear.bias.copy_(torch.from_numpy(keras.ops.convert_to_numpy(layer.bias)))
    return torch.nn.Sequential(linears[0], torch.nn.Tanh(), linears[1], torch.nn.Sigmoid(),
                               linears[2])


def test_records_equal_the_torch_probe_on_the_same_weights() -> None:
    model, (inputs, targets) = _keras_mlp(), _batch()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ours = probe_keras.probe(model, inputs, targets, loss=loss)
    reference = probe_torch.probe(_torch_copy(model), torch.from_numpy(inputs),
                                  torch.from_numpy(targets).long())
    assert [r.activation for r in ours] == [r.activation for r in reference] == [
        "tanh", "sigmoid", "none"]
    for got, expected in zip(ours, reference, strict=True):
        for field in ("activation_mean", "activation_std", "backprop_variance",
                      "weight_gradient_variance"):
            assert getattr(got, field) == pytest.approx(getattr(expected, field), rel=1e-4,
                                                        abs=1e-7), (
                f"got {field}={getattr(got, field)}, but should be {getattr(expected, field)} "
                f"[{BACKEND}, {got.name}]")


def test_the_layer_activation_is_restored_and_variables_unchanged() -> None:
    model, (inputs, targets) = _keras_mlp(), _batch()
    activation = model.layers[0].activation
    before = [keras.ops.convert_to_numpy(v) for v in model.weights]
    probe_keras.probe(model, inputs, targets,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert model.layers[0].activation is activation
    for old, variable in zip(before, model.weights, strict=True):
        np.testing.assert_array_equal(old, keras.ops.convert_to_numpy(variable))


def test_activation_layers_after_a_weight_layer_are_its_activation() -> None:
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(8), keras.layers.ReLU(),
                              keras.layers.Dense(6, activation="softsign"),
                              keras.layers.Dense(3, activation="softmax")])
    report = probe_keras.probe(model, *_batch())
    assert [(r.layer, r.activation) for r in report] == [
        ("Dense", "relu"), ("Dense", "softsign"), ("Dense", "softmax")]


def test_a_residual_model_is_refused() -> None:
    inputs = keras.Input((12,))
    hidden = keras.layers.Dense(12, activation="tanh")(inputs)
    outputs = keras.layers.Dense(3)(keras.layers.Add()([inputs, hidden]))
    model = keras.Model(inputs, outputs, name="residual")
    with pytest.raises(xc.XavierError, match=r"run one after another .* model='residual', whose "
                                             r"layers fail when run in order"):
        probe_keras.probe(model, *_batch())


class Reordered(keras.Model):
    """A subclassed model that calls its layers in another order than it created them."""

    def __init__(self) -> None:
        super().__init__(name="reordered")
        self.second = keras.layers.Dense(12, activation="tanh")
        self.first = keras.layers.Dense(12, activation="sigmoid")
        self.head = keras.layers.Dense(3)

    def call(self, x: object) -> object:
        return self.head(self.second(self.first(x)))


def test_layers_that_do_not_reproduce_the_model_are_refused() -> None:
    model = Reordered()
    inputs, targets = _batch()
    model(inputs)
    with pytest.raises(xc.XavierError, match="model='reordered', whose layers run in order do "
                                             "not reproduce model"):
        probe_keras.probe(model, inputs, targets)


def test_a_model_without_weight_layers_is_refused() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("tanh")])
    inputs = np.zeros((4, 3), "float32")
    with pytest.raises(xc.XavierError, match="no weight layer"):
        probe_keras.probe(model, inputs, np.zeros(4, "int32"))


def _mnist_dir() -> Path:
    return Path(os.environ.get(data.ENV_VAR) or CHECKOUT.parent / "shared" / "mnist")


@functools.cache
def _ratios(framework: str, init: str) -> analysis.RatioSummary:
    images, labels = data.load(_mnist_dir()).probe_batch(250)
    run = runs.probe_at_init(frameworks.load(framework), "tanh", init, range(6), images, labels)
    return run.summary


@pytest.mark.slow
@pytest.mark.parametrize("init", ["standard", "glorot"])
def test_keras_ratio_agrees_with_torch_within_sampling_error(init: str) -> None:
    keras_summary, torch_summary = _ratios("keras", init), _ratios("torch", init)
    p_value = analysis.agreement_p_value(keras_summary.ratios, torch_summary.ratios)
    assert analysis.agree(keras_summary, torch_summary), (
        f"got p={p_value:.3g} for keras-{BACKEND} {keras_summary.describe()} against torch "
        f"{torch_summary.describe()}, but should be >= 1e-3 [tanh, {init}]")


@pytest.mark.slow
def test_keras_glorot_tanh_ratio_is_within_range_and_standard_is_farther() -> None:
    glorot, standard = _ratios("keras", "glorot"), _ratios("keras", "standard")
    low, high = glorot.interval()
    assert low >= 0.5 and high <= 2.0, f"got {glorot.describe()}, but should be within [0.5, 2]"
    assert analysis.farther_from_one(standard, glorot), (
        f"got standard {standard.describe()} against Glorot {glorot.describe()}, but the "
        f"standard init should be measurably farther from 1 [keras-{BACKEND}]")
