"""init_model draws every kernel with its layer type's fans (DESIGN.md section 3, Keras rows).

Each kernel is checked twice: the report states the expected fans, and the drawn values pass the
statistics against the Glorot distribution of those expected fans. Every kernel of the table
holds at least 4,096 values, so the checks have power (``python tests/keras/
test_keras_init_model.py`` prints each row's figures): at n = 4,096 the checks together catch a
std (and bound) off by 0.34 % or more either way (:func:`xavier_conformance.stats.
detectable_scale_error`: bounds when too wide, reach when too narrow, 1 - 1e-6^(1/n)), i.e. a
variance off by 0.7 %, and the variance check alone a variance off by 6.8 % (z sqrt(0.8 / n),
uniform); larger rows detect less.
Every wrong layout the table lists changes the variance by a factor 1.6 or more, and is caught
(``test_a_wrong_layout_fails_the_statistics``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import pytest
from keras_helpers import BACKEND, assert_matches, numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_conformance import stats

layers = keras.layers
MIN_VALUES = 4096
"""Each kernel of the table holds at least this many values."""


def _built(layer: keras.Layer, *input_shapes: tuple) -> keras.Layer:
    layer.build(*input_shapes)
    return layer


@dataclass(frozen=True)
class Row:
    """A layer named "layer", its kernels {path: (shape, correct fans)}, the init_model
    keywords it needs, and per kernel a plausible wrong layout whose Glorot variance differs."""

    build: Callable[[], keras.Layer]
    kernels: dict[str, tuple[tuple[int, ...], tuple[float, float]]]
    options: dict[str, Any] = field(default_factory=dict)
    wrong: dict[str, xc.Layout] = field(default_factory=dict)


NO_GATES = xc.CHANNELS_LAST  # a gated kernel read whole, a grouped one dense, ...
CASES: dict[str, Row] = {
    "dense-784x64": Row(lambda: _built(layers.Dense(64, name="layer"), (None, 784)),
                        {"layer/kernel": ((784, 64), (784, 64))}),
    "conv1d-32to32-k5": Row(lambda: _built(layers.Conv1D(32, 5, name="layer"), (None, 20, 32)),
                            {"layer/kernel": ((5, 32, 32), (160, 160))}),
    "conv2d-hwio-16to64-k3": Row(
        lambda: _built(layers.Conv2D(64, 3, name="layer"), (None, 8, 8, 16)),
        {"layer/kernel": ((3, 3, 16, 64), (144, 576))}),
    "conv3d-16to16-k3": Row(lambda: _built(layers.Conv3D(16, 3, name="layer"), (None, 5, 5, 5, 16)),
                            {"layer/kernel": ((3, 3, 3, 16, 16), (432, 432))}),
    "conv2d-groups4-32to64-k3": Row(
        lambda: _built(layers.Conv2D(64, 3, groups=4, name="layer"), (None, 8, 8, 32)),
        {"layer/kernel": ((3, 3, 8, 64), (72, 144))},
        wrong={"layer/kernel": NO_GATES}),
    "conv1d-transpose-32to64-k3": Row(
        lambda: _built(layers.Conv1DTranspose(64, 3, name="layer"), (None, 10, 32)),
        {"layer/kernel": ((3, 64, 32), (96, 192))}),
    "conv2d-transpose-16to32-k3": Row(
        lambda: _built(layers.Conv2DTranspose(32, 3, name="layer"), (None, 8, 8, 16)),
        {"layer/kernel": ((3, 3, 32, 16), (144, 288))}),
    "conv3d-transpose-16to32-k2": Row(
        lambda: _built(layers.Conv3DTranspose(32, 2, name="layer"), (None, 4, 4, 4, 16)),
        {"layer/kernel": ((2, 2, 2, 32, 16), (128, 256))}),
    "depthwise-conv2d-512-k3": Row(
        lambda: _built(layers.DepthwiseConv2D(3, name="layer"), (None, 6, 6, 512)),
        {"layer/kernel": ((3, 3, 512, 1), (9, 9))},
        wrong={"layer/kernel": NO_GATES}),
    "depthwise-conv1d-512-k5-mult2": Row(
        lambda: _built(layers.DepthwiseConv1D(5, depth_multiplier=2, name="layer"),
                       (None, 10, 512)),
        {"layer/kernel": ((5, 512, 2), (5, 10))},
        wrong={"layer/kernel": NO_GATES}),
    "separable-conv2d-256to16-k3-mult2": Row(
        lambda: _built(layers.SeparableConv2D(16, 3, depth_multiplier=2, name="layer"),
                       (None, 6, 6, 256)),
        {"layer/depthwise_kernel": ((3, 3, 256, 2), (9, 18)),
         "layer/pointwise_kernel": ((1, 1, 512, 16), (512, 16))},
        wrong={"layer/depthwise_kernel": NO_GATES}),
    "separable-conv1d-1536to4-k3": Row(
        lambda: _built(layers.SeparableConv1D(4, 3, name="layer"), (None, 6, 1536)),
        {"layer/depthwise_kernel": ((3, 1536, 1), (3, 3)),
         "layer/pointwise_kernel": ((1, 1536, 4), (1536, 4))},
        wrong={"layer/depthwise_kernel": NO_GATES}),
    "lstm-in32-u32": Row(
        lambda: _built(layers.LSTM(32, name="layer"), (None, 5, 32)),
        {"layer/lstm_cell/kernel": ((32, 128), (32, 32)),
         "layer/lstm_cell/recurrent_kernel": ((32, 128), (32, 32))},
        wrong={"layer/lstm_cell/kernel": NO_GATES}),
    "gru-in64-u48": Row(
        lambda: _built(layers.GRU(48, name="layer"), (None, 5, 64)),
        {"layer/gru_cell/kernel": ((64, 144), (64, 48)),
         "layer/gru_cell/recurrent_kernel": ((48, 144), (48, 48))},
        wrong={"layer/gru_cell/recurrent_kernel": NO_GATES}),
    "simple-rnn-in64-u64": Row(
        lambda: _built(layers.SimpleRNN(64, name="layer"), (None, 5, 64)),
        {"layer/simple_rnn_cell/kernel": ((64, 64), (64, 64)),
         "layer/simple_rnn_cell/recurrent_kernel": ((64, 64), (64, 64))}),
    "bidirectional-lstm-in32-u32": Row(
        lambda: _built(layers.Bidirectional(layers.LSTM(32, name="lstm"), name="layer"),
                       (None, 5, 32)),
        {"layer/forward_lstm/lstm_cell/kernel": ((32, 128), (32, 32)),
         "layer/backward_lstm/lstm_cell/recurrent_kernel": ((32, 128), (32, 32))},
        wrong={"layer/backward_lstm/lstm_cell/recurrent_kernel": NO_GATES}),
    "conv-lstm1d-32to24-k3": Row(
        lambda: _built(layers.ConvLSTM1D(24, 3, name="layer"), (None, 4, 10, 32)),
        {"layer/conv_lstm_cell/kernel": ((3, 32, 96), (96, 72)),
         "layer/conv_lstm_cell/recurrent_kernel": ((3, 24, 96), (72, 72))},
        wrong={"layer/conv_lstm_cell/kernel": NO_GATES}),
    "conv-lstm2d-8to16-k3": Row(
        lambda: _built(layers.ConvLSTM2D(16, 3, name="layer"), (None, 4, 8, 8, 8)),
        {"layer/conv_lstm_cell/kernel": ((3, 3, 8, 64), (72, 144)),
         "layer/conv_lstm_cell/recurrent_kernel": ((3, 3, 16, 64), (144, 144))},
        wrong={"layer/conv_lstm_cell/recurrent_kernel": NO_GATES}),
    "conv-lstm3d-8to8-k3": Row(
        lambda: _built(layers.ConvLSTM3D(8, 3, name="layer"), (None, 2, 5, 5, 5, 8)),
        {"layer/conv_lstm_cell/kernel": ((3, 3, 3, 8, 32), (216, 216)),
         "layer/conv_lstm_cell/recurrent_kernel": ((3, 3, 3, 8, 32), (216, 216))},
        wrong={"layer/conv_lstm_cell/kernel": NO_GATES}),
    "mha-e64-4-heads": Row(
        lambda: _built(layers.MultiHeadAttention(4, 16, name="layer"), (None, 5, 64),
                       (None, 5, 64)),
        {"layer/query/kernel": ((64, 4, 16), (64, 64)),
         "layer/key/kernel": ((64, 4, 16), (64, 64)),
         "layer/value/kernel": ((64, 4, 16), (64, 64)),
         "layer/attention_output/kernel": ((4, 16, 64), (64, 64))},
        wrong={"layer/query/kernel": NO_GATES}),
    "einsum-dense-128to64": Row(
        lambda: _built(layers.EinsumDense("abc,cd->abd", (None, 64), name="layer"),
                       (None, 5, 128)),
        {"layer/kernel": ((128, 64), (128, 64))}),
    "einsum-dense-per-position": Row(
        lambda: _built(layers.EinsumDense("abc,bcd->abd", (8, 32), name="layer"), (None, 8, 32)),
        {"layer/kernel": ((8, 32, 32), (32, 32))},
        wrong={"layer/kernel": NO_GATES}),
    "embedding-512x16": Row(
        lambda: _built(layers.Embedding(512, 16, name="layer"), (None, 4)),
        {"layer/embeddings": ((512, 16), (512, 16))}, {"embeddings": True}),
    "reversible-embedding-untied-256x16": Row(
        lambda: _built(layers.ReversibleEmbedding(256, 16, tie_weights=False, name="layer"),
                       (None, 4)),
        {"layer/embeddings": ((256, 16), (256, 16)),
         "layer/reverse_embeddings": ((16, 256), (16, 256))}, {"embeddings": True}),
    "conv2d-16to32-k3-s2-stride-aware": Row(
        lambda: _built(layers.Conv2D(32, 3, strides=2, name="layer"), (None, 9, 9, 16)),
        {"layer/kernel": ((3, 3, 16, 32), (144, 72))}, {"stride_aware": True},
        wrong={"layer/kernel": NO_GATES}),
    "patch-embedding-3to64-k16-s16-stride-aware": Row(
        lambda: _built(layers.Conv2D(64, 16, strides=16, name="layer"), (None, 32, 32, 3)),
        {"layer/kernel": ((16, 16, 3, 64), (768, 64))}, {"stride_aware": True},
        wrong={"layer/kernel": NO_GATES}),
    "conv2d-transpose-64to32-k2-s2-stride-aware": Row(
        lambda: _built(layers.Conv2DTranspose(32, 2, strides=2, name="layer"), (None, 4, 4, 64)),
        {"layer/kernel": ((2, 2, 32, 64), (64, 128))}, {"stride_aware": True},
        wrong={"layer/kernel": xc.KERAS_TRANSPOSED}),
    "depthwise-conv2d-512-k3-s2-stride-aware": Row(
        lambda: _built(layers.DepthwiseConv2D(3, strides=2, name="layer"), (None, 7, 7, 512)),
        {"layer/kernel": ((3, 3, 512, 1), (9, 2.25))}, {"stride_aware": True},
        wrong={"layer/kernel": xc.DEPTHWISE_CHANNELS_LAST}),
    "conv-lstm2d-8to16-k3-s2-stride-aware": Row(
        lambda: _built(layers.ConvLSTM2D(16, 3, strides=2, name="layer"), (None, 3, 9, 9, 8)),
        {"layer/conv_lstm_cell/kernel": ((3, 3, 8, 64), (72, 36)),
         "layer/conv_lstm_cell/recurrent_kernel": ((3, 3, 16, 64), (144, 144))},
        {"stride_aware": True}, wrong={"layer/conv_lstm_cell/kernel": NO_GATES.with_(blocks=4)}),
}
WRONG = [(case, path) for case, row in CASES.items() for path in row.wrong]


def _seed(case: str) -> int:
    return sum(map(ord, case))


def _glorot(fans: tuple[float, float]) -> xc.Distribution:
    return xc.glorot_uniform().distribution_for(xc.Fans(*fans))


@pytest.mark.parametrize("case", CASES)
def test_kernels_get_their_layer_fans(case: str) -> None:
    row = CASES[case]
    layer = row.build()
    report = xk.init_model(layer, seed=_seed(case), **row.options)
    variables = {v.path: v for v in layer.weights}
    for path, (shape, fans) in row.kernels.items():
        record = report[path]
        assert (record.state, record.shape) == ("drawn", shape), (
            f"got {record.state} {record.shape}, but should be drawn {shape} [{case}]")
        assert record.fans == xc.Fans(*fans), (
            f"got {record.fans}, but should be {xc.Fans(*fans)} [{case}, {path}]")
        assert_matches(variables[path], _glorot(fans), f"{case}, {path}")


def _detectable(fans: tuple[float, float], n: int) -> tuple[float, float]:
    """(smallest relative variance error the variance check flags, smallest relative std
    error the checks catch either way) for a Glorot uniform sample of n values with ``fans``."""
    distribution = _glorot(fans)
    variance = stats.check_variance(np.zeros(n), distribution).tolerance / distribution.variance
    return variance, stats.detectable_scale_error(distribution, n)


def _power_rows(cases: list[str]) -> Iterator[tuple[str, str, int, float, float]]:
    for case in cases:
        for path, (shape, fans) in CASES[case].kernels.items():
            yield (case, path, math.prod(shape), *_detectable(fans, math.prod(shape)))


@pytest.mark.parametrize("case", CASES)
def test_every_row_has_power(case: str) -> None:
    for _, path, n, variance, scale in _power_rows([case]):
        assert n >= MIN_VALUES, f"got {n} values, but should be >= {MIN_VALUES} [{case}, {path}]"
        assert variance <= 0.0684 and scale <= 0.0034, (
            f"got detectable variance error {variance:.2%} and std error {scale:.2%}, but "
            f"should be <= 6.84 % and 0.34 % [{case}, {path}, n={n}]")


@pytest.mark.parametrize(("case", "path"), WRONG, ids=[f"{c}-{p}" for c, p in WRONG])
def test_a_wrong_layout_fails_the_statistics(case: str, path: str) -> None:
    row = CASES[case]
    shape, fans = row.kernels[path]
    wrong = row.wrong[path]
    right, bad = _glorot(fans), _glorot(wrong.fans(shape))
    ratio = bad.variance / right.variance
    assert abs(ratio - 1) > 0.3, f"got a wrong layout with variance ratio {ratio:.3g} [{case}]"
    layer = row.build()
    xk.init_model(layer, seed=_seed(case), layouts={path: wrong}, **row.options)
    drawn = next(v for v in layer.weights if v.path == path)
    failed = [r.name for r in stats.check_sample(numpy_of(drawn), right) if not r.passed]
    assert failed, (f"got every check passing for {wrong} (variance ratio {ratio:.3g}), but "
                    f"should fail against the right fans {fans} [{BACKEND}, {case}, {path}]")


STRIDED = {
    "conv2d-16to32-k3-s2": (lambda: _built(layers.Conv2D(32, 3, strides=2, name="layer"),
                                           (None, 9, 9, 16)), (144, 72), (144, 288)),
    "conv2d-transpose-64to32-k2-s2": (
        lambda: _built(layers.Conv2DTranspose(32, 2, strides=2, name="layer"), (None, 4, 4, 64)),
        (64, 128), (256, 128)),
    "patch-embedding-k16-s16": (
        lambda: _built(layers.Conv2D(64, 16, strides=16, name="layer"), (None, 32, 32, 3)),
        (768, 64), (768, 16384)),
    "conv1d-16to32-k4-s4": (lambda: _built(layers.Conv1D(32, 4, strides=4, name="layer"),
                                           (None, 16, 16)), (64, 32), (64, 128)),
}


@pytest.mark.parametrize("stride_aware", [True, False], ids=["stride-aware", "stride-ignoring"])
@pytest.mark.parametrize("case", STRIDED)
def test_stride_aware_fans_both_ways(case: str, stride_aware: bool) -> None:
    build, aware, ignoring = STRIDED[case]
    layer = build()
    record = xk.init_model(layer, seed=_seed(case), stride_aware=stride_aware)["layer/kernel"]
    expected = xc.Fans(*(aware if stride_aware else ignoring))
    assert record.fans == expected, (
        f"got {record.fans}, but should be {expected} [{case}, stride_aware={stride_aware}]")
    assert ("strides" in record.note) == stride_aware, record
    assert_matches(layer.kernel, _glorot(expected), f"{case}, stride_aware={stride_aware}")


def test_distribution_and_gain_name() -> None:
    layer = _built(layers.Dense(256, name="layer"), (None, 512))
    report = xk.init_model(layer, "truncated_normal", gain="tanh", seed=1)
    expected = xc.glorot_truncated_normal(5 / 3).resolve((512, 256)).distribution
    assert report["layer/kernel"].distribution == expected, (
        f"got {report['layer/kernel'].distribution}, but should be {expected}")
    assert "gain 1.667" in report["layer/kernel"].note, report["layer/kernel"]
    assert_matches(layer.kernel, expected, "truncated_normal, gain tanh")


def _mlp() -> keras.Model:
    inputs = keras.Input((128,))
    hidden = layers.Dense(128, activation="relu", name="relu_1")(inputs)
    hidden = layers.Dense(128, activation="tanh", name="tanh_1")(hidden)
    return keras.Model(inputs, layers.Dense(64, name="head")(hidden), name="mlp")


def test_gain_mapping_by_layer_path_glob() -> None:
    model = _mlp()
    report = xk.init_model(model, "normal", gain={"relu_*": "relu", "tanh_*": 5 / 3}, seed=2)
    for path, gain in [("relu_1/kernel", math.sqrt(2)), ("tanh_1/kernel", 5 / 3),
                       ("head/kernel", 1.0)]:
        expected = xc.glorot_normal(gain).resolve(report[path].shape).distribution
        assert report[path].distribution == expected, (
            f"got {report[path].distribution}, but should be {expected} [{path}]")
        variable = next(v for v in model.weights if v.path == path)
        assert_matches(variable, expected, f"gain mapping, {path}")


def _snapshot(model: keras.Layer) -> dict[str, np.ndarray]:
    return {v.path: numpy_of(v).copy() for v in model.weights}


def _assert_unchanged(model: keras.Layer, before: dict[str, np.ndarray], context: str) -> None:
    after = _snapshot(model)
    assert list(after) == list(before), f"got variables {list(after)} [{context}]"
    changed = [path for path in before
               if before[path].tobytes() != after[path].tobytes()]
    assert not changed, f"got {changed} changed, but should be bit-identical [{context}]"


def test_a_gain_key_that_matches_no_layer_is_an_error_and_writes_nothing() -> None:
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(xc.XavierError, match=r"gain keys must each match a path.*'relu_2'"):
        xk.init_model(model, gain={"relu_1": "relu", "relu_2": "relu"}, seed=0)
    _assert_unchanged(model, before, "unused gain key")


def _lstm() -> keras.Layer:
    return _built(layers.LSTM(8, unit_forget_bias=True, name="layer"), (None, 5, 4))


def test_biases_are_kept_by_default_and_the_forget_bias_survives() -> None:
    layer = _lstm()
    before = numpy_of(layer.cell.bias)
    record = xk.init_model(layer, seed=0)["layer/lstm_cell/bias"]
    assert (record.state, record.reason) == ("kept", "bias"), record
    np.testing.assert_array_equal(numpy_of(layer.cell.bias), before, err_msg="forget-gate bias")
    assert before[8:16].tolist() == [1.0] * 8, f"got {before[8:16]}, but should be unit forget bias"


@pytest.mark.parametrize(("bias", "state", "value"),
                         [("zeros", "zeroed", 0.0), (0.25, "filled", 0.25), (-1, "filled", -1.0)],
                         ids=["zeros", "constant", "negative-int"])
def test_bias_policy_writes_every_bias(bias: object, state: str, value: float) -> None:
    layer = _lstm()
    record = xk.init_model(layer, bias=bias, seed=0)["layer/lstm_cell/bias"]
    assert (record.state, record.reason) == (state, "bias"), record
    values = numpy_of(layer.cell.bias)
    assert values.tolist() == [value] * values.size, f"got {values}, but should be all {value}"


class _ScaledDense(layers.Dense):
    """A user's subclass: still a Dense kernel."""


