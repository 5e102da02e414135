"""init_model draws every kernel with its layer type's fans (DESIGN.md section 3, Keras rows).

Each kernel is checked twice: the report states the expected fans, and the drawn values pass the
statistics against the Glorot distribution of those expected fans (so a wrong layout fails the
reach, variance or KS check even if the report were right).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest
from keras_helpers import assert_matches, numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk

layers = keras.layers


def _built(layer: keras.Layer, *input_shapes: tuple) -> keras.Layer:
    layer.build(*input_shapes)
    return layer


# case id -> (build the layer named "layer", {variable path: (shape, expected fans)})
CASES: dict[str, tuple[Callable[[], keras.Layer], dict[str, tuple[tuple, tuple]]]] = {
    "dense-784x64": (lambda: _built(layers.Dense(64, name="layer"), (None, 784)),
                     {"layer/kernel": ((784, 64), (784, 64))}),
    "conv2d-hwio-16to64-k3": (lambda: _built(layers.Conv2D(64, 3, name="layer"), (None, 8, 8, 16)),
                              {"layer/kernel": ((3, 3, 16, 64), (144, 576))}),
    "conv2d-transpose-5to7-k3": (
        lambda: _built(layers.Conv2DTranspose(7, 3, name="layer"), (None, 8, 8, 5)),
        {"layer/kernel": ((3, 3, 7, 5), (45, 63))}),
    "conv2d-groups4-32to64-k3": (
        lambda: _built(layers.Conv2D(64, 3, groups=4, name="layer"), (None, 8, 8, 32)),
        {"layer/kernel": ((3, 3, 8, 64), (72, 144))}),
    "depthwise-conv2d-32-k3": (
        lambda: _built(layers.DepthwiseConv2D(3, name="layer"), (None, 8, 8, 32)),
        {"layer/kernel": ((3, 3, 32, 1), (9, 9))}),
    "lstm-in16-u32": (lambda: _built(layers.LSTM(32, name="layer"), (None, 10, 16)),
                      {"layer/lstm_cell/kernel": ((16, 128), (16, 32)),
                       "layer/lstm_cell/recurrent_kernel": ((32, 128), (32, 32))}),
    "mha-e64-4-heads": (
        lambda: _built(layers.MultiHeadAttention(4, 16, name="layer"), (None, 5, 64),
                       (None, 5, 64)),
        {"layer/query/kernel": ((64, 4, 16), (64, 64)), "layer/key/kernel": ((64, 4, 16), (64, 64)),
         "layer/value/kernel": ((64, 4, 16), (64, 64)),
         "layer/attention_output/kernel": ((4, 16, 64), (64, 64))}),
    "conv1d-8to16-k5": (lambda: _built(layers.Conv1D(16, 5, name="layer"), (None, 20, 8)),
                        {"layer/kernel": ((5, 8, 16), (40, 80))}),
    "conv3d-4to8-k3": (lambda: _built(layers.Conv3D(8, 3, name="layer"), (None, 6, 6, 6, 4)),
                       {"layer/kernel": ((3, 3, 3, 4, 8), (108, 216))}),
    "conv1d-transpose-4to6-k3": (
        lambda: _built(layers.Conv1DTranspose(6, 3, name="layer"), (None, 10, 4)),
        {"layer/kernel": ((3, 6, 4), (12, 18))}),
    "conv3d-transpose-3to6-k2": (
        lambda: _built(layers.Conv3DTranspose(6, 2, name="layer"), (None, 4, 4, 4, 3)),
        {"layer/kernel": ((2, 2, 2, 6, 3), (24, 48))}),
    "depthwise-conv1d-8-k5-mult2": (
        lambda: _built(layers.DepthwiseConv1D(5, depth_multiplier=2, name="layer"), (None, 20, 8)),
        {"layer/kernel": ((5, 8, 2), (5, 10))}),
    "separable-conv2d-4to16-k3-mult2": (
        lambda: _built(layers.SeparableConv2D(16, 3, depth_multiplier=2, name="layer"),
                       (None, 8, 8, 4)),
        {"layer/depthwise_kernel": ((3, 3, 4, 2), (9, 18)),
         "layer/pointwise_kernel": ((1, 1, 8, 16), (8, 16))}),
    "separable-conv1d-6to12-k3": (
        lambda: _built(layers.SeparableConv1D(12, 3, name="layer"), (None, 10, 6)),
        {"layer/depthwise_kernel": ((3, 6, 1), (3, 3)),
         "layer/pointwise_kernel": ((1, 6, 12), (6, 12))}),
    "gru-in4-u8": (lambda: _built(layers.GRU(8, name="layer"), (None, 5, 4)),
                   {"layer/gru_cell/kernel": ((4, 24), (4, 8)),
                    "layer/gru_cell/recurrent_kernel": ((8, 24), (8, 8))}),
    "simple-rnn-in4-u8": (lambda: _built(layers.SimpleRNN(8, name="layer"), (None, 5, 4)),
                          {"layer/simple_rnn_cell/kernel": ((4, 8), (4, 8)),
                           "layer/simple_rnn_cell/recurrent_kernel": ((8, 8), (8, 8))}),
    "bidirectional-lstm-in4-u8": (
        lambda: _built(layers.Bidirectional(layers.LSTM(8), name="layer"), (None, 5, 4)),
        {"layer/forward_lstm/lstm_cell/kernel": ((4, 32), (4, 8)),
         "layer/backward_lstm/lstm_cell/recurrent_kernel": ((8, 32), (8, 8))}),
    "einsum-dense": (
        lambda: _built(layers.EinsumDense("abc,cd->abd", (None, 12), name="layer"), (None, 5, 20)),
        {"layer/kernel": ((20, 12), (20, 12))}),
    "einsum-dense-per-position": (
        lambda: _built(layers.EinsumDense("abc,bcd->abd", (5, 12), name="layer"), (None, 5, 20)),
        {"layer/kernel": ((5, 20, 12), (20, 12))}),
}


@pytest.mark.parametrize("case", CASES)
def test_kernels_get_their_layer_fans(case: str) -> None:
    build, expected = CASES[case]
    layer = build()
    report = xk.init_model(layer, seed=sum(map(ord, case)))
    variables = {v.path: v for v in layer.weights}
    for path, (shape, fans) in expected.items():
        record = report[path]
        assert (record.state, record.shape) == ("drawn", shape), (
            f"got {record.state} {record.shape}, but should be drawn {shape} [{case}]")
        assert record.fans == xc.Fans(*fans), (
            f"got {record.fans}, but should be {xc.Fans(*fans)} [{case}, {path}]")
        distribution = xc.glorot_uniform().distribution_for(xc.Fans(*fans))
        assert_matches(variables[path], distribution, f"{case}, {path}")


def test_distribution_and_gain_name() -> None:
    layer = _built(layers.Dense(256, name="layer"), (None, 512))
    report = xk.init_model(layer, "truncated_normal", gain="tanh", seed=1)
    expected = xc.glorot_truncated_normal(5 / 3).resolve((512, 256)).distribution
    assert report["layer/kernel"].distribution == expected, (
        f"got {report['layer/kernel'].distribution}, but should be {expected}")
    assert_matches(layer.kernel, expected, "truncated_normal, gain tanh")


def test_biases_are_kept() -> None:
    layer = _built(layers.LSTM(8, unit_forget_bias=True, name="layer"), (None, 5, 4))
    bias = layer.cell.bias
    before = numpy_of(bias)
    report = xk.init_model(layer, seed=0)
    assert report["layer/lstm_cell/bias"].state == "kept", report["layer/lstm_cell/bias"]
    np.testing.assert_array_equal(numpy_of(bias), before, err_msg="the forget-gate bias of 1")
    assert before[8:16].tolist() == [1.0] * 8, f"got {before[8:16]}, but should be unit forget bias"


class _ScaledDense(layers.Dense):
    """A user's subclass: still a Dense kernel."""


