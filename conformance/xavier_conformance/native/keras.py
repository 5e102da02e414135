"""Keras layers of the DESIGN.md table, initialized by ``xavier_adapters.keras.init_model``."""

from __future__ import annotations

import keras

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_conformance.native import NativeRow

layers = keras.layers

# (id, layer, input shape without batch, variable path from the layer, DESIGN.md's correct fans)
LAYERS = [
    ("Dense-784-64", lambda: layers.Dense(64), (784,), "kernel", (784, 64)),
    ("Conv2D-16-64-k3", lambda: layers.Conv2D(64, 3), (8, 8, 16), "kernel", (144, 576)),
    ("Conv2DTranspose-5-7-k3", lambda: layers.Conv2DTranspose(7, 3), (8, 8, 5), "kernel",
     (45, 63)),
    ("Conv2D-32-64-k3-groups4", lambda: layers.Conv2D(64, 3, groups=4), (8, 8, 32), "kernel",
     (72, 144)),
    ("DepthwiseConv2D-32-k3", lambda: layers.DepthwiseConv2D(3), (8, 8, 32), "kernel", (9, 9)),
    # Strided: an input unit feeds out x prod(k / s) outputs (init_model is stride-aware).
    ("Conv2D-16-32-k3-s2", lambda: layers.Conv2D(32, 3, strides=2), (9, 9, 16), "kernel",
     (144, 72)),
    ("Conv2D-3-768-k16-s16-patch", lambda: layers.Conv2D(768, 16, strides=16), (32, 32, 3),
     "kernel", (768, 768)),
    ("Conv2DTranspose-32-16-k2-s2", lambda: layers.Conv2DTranspose(16, 2, strides=2), (8, 8, 32),
     "kernel", (32, 64)),
    ("LSTM-16-32-kernel", lambda: layers.LSTM(32), (5, 16), "cell.kernel", (16, 32)),
    ("LSTM-16-32-recurrent_kernel", lambda: layers.LSTM(32), (5, 16), "cell.recurrent_kernel",
     (32, 32)),
]


def _built(build, input_shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    layer = build()
    layer.build((None, *input_shape))
    return layer


def _variable(layer, path: str):  # type: ignore[no-untyped-def]
    for name in path.split("."):
        layer = getattr(layer, name)
    return keras.ops.convert_to_numpy(layer)


def rows(seed: int) -> list[NativeRow]:
    """Each layer built, Glorot-initialized through the adapter, and its kernel read back."""
    found = []
    for index, (row_id, build, input_shape, path, fans) in enumerate(LAYERS):
        layer = _built(build, input_shape)
        xk.init_model(layer, seed=seed + index)
        found.append(NativeRow(row_id, _variable(layer, path), xc.Fans(*fans)))
    # He (fan_in) with the layer's own layout: a (*k, out, in) kernel read as (*k, in, out) fails.
    layer = _built(lambda: layers.Conv2DTranspose(64, 3), (8, 8, 16))
    layout = xk.layer_plans(layer)["kernel"].layout
    he = xc.he("uniform")
    kernel = xk.from_spec(he, layout, seed + len(LAYERS))(tuple(layer.kernel.shape), "float32")
    found.append(NativeRow("Conv2DTranspose-16-64-k3-he-fan_in",
                           keras.ops.convert_to_numpy(kernel), xc.Fans(144, 576), he))
    return found