def test_subclass_of_a_known_layer_is_known() -> None:
    layer = _built(_ScaledDense(32, name="layer"), (None, 64))
    record = xk.init_model(layer, seed=0)["layer/kernel"]
    assert (record.state, record.fans) == ("drawn", xc.Fans(64, 32)), record


class _Bilinear(keras.Layer):
    """A user's layer with an (in, in, out) kernel: out_k = x^T W_k x."""

    def build(self, input_shape: tuple) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], input_shape[-1], 64), name="kernel")

    def call(self, inputs: Any) -> Any:
        return keras.ops.einsum("bi,ijk,bj->bk", inputs, self.kernel, inputs)


@pytest.fixture
def bilinear_rule() -> Iterator[None]:
    xk.RULES.register(_Bilinear, lambda layer: {
        "kernel": xc.rules.Weight(xc.Layout(in_axis=(0, 1), out_axis=2), "bilinear")})
    yield
    xk.RULES.unregister(_Bilinear)


@pytest.mark.usefixtures("bilinear_rule")
def test_a_user_layer_type_can_be_registered() -> None:
    layer = _built(_Bilinear(name="layer"), (None, 16))
    record = xk.init_model(layer, seed=0)["layer/kernel"]
    assert (record.state, record.fans, record.note) == ("drawn", xc.Fans(256, 64), "bilinear")
    assert_matches(layer.kernel, _glorot((256, 64)), "a registered user rule")