def test_subclass_of_a_known_layer_is_known() -> None:
    layer = _built(_ScaledDense(32, name="layer"), (None, 64))
    record = xk.init_model(layer, seed=0)["layer/kernel"]
    assert (record.state, record.fans) == ("drawn", xc.Fans(64, 32)), record


class _Bilinear(keras.Layer):
    """A user's layer with an (in, in, out) kernel: out_k = x^T W_k x."""

    def build(self, input_shape: tuple) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], input_shape[-1], 16), name="kernel")


def test_a_user_layer_type_can_be_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(xk.LAYER_KERNELS, _Bilinear, lambda layer: {
        "kernel": (xc.Layout(in_axis=(0, 1), out_axis=2), "bilinear")})
    layer = _built(_Bilinear(name="layer"), (None, 8))
    record = xk.init_model(layer, seed=0)["layer/kernel"]
    assert (record.state, record.fans) == ("drawn", xc.Fans(64, 16)), record


def test_unsupported_layers_are_skipped_and_left_as_they_are() -> None:
    model = keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(50, 16),
                              layers.BatchNormalization(), layers.Dense(4)])
    embeddings = numpy_of(model.layers[0].embeddings)
    report = xk.init_model(model, seed=0)
    skipped = report.by_state("unhandled")
    kinds = sorted({record.layer for record in skipped})
    assert kinds == ["BatchNormalization", "Embedding"], f"got {kinds}, but should be both"
    for record in skipped:
        assert record.reason == f"{record.layer} is not a layer type init_model knows", record
    np.testing.assert_array_equal(numpy_of(model.layers[0].embeddings), embeddings)
    assert [r.layer for r in report.by_state("drawn")] == ["Dense"], str(report)


def test_quantized_kernel_is_skipped() -> None:
    layer = _built(layers.Dense(8, name="layer"), (None, 16))
    layer.quantize("int8")
    record = xk.init_model(layer, seed=0)["layer/kernel"]
    assert (record.state, record.reason) == ("kept", "quantized kernel"), record


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


def test_report_prints_as_a_table() -> None:
    text = str(xk.init_model(_built(layers.Conv2DTranspose(7, 3, name="layer"), (None, 8, 8, 5))))
    summary, header, _, kernel_row, bias_row = text.splitlines()
    assert summary == "2 tensors: 1 drawn, 1 kept (not a kernel 1), 0 unhandled", summary
    assert "fans (in, out)" in header, header
    assert "(45, 63)" in kernel_row and "drawn" in kernel_row, kernel_row
    assert "kept" in bias_row, bias_row


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: xk.init_model(layers.Dense(4)), "model must be built", id="unbuilt"),
        pytest.param(lambda: xk.init_model("model"), "model must be a keras.Layer",
                     id="not-a-layer"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), "gaussian"),
                     "distribution must be one of", id="bad-distribution"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), gain="swish"),
                     "nonlinearity must be one of", id="unknown-nonlinearity"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), gain=-2.0),
                     "gain must be a finite number >= 0", id="negative-gain"),
        pytest.param(lambda: xk.init_model(_built(layers.Dense(4), (None, 2)), seed="0"),
                     "seed must be an int", id="bad-seed"),
    ],
)
def test_bad_input_is_a_xavier_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"
