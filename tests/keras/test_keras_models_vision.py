"""Stand-ins of vision models written the way keras.applications and keras.io write them (no
downloads): a ResNet-style CNN (strided stem, bottleneck blocks with BatchNormalization and 1x1
strided shortcuts) and the ConvLSTM2D next-frame predictor. Each ends in the contract's states,
with no unhandled variable and no warning, and every drawn kernel passes the statistics."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest
from keras_helpers import assert_contract, numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_conformance import stats

layers = keras.layers


def _block(x: Any, filters: int, stride: int, shortcut: bool, name: str) -> Any:
    """keras.applications' ResNet v1 bottleneck: the stride on the first 1x1 conv."""
    if shortcut:
        skip = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        skip = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_0_bn")(skip)
    else:
        skip = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([skip, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def resnet_like() -> keras.Model:
    """Stem conv k7 s2 + BN + max-pool, two stages of two bottleneck blocks, pooled Dense."""
    inputs = keras.Input((32, 32, 3))
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(16, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_pool")(x)
    for stage, (filters, stride) in enumerate([(8, 1), (16, 2)], start=2):
        x = _block(x, filters, stride, True, f"conv{stage}_block1")
        x = _block(x, filters, 1, False, f"conv{stage}_block2")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, layers.Dense(10, name="predictions")(x), name="resnet_like")


CONVS, NORMS = 15, 15  # stem + 2 stages x (shortcut + 2 blocks x 3) convs, one BN each


@pytest.mark.parametrize("stride_aware", [False, True], ids=["stride-ignoring", "stride-aware"])
def test_resnet_like_cnn_ends_in_the_contract(stride_aware: bool) -> None:
    model = resnet_like()
    with warnings.catch_warnings():
        warnings.simplefilter("error", xc.UnhandledWarning)
        report = xk.init_model(model, gain="relu", seed=0, stride_aware=stride_aware)
    drawn, biases, norm_vars = CONVS + 1, CONVS + 1, 4 * NORMS
    assert report.summary() == (
        f"{drawn + biases + norm_vars} tensors: {drawn} drawn, {biases + norm_vars} kept "
        f"(normalization layer {norm_vars}, bias {biases}), 0 unhandled"), report.summary()
    assert_contract(model, report, f"resnet-like, stride_aware={stride_aware}")


@pytest.mark.parametrize(("stride_aware", "stem", "shortcut"), [
    (False, (147, 784), (32, 64)),
    (True, (147, 196), (32, 16)),
], ids=["stride-ignoring", "stride-aware"])
def test_resnet_like_strided_convs(stride_aware: bool, stem: tuple, shortcut: tuple) -> None:
    report = xk.init_model(resnet_like(), seed=1, stride_aware=stride_aware)
    for path, fans in [("conv1_conv/kernel", stem), ("conv3_block1_0_conv/kernel", shortcut),
                       ("conv3_block1_2_conv/kernel", (144, 144))]:
        assert report[path].fans == xc.Fans(*fans), (
            f"got {report[path].fans}, but should be {fans} [{path}, stride_aware={stride_aware}]")


def test_resnet_like_report_collapses_its_table() -> None:
    report = xk.init_model(resnet_like(), seed=2)
    lines = str(report).splitlines()
    assert lines[0] == report.summary(), lines[0]
    assert len(lines) == 1 + 2 + xc.record.ROWS_SHOWN + 1, (
        f"got {len(lines)} lines, but should be summary, header, rule, "
        f"{xc.record.ROWS_SHOWN} rows and a 'more rows' line")
    assert lines[-1].startswith(f"... {len(report) - xc.record.ROWS_SHOWN} more rows"), lines[-1]
    assert len(report.table(full=True).splitlines()) == 2 + len(report)


def next_frame_predictor() -> keras.Model:
    """keras.io's ConvLSTM2D next-frame prediction model, narrower."""
    inputs = keras.Input((None, 16, 16, 1))
    x = layers.ConvLSTM2D(16, 5, padding="same", return_sequences=True, activation="relu",
                          name="conv_lstm_5x5")(inputs)
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.ConvLSTM2D(16, 3, padding="same", return_sequences=True, activation="relu",
                          name="conv_lstm_3x3")(x)
    x = layers.BatchNormalization(name="bn_2")(x)
    x = layers.ConvLSTM2D(16, 1, padding="same", return_sequences=True, activation="relu",
                          name="conv_lstm_1x1")(x)
    outputs = layers.Conv3D(1, 3, activation="sigmoid", padding="same", name="frame")(x)
    return keras.Model(inputs, outputs, name="next_frame")


def test_conv_lstm_next_frame_predictor_ends_in_the_contract() -> None:
    model = next_frame_predictor()
    bias = model.get_layer("conv_lstm_3x3").cell.bias
    with warnings.catch_warnings():
        warnings.simplefilter("error", xc.UnhandledWarning)
        report = xk.init_model(model, seed=3)
    assert report.summary() == ("19 tensors: 7 drawn, 12 kept (normalization layer 8, bias 4), "
                                "0 unhandled"), report.summary()
    assert_contract(model, report, "next-frame ConvLSTM2D")
    expected = {  # per gate: (k*k*in, k*k*filters)
        "conv_lstm_5x5/conv_lstm_cell/kernel": (25, 400),
        "conv_lstm_5x5/conv_lstm_cell/recurrent_kernel": (400, 400),
        "conv_lstm_3x3/conv_lstm_cell/kernel": (144, 144),
        "conv_lstm_1x1/conv_lstm_cell/recurrent_kernel": (16, 16),
        "frame/kernel": (432, 27),
    }
    for path, fans in expected.items():
        assert report[path].fans == xc.Fans(*fans), f"got {report[path].fans}, but should be {fans}"
    forget = numpy_of(bias)[16:32]
    assert forget.tolist() == [1.0] * 16, f"got {forget}, but unit_forget_bias ones should stay"
    assert np.all(numpy_of(model.get_layer("bn_1").moving_variance) == 1.0)


def test_keras_applications_mobilenet_v3_ends_in_the_contract() -> None:
    """A real keras.applications model, built with weights=None (nothing downloaded): Rescaling,
    strided and depthwise convs, squeeze-excite 1x1 convs with biases, BatchNormalization."""
    model = keras.applications.MobileNetV3Small(weights=None, input_shape=(64, 64, 3), classes=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", xc.UnhandledWarning)
        report = xk.init_model(model, seed=4, stride_aware=True)
    assert_contract(model, report, "MobileNetV3Small")
    assert len(report.by_state("drawn")) == 54, report.summary()


class LayerScale(layers.Layer):
    """keras.applications.convnext.LayerScale: a learned per-channel scale, init 1e-6."""

    def build(self, input_shape: tuple) -> None:
        self.gamma = self.add_weight(shape=(input_shape[-1],),
                                     initializer=keras.initializers.Constant(1e-6))

    def call(self, x: Any) -> Any:
        return x * self.gamma


def test_convnext_block_ends_in_the_contract() -> None:
    """keras.applications' ConvNeXt block: depthwise k7, LayerNormalization, pointwise Dense
    4x expansion, LayerScale; with a k4 s4 patchify stem."""
    inputs = keras.Input((32, 32, 3))
    stem = layers.Conv2D(32, 4, strides=4, name="stem")(inputs)
    x = layers.DepthwiseConv2D(7, padding="same", name="block_depthwise_conv")(stem)
    x = layers.LayerNormalization(epsilon=1e-6, name="block_layernorm")(x)
    x = layers.Dense(128, activation="gelu", name="block_pointwise_conv_1")(x)
    x = layers.Dense(32, name="block_pointwise_conv_2")(x)
    x = LayerScale(name="block_layer_scale")(x)
    model = keras.Model(inputs, layers.Add()([stem, x]), name="convnext_block")
    with warnings.catch_warnings():
        warnings.simplefilter("error", xc.UnhandledWarning)
        report = xk.init_model(model, seed=5, stride_aware=True)
    assert report.summary() == ("11 tensors: 4 drawn, 7 kept (bias 4, normalization layer 2, "
                                "layer scale 1), 0 unhandled"), report.summary()
    assert report["stem/kernel"].fans == xc.Fans(48, 32), report["stem/kernel"]
    assert report["block_depthwise_conv/kernel"].fans == xc.Fans(49, 49)
    assert_contract(model, report, "ConvNeXt block")


def test_kernels_too_small_alone_are_judged_pooled() -> None:
    """Sixteen 128-value normal kernels: alone each catches only a 38 % std error (variance),
    pooled (2,048 values) 7.9 %; drawn 15 % too narrow, each passes alone, the pool fails."""
    model = keras.Sequential([keras.Input((8,)), *[layers.Dense(16 if i % 2 == 0 else 8)
                                                   for i in range(16)]])
    right = xk.init_model(model, "normal", seed=6)
    assert_contract(model, right, "small kernels, right scale")
    xk.init_model(model, "normal", seed=6, gain=0.85)
    for path in (v.path for v in model.weights if v.path.endswith("kernel")):
        values = numpy_of(next(v for v in model.weights if v.path == path))
        failed = [r.name for r in stats.check_sample(values, right[path].distribution)
                  if not r.passed]
        assert not failed, f"got {failed} failing alone, but a 128-value kernel should not [{path}]"
    with pytest.raises(AssertionError, match="pooled 2048 values"):
        assert_contract(model, right, "small kernels, 15 % too narrow")