def test_unknown_layer_is_unhandled_warned_and_left_as_it_is() -> None:
    inputs = keras.Input((16,))
    model = keras.Model(inputs, _Bilinear(name="bilinear")(layers.Dense(16)(inputs)))
    before = numpy_of(model.get_layer("bilinear").kernel)
    with pytest.warns(xc.UnhandledWarning) as caught:
        report = xk.init_model(model, seed=0)
    message = str(caught[0].message)
    for expected in ("bilinear/kernel (_Bilinear, shape (16, 16, 64)): no rule for _Bilinear",
                     "xk.RULES.register(MyLayer", "layouts={", "strict=True"):
        assert expected in message, f"got {message!r}, but should contain {expected!r}"
    assert [r.name for r in report.unhandled] == ["bilinear/kernel"], str(report)
    np.testing.assert_array_equal(numpy_of(model.get_layer("bilinear").kernel), before)


def test_a_layouts_entry_draws_an_unknown_layer() -> None:
    layer = _built(_Bilinear(name="layer"), (None, 16))
    report = xk.init_model(layer, layouts={"layer/kernel": xc.Layout(in_axis=(0, 1), out_axis=2)},
                           seed=0)
    assert report["layer/kernel"].state == "drawn" and not report.unhandled, str(report)
    assert_matches(layer.kernel, _glorot((256, 64)), "layouts= on an unknown layer")


