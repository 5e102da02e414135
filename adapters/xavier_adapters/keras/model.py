"""Layer-aware init of a built Keras model: each kernel drawn with the fans of its layer type.

A bare initializer sees only a shape, so it reads a Keras kernel as ``(..., in, out)``; that is
right for Dense and Conv, and wrong for transposed, grouped, depthwise and packed-gate kernels
(EinsumDense hands its equation's axes to the initializer, counting an axis shared by input and
output as an out axis). ``init_model`` knows the layer each kernel belongs to (DESIGN.md,
section 3):

    Dense, ConvND                   (..., in/groups, out)      CHANNELS_LAST.with_(groups=g)
    ConvNDTranspose                 (*k, out, in)              KERAS_TRANSPOSED
    DepthwiseConvND, separable's    (*k, channels, mult)       DEPTHWISE_CHANNELS_LAST
      depthwise kernel
    separable's pointwise kernel    (1, .., in * mult, out)    CHANNELS_LAST (a 1x1 conv)
    LSTM / GRU / SimpleRNN cells    (in or units, g * units)   CHANNELS_LAST.with_(blocks=g gates)
    EinsumDense, MultiHeadAttention from the einsum equation   xavier_core.einsum.einsum_layout
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.keras.sampling import draw
from xavier_adapters.keras.seeds import Seed, SeedStream
from xavier_core.einsum import einsum_layout

keras = require("keras", "keras")
layers = keras.layers

KernelLayouts = dict[str, tuple[xc.Layout, str]]
"""Variable name -> (its layout, a note on how the fans are read)."""


def _dense(layer: Any) -> KernelLayouts:
    return {"kernel": (xc.CHANNELS_LAST, "")}


def _einsum(layer: Any) -> KernelLayouts:
    return {"kernel": (einsum_layout(layer.equation), f"einsum {layer.equation}")}


def _conv(layer: Any) -> KernelLayouts:
    groups = layer.groups
    note = f"{groups} groups, fans per group" if groups > 1 else ""
    return {"kernel": (xc.CHANNELS_LAST.with_(groups=groups), note)}


def _transposed(layer: Any) -> KernelLayouts:
    return {"kernel": (xc.KERAS_TRANSPOSED, "transposed: (*kernel, out, in)")}


def _depthwise(layer: Any) -> KernelLayouts:
    return {"kernel": (xc.DEPTHWISE_CHANNELS_LAST, "depthwise: one input per channel")}


def _separable(layer: Any) -> KernelLayouts:
    return {"depthwise_kernel": (xc.DEPTHWISE_CHANNELS_LAST, "depthwise: one input per channel"),
            "pointwise_kernel": (xc.CHANNELS_LAST, "pointwise: a 1x1 conv")}


def _gates(count: int) -> Callable[[Any], KernelLayouts]:
    layout = xc.CHANNELS_LAST.with_(blocks=count)
    note = f"per gate ({count} gates)" if count > 1 else ""
    return lambda layer: {"kernel": (layout, note), "recurrent_kernel": (layout, note)}


LAYER_KERNELS: dict[type, Callable[[Any], KernelLayouts]] = {
    layers.Dense: _dense,
    layers.EinsumDense: _einsum,
    **dict.fromkeys((layers.Conv1D, layers.Conv2D, layers.Conv3D), _conv),
    **dict.fromkeys(
        (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose), _transposed),
    **dict.fromkeys((layers.DepthwiseConv1D, layers.DepthwiseConv2D), _depthwise),
    **dict.fromkeys((layers.SeparableConv1D, layers.SeparableConv2D), _separable),
    layers.LSTMCell: _gates(4),
    layers.GRUCell: _gates(3),
    layers.SimpleRNNCell: _gates(1),
}
"""The layer types ``init_model`` knows (subclasses included): each maps a built layer to its
kernels, by variable name, with their layouts. MultiHeadAttention is covered through its
EinsumDense projections; LSTM, GRU, SimpleRNN and Bidirectional through their cells. A user may
add a layer type: ``LAYER_KERNELS[MyLayer] = lambda layer: {"kernel": (xc.CHANNELS_LAST, "")}``."""


def kernel_layouts(layer: Any) -> KernelLayouts | None:
    """The kernels of ``layer`` by variable name, or None for a layer type not in the table."""
    for cls in type(layer).__mro__:
        if cls in LAYER_KERNELS:
            return LAYER_KERNELS[cls](layer)
    return None


def _sublayers(layer: Any) -> list[Any]:
    # Keras 3 has no public accessor for the direct sublayers of an arbitrary layer.
    return layer._flatten_layers(include_self=False, recursive=False)


def _walk(layer: Any, seen: set[int]) -> Iterator[Any]:
    """``layer`` and every sublayer, depth first, in the order the model holds them, once each."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield layer
    for sublayer in _sublayers(layer):
        yield from _walk(sublayer, seen)