class _GatedDense(layers.Dense):
    """A Dense subclass with a variable the Dense rule does not know."""

    def build(self, input_shape: tuple) -> None:
        super().build(input_shape)
        self.gate = self.add_weight(shape=(self.units,), name="gate", initializer="ones")


def test_a_variable_a_known_rule_does_not_name_is_unhandled() -> None:
    layer = _built(_GatedDense(8, name="layer"), (None, 4))
    with pytest.warns(xc.UnhandledWarning):
        report = xk.init_model(layer, seed=0)
    record = report["layer/gate"]
    assert (record.state, record.reason) == (
        "unhandled", "no rule for this parameter of _GatedDense"), record


@pytest.mark.parametrize("norm", [
    pytest.param(lambda: layers.BatchNormalization(), id="batch-norm"),
    pytest.param(lambda: layers.LayerNormalization(), id="layer-norm"),
    pytest.param(lambda: layers.GroupNormalization(groups=4), id="group-norm"),
    pytest.param(lambda: layers.RMSNormalization(), id="rms-norm"),
])
def test_norm_layers_are_kept(norm: Callable[[], keras.Layer]) -> None:
    layer = _built(norm(), (None, 6, 8))
    before = _snapshot(layer)
    report = xk.init_model(layer, seed=0)
    assert len(report) >= 1 and {(r.state, r.reason) for r in report} == {
        ("kept", "normalization layer")}, str(report)
    _assert_unchanged(layer, before, type(layer).__name__)


def _spectral() -> keras.Layer:
    return _built(layers.SpectralNormalization(layers.Dense(8, name="dense"), name="layer"),
                  (None, 4))


@pytest.mark.parametrize(("build", "path", "reason"), [
    pytest.param(lambda: _built(layers.PReLU(name="layer"), (None, 4)), "layer/alpha",
                 "activation parameter", id="prelu"),
    pytest.param(lambda: _built(layers.Attention(use_scale=True, name="layer"),
                                [(None, 3, 4), (None, 3, 4)]),
                 "layer/scale", "attention scale", id="attention-scale"),
    pytest.param(lambda: _built(layers.Normalization(name="layer"),
                                (None, 4)), None, "preprocessing statistics",
                 id="normalization-preprocessing"),
    pytest.param(_spectral, "layer/vector_u", "normalization layer", id="spectral-norm-vector"),
])
def test_other_known_variables_are_kept_with_a_reason(build: Callable[[], keras.Layer],
                                                      path: str | None, reason: str) -> None:
    layer = build()
    before = _snapshot(layer)
    report = xk.init_model(layer, seed=0)
    records = [report[path]] if path else list(report)
    assert records and all((r.state, r.reason) == ("kept", reason) for r in records), str(report)
    if path == "layer/vector_u":
        assert report["layer/dense/kernel"].state == "drawn", str(report)
    else:
        _assert_unchanged(layer, before, reason)