def _own_weights(layer: Any) -> list[Any]:
    """The variables ``layer`` holds itself, not through a sublayer."""
    inherited = {id(w) for sublayer in _sublayers(layer) for w in sublayer.weights}
    return [w for w in layer.weights if id(w) not in inherited]


def _plan(variable: Any, layer: Any, kernels: KernelLayouts | None,
          spec: xc.VarianceScaling) -> xc.InitRecord:
    """What to do with ``variable``: draw it (a floating kernel of a known layer), or not, and why.
    An ``initialized`` record carries the fans and the distribution to draw from."""
    kind, shape = type(layer).__name__, tuple(variable.shape)
    unhandled = xc.InitRecord(variable.path, kind, shape, "unhandled")
    if kernels is None:
        return dataclasses.replace(unhandled, reason=f"{kind} is not a layer type init_model knows")
    if variable.name not in kernels:
        return dataclasses.replace(unhandled, state="kept", reason="not a kernel")
    dtype = xc.dtype_name(variable.dtype)
    if dtype not in xc.FLOAT_DTYPES:
        return dataclasses.replace(unhandled, state="kept", reason="quantized kernel",
                                   note=f"{dtype}: not drawn")
    layout, note = kernels[variable.name]
    resolved = spec.resolve(shape, layout)
    return xc.InitRecord(variable.path, kind, shape, "drawn", resolved.fans,
                         resolved.distribution, note=note)


def _plans(model: Any, spec: xc.VarianceScaling) -> list[tuple[xc.InitRecord, Any]]:
    """One (record, variable) per variable of ``model``, in model order, each variable once."""
    plans, done = [], set()
    for layer in _walk(model, set()):
        kernels = kernel_layouts(layer)
        for variable in _own_weights(layer):
            if id(variable) not in done:
                done.add(id(variable))
                plans.append((_plan(variable, layer, kernels, spec), variable))
    return plans


def _gain(gain: float | str) -> float:
    return xc.calculate_gain(gain) if isinstance(gain, str) else xc.check_gain(gain)


def init_model(model: Any, distribution: xc.DistributionName = "uniform", *,
               gain: float | str = 1.0, seed: Seed = None) -> xc.InitReport:
    """Glorot-initialize every kernel of a built Keras model in place, with its layer's own fans.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), the fans read per layer
    type (the table at the top of this module; :data:`LAYER_KERNELS`, subclasses included).
    Kernels are drawn with Keras' own random ops, float16/bfloat16 via float32, each with its own
    seed. Other variables of those layers (biases, LoRA factors, scales) are kept: Keras builds
    biases as zeros, and LSTM's ``unit_forget_bias`` ones stay. Variables of other layer types
    are unhandled, and the report says so.

    Args:
      model: a built ``keras.Layer`` (a Model, or any layer).
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      gain: a number, or a nonlinearity name for ``xavier_core.calculate_gain`` (``"relu"``).
      seed: an int (the same kernels on every call, distinct kernels within a call), None (fresh
        kernels on every call) or a ``keras.random.SeedGenerator``.

    Returns:
      An ``xavier_core.InitReport``, one record per variable (path, layer, shape, state, fans,
      distribution, note); ``print`` it for a table.

    Raises:
      XavierError: ``model`` is not a built Keras layer, a bad distribution, gain or seed, or a
        kernel whose shape does not fit its layer's layout. Nothing is written when it raises.

    Example:
      >>> model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, name="hidden")],
      ...                          name="mlp")
      >>> report = init_model(model, "normal", gain="tanh", seed=0)
      >>> report["mlp/hidden/kernel"].fans
      Fans(fan_in=16, fan_out=8)
    """
    if not isinstance(model, keras.Layer):
        raise xc.errors.bad_argument("model", model, "a keras.Layer (a Model or any layer)")
    if not model.built:
        raise xc.XavierError(f"model must be built before init_model, got the unbuilt {model!r}; "
                             "build it with model.build(input_shape) or call it on data once")
    spec = xc.glorot(distribution, _gain(gain))
    seeds = SeedStream(seed)
    plans = _plans(model, spec)
    for record, variable in plans:
        if record.state == "drawn":
            values = draw(record.distribution, record.shape, variable.dtype, seeds.next())
            variable.assign(values)
    return xc.InitReport(record for record, _ in plans)