def test_embeddings_are_kept_unless_asked() -> None:
    layer = _built(layers.Embedding(512, 16, name="layer"), (None, 4))
    before = numpy_of(layer.embeddings)
    record = xk.init_model(layer, seed=0)["layer/embeddings"]
    assert (record.state, record.reason) == ("kept", "embedding"), record
    assert "pass embeddings=True to draw it" in record.note, record
    np.testing.assert_array_equal(numpy_of(layer.embeddings), before)


def test_a_tied_reversible_embedding_says_it_is_also_the_head() -> None:
    layer = _built(layers.ReversibleEmbedding(256, 16, name="layer"), (None, 4))
    kept = xk.init_model(layer, seed=0)["layer/embeddings"]
    drawn = xk.init_model(layer, seed=0, embeddings=True)["layer/embeddings"]
    for record in (kept, drawn):
        assert "tied: also the output head" in record.note, record
    assert (kept.state, drawn.state, drawn.fans) == ("kept", "drawn", xc.Fans(256, 16))
    assert_matches(layer.embeddings, _glorot((256, 16)), "tied ReversibleEmbedding")


def test_lora_factors_are_kept() -> None:
    layer = _built(layers.Dense(64, name="layer"), (None, 64))
    layer.enable_lora(4)
    report = xk.init_model(layer, seed=0)
    lora = [(r.state, r.reason) for r in report if "lora" in r.name]
    assert lora == [("kept", "LoRA factor")] * 2, str(report)
    assert report["layer/kernel"].state == "drawn", str(report)


def test_quantized_kernel_is_kept() -> None:
    layer = _built(layers.Dense(8, name="layer"), (None, 16))
    layer.quantize("int8")
    report = xk.init_model(layer, seed=0)
    record = report["layer/kernel"]
    assert (record.state, record.reason) == ("kept", "quantized kernel"), record
    assert not report.unhandled, str(report)


@pytest.mark.parametrize("name", ["qkv", "c_attn", "qkv_proj", "gate_up_proj"])
def test_a_packed_looking_dense_gets_a_note_and_unchanged_fans(name: str) -> None:
    blocks = 2 if name == "gate_up_proj" else 3
    inputs = keras.Input((64,))
    model = keras.Model(inputs, layers.Dense(64 * blocks, name=name)(inputs))
    path = f"{name}/kernel"
    record = xk.init_model(model, seed=0)[path]
    assert record.fans == xc.Fans(64, 64 * blocks), f"got {record.fans}: fans changed on a guess"
    entry = f"layouts={{'{path}': xc.CHANNELS_LAST.with_(blocks={blocks})}}"
    assert entry in record.note, f"got note {record.note!r}, but should give {entry!r}"
    followed = xk.init_model(model, seed=0,
                             layouts={path: xc.CHANNELS_LAST.with_(blocks=blocks)})[path]
    assert followed.fans == xc.Fans(64, 64), f"got {followed.fans} after following the note"
    assert_matches(model.get_layer(name).kernel, _glorot((64, 64)), f"{name} per block")


def test_shared_layer_is_reported_once() -> None:
    shared = layers.Dense(8)
    inputs = keras.Input((8,))
    model = keras.Model(inputs, shared(shared(inputs)))
    report = xk.init_model(model, seed=0)
    assert len(report.by_state("drawn")) == 1, f"got\n{report}\nbut should be one kernel"


def test_bfloat16_layer_gets_the_float32_draw_cast_once() -> None:
    layer = _built(layers.Dense(256, dtype="bfloat16", name="layer"), (None, 512))
    xk.init_model(layer, seed=3)
    kernel = numpy_of(layer.kernel)
    assert kernel.dtype.name == "bfloat16", f"got {kernel.dtype}, but should be bfloat16"
    distinct = np.unique(kernel.view(np.uint16)).size
    assert distinct > 1000, f"got {distinct} distinct values, but should be > 1000"


def test_report_prints_a_summary_and_a_table() -> None:
    layer = _built(layers.Conv2DTranspose(7, 3, name="layer"), (None, 8, 8, 5))
    summary, header, _, kernel_row, bias_row = str(xk.init_model(layer)).splitlines()
    assert summary == "2 tensors: 1 drawn, 1 kept (bias 1), 0 unhandled", summary
    assert "fans (in, out)" in header, header
    assert "(45, 63)" in kernel_row and "drawn" in kernel_row, kernel_row
    assert "kept" in bias_row and "bias='keep'" in bias_row, bias_row


class _Broken(keras.Layer):
    """The last layer of the atomicity model: a kernel its rule (or layout) gets wrong."""

    def build(self, input_shape: tuple) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], 10), name="kernel")

    def call(self, inputs: Any) -> Any:
        return inputs @ self.kernel


def _atomic_model(last_dtype: str = "float32") -> keras.Model:
    """Dense, Conv, BatchNorm, LSTM (non-trainable statistics and a forget bias included), and
    a last layer where the error is injected."""
    inputs = keras.Input((6, 6, 3))
    hidden = layers.Conv2D(8, 3, name="conv")(inputs)
    hidden = layers.BatchNormalization(name="norm")(hidden)
    hidden = layers.Reshape((16, 8))(hidden)
    hidden = layers.LSTM(8, name="lstm")(hidden)
    hidden = layers.Dense(12, name="dense")(hidden)
    outputs = _Broken(name="last", dtype=last_dtype)(hidden)
    model = keras.Model(inputs, outputs)
    moving = model.get_layer("norm").moving_mean
    moving.assign(keras.ops.ones(moving.shape))  # non-default statistics must survive too
    return model


INJECTED = {
    "layout-does-not-fit": (dict(layouts={"last/kernel": xc.CHANNELS_LAST.with_(blocks=3)}),
                            "a divisor of the out-axis"),
    "strict-unhandled": (dict(strict=True), "no rule for _Broken"),
    "unused-layouts-key": (dict(layouts={"last/kernel": xc.CHANNELS_LAST,
                                         "lsat/*": xc.CHANNELS_LAST}), "'lsat/*' matches nothing"),
    "bad-rule-plan": (dict(), "must be a xavier_core.rules Weight, Bias or Keep"),
}


@pytest.fixture
def broken_rule() -> Iterator[None]:
    xk.RULES.register(_Broken, lambda layer: {"kernel": xc.CHANNELS_LAST})  # a Layout, no plan
    yield
    xk.RULES.unregister(_Broken)


@pytest.mark.parametrize("case", INJECTED)
def test_an_error_at_the_last_variable_writes_nothing(case: str,
                                                      request: pytest.FixtureRequest) -> None:
    if case == "bad-rule-plan":
        request.getfixturevalue("broken_rule")
    options, message = INJECTED[case]
    model = _atomic_model()
    before = _snapshot(model)
    with pytest.raises(xc.XavierError, match=re.escape(message)):
        xk.init_model(model, bias="zeros", seed=0, **options)
    _assert_unchanged(model, before, case)


@pytest.mark.skipif(BACKEND != "jax", reason="only the JAX backend refuses float64 (x64 off)")
def test_a_float64_layer_after_float32_ones_writes_nothing_on_jax() -> None:
    model = _atomic_model(last_dtype="float64")
    before = _snapshot(model)
    with pytest.raises(xc.XavierError, match=r"last/kernel .*set JAX_ENABLE_X64=1"):
        xk.init_model(model, bias="zeros", seed=0, layouts={"last/*": xc.CHANNELS_LAST})
    _assert_unchanged(model, before, "float64 on JAX")


def test_removed_names_point_to_their_replacement() -> None:
    with pytest.raises(AttributeError, match="LAYER_KERNELS was replaced by RULES"):
        xk.LAYER_KERNELS  # noqa: B018


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: xk.init_model(layers.Dense(4)), "model must be built", id="unbuilt"),
        pytest.param(lambda: xk.init_model("model"), "model must be a keras.Layer",
                     id="not-a-layer"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), "gaussian"),
                     "distribution must be one of", id="bad-distribution"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), gain="swish"),
                     "gain must be a nonlinearity name", id="unknown-nonlinearity"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), gain=-2.0),
                     "gain must be a finite number >= 0", id="negative-gain"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), bias="zero"),
                     "bias must be 'zeros', 'keep' or a finite number", id="bad-bias"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)),
                                           layouts={"*": "torch"}),
                     "layouts['*'] must be a xavier_core.Layout", id="bad-layout"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), strict=1),
                     "strict must be True or False, got strict=1", id="bad-strict"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)),
                                           stride_aware="yes"),
                     "stride_aware must be True or False", id="bad-stride-aware"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), embeddings=None),
                     "embeddings must be True or False", id="bad-embeddings"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), seed="0"),
                     "seed must be an int", id="bad-seed"),
    ],
)
def test_bad_input_is_a_xavier_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"


if __name__ == "__main__":
    from xavier_core import render_table

    print(render_table(("row", "kernel", "values", "variance error flagged", "std error caught"),
                       [(case, path, str(n), f">= {variance:.2%}", f">= {scale:.3%}")
                        for case, path, n, variance, scale in _power_rows(list(CASES))]))
