"""The Keras layer rules of ``init_model``: for each layer type, what every variable it holds is.

A rule reads one built layer and maps each of its own variables, by name, to a plan
(``xavier_core.rules``): a :class:`~xavier_core.rules.Weight` drawn with the fans of its layout,
a :class:`~xavier_core.rules.Bias` set by the bias policy, or a
:class:`~xavier_core.rules.Keep` left as it is with a reason. :data:`RULES` holds them, looked up
along the layer's class hierarchy (a subclass of Dense is a Dense); users add their own::

    @xk.RULES.register(MyBilinear)            # or by class name: "MyBilinear"
    def bilinear(layer):
        return {"kernel": xc.rules.Weight(xc.Layout(in_axis=(0, 1), out_axis=2))}

The built-in rules (DESIGN.md, section 3), kernels of shape:

    Dense, ConvND                 (..., in/groups, out)     CHANNELS_LAST.with_(groups=g)
    ConvNDTranspose               (*k, out, in)             KERAS_TRANSPOSED
    DepthwiseConvND, separable's  (*k, channels, mult)      DEPTHWISE_CHANNELS_LAST
      depthwise kernel
    separable's pointwise kernel  (1, .., in * mult, out)   CHANNELS_LAST (a 1x1 conv)
    LSTM / GRU / SimpleRNN cells  (in or units, g * units)  CHANNELS_LAST.with_(blocks=g gates)
    ConvLSTM1D/2D/3D cells        (*k, in or filters,       CHANNELS_LAST.with_(blocks=4):
                                   4 * filters)             per gate, conv fans
    EinsumDense (and so the       from the einsum equation  xavier_core.einsum_layout
      projections of MultiHeadAttention)
    Embedding, keras_hub's        (num, dim) read as        CHANNELS_LAST, drawn only with
      PositionEmbedding           (in, out)                 embeddings=True
    ReversibleEmbedding           its table as Embedding (tied: also the output head);
                                  untied reverse_embeddings (dim, num): CHANNELS_LAST

Convolution kernels carry the layer's strides (``Layout.strides``: ConvND, ConvNDTranspose,
depthwise kernels and ConvLSTM's input kernel); ``init_model(stride_aware=False)`` drops them.
LSTM, GRU, SimpleRNN, ConvLSTM and Bidirectional are covered through their cells,
MultiHeadAttention through its EinsumDense projections. Norm layers' variables are kept
("normalization layer"), as are LoRA factors, the other non-kernel variables of the layers
above, PReLU's slopes, attention scales and ConvNeXt's LayerScale, each with its reason.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core.einsum import einsum_layout
from xavier_core.rules import Bias, EmbeddingWeight, Keep, Plan, Weight

keras = require("keras", "keras")
layers = keras.layers

RULES = xc.RuleRegistry("keras")
"""The Keras layer types ``init_model`` knows: class (or class name) -> rule, subclasses
included. ``RULES.register(MyLayer, rule)`` adds one; a rule maps a built layer to
``{variable name: Weight | EmbeddingWeight | Bias | Keep}`` (``xavier_core.rules``)."""

Plans = dict[str, Plan]


def _lora(kernel: str) -> Plans:
    return {f"lora_{kernel}_a": Keep("LoRA factor"), f"lora_{kernel}_b": Keep("LoRA factor")}


def _strides(layer: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in layer.strides)


@functools.cache
def _layout(base: xc.Layout, **changes: Any) -> xc.Layout:
    """``base.with_(**changes)``, built once per distinct argument (planning stays cheap)."""
    return base.with_(**changes)


@RULES.register(layers.Dense)
def dense(layer: Any) -> Plans:
    """A (in, out) kernel."""
    return {"kernel": Weight(xc.CHANNELS_LAST), "bias": Bias(), **_lora("kernel")}


@RULES.register(layers.EinsumDense)
def einsum_dense(layer: Any) -> Plans:
    """Fans from the equation: axes of the input are in, axes of the output are out."""
    return {"kernel": Weight(einsum_layout(layer.equation), f"einsum {layer.equation}"),
            "bias": Bias(), **_lora("kernel")}


def conv(layer: Any) -> Plans:
    """A (*k, in/groups, out) kernel, fans per group."""
    groups = layer.groups
    note = f"{groups} groups, fans per group" if groups > 1 else ""
    layout = _layout(xc.CHANNELS_LAST, groups=groups, strides=_strides(layer))
    return {"kernel": Weight(layout, note), "bias": Bias(), **_lora("kernel")}


def conv_transpose(layer: Any) -> Plans:
    """A (*k, out, in) kernel."""
    layout = _layout(xc.KERAS_TRANSPOSED, strides=_strides(layer))
    return {"kernel": Weight(layout, "transposed: (*kernel, out, in)"), "bias": Bias()}


DEPTHWISE_NOTE = "depthwise: one input per channel"


def depthwise(layer: Any) -> Plans:
    """A (*k, channels, multiplier) kernel: each channel its own group of one input."""
    layout = _layout(xc.DEPTHWISE_CHANNELS_LAST, strides=_strides(layer))
    return {"kernel": Weight(layout, DEPTHWISE_NOTE), "bias": Bias()}


def separable(layer: Any) -> Plans:
    """A strided depthwise kernel, then a 1x1 pointwise one."""
    layout = _layout(xc.DEPTHWISE_CHANNELS_LAST, strides=_strides(layer))
    return {"depthwise_kernel": Weight(layout, DEPTHWISE_NOTE),
            "pointwise_kernel": Weight(xc.CHANNELS_LAST, "pointwise: a 1x1 conv"),
            "bias": Bias()}


for _cls in (layers.Conv1D, layers.Conv2D, layers.Conv3D):
    RULES.register(_cls, conv)
for _cls in (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose):
    RULES.register(_cls, conv_transpose)
for _cls in (layers.DepthwiseConv1D, layers.DepthwiseConv2D):
    RULES.register(_cls, depthwise)
for _cls in (layers.SeparableConv1D, layers.SeparableConv2D):
    RULES.register(_cls, separable)


def _gates(names: str) -> Any:
    count = len(names.split(", "))
    layout = xc.CHANNELS_LAST.with_(blocks=count)
    note = f"per gate ({names})" if count > 1 else ""

    def rule(layer: Any) -> Plans:
        return {"kernel": Weight(layout, note), "recurrent_kernel": Weight(layout, note),
                "bias": Bias()}

    return rule


RULES.register(layers.LSTMCell, _gates("i, f, c, o"))
RULES.register(layers.GRUCell, _gates("z, r, h"))
RULES.register(layers.SimpleRNNCell, _gates("h"))


@RULES.register("ConvLSTMCell")  # keras.src.layers.rnn.conv_lstm: the cell is not public
def conv_lstm_cell(layer: Any) -> Plans:
    """Kernels (*k, in, 4 filters) and (*k, filters, 4 filters), split into the i, f, c, o
    gates on the last axis, each a convolution; the input one has the layer's strides, the
    recurrent one stride 1."""
    gates = xc.CHANNELS_LAST.with_(blocks=4)
    note = "per gate (i, f, c, o), conv fans"
    return {"kernel": Weight(_layout(gates, strides=_strides(layer)), note),
            "recurrent_kernel": Weight(gates, note), "bias": Bias()}


EMBEDDING_NOTE = "embedding (num, dim) read as (in, out)"


@RULES.register(layers.Embedding)
def embedding(layer: Any) -> Plans:
    """A (num, dim) table, drawn as a (in, out) map only with ``embeddings=True``."""
    return {"embeddings": EmbeddingWeight(xc.CHANNELS_LAST, EMBEDDING_NOTE),
            **_lora("embeddings")}


@RULES.register("ReversibleEmbedding")  # keras.layers' and keras_hub's (whichever base)
def reversible_embedding(layer: Any) -> Plans:
    """An Embedding that also projects back to the vocabulary: with ``tie_weights`` through its
    own table (logits = x @ embeddings^T), else through a separate (dim, num) kernel."""
    if getattr(layer, "tie_weights", True):
        note = f"{EMBEDDING_NOTE}; tied: also the output head (logits = x @ embeddings^T)"
        return {**embedding(layer), "embeddings": EmbeddingWeight(xc.CHANNELS_LAST, note)}
    return {**embedding(layer),
            "reverse_embeddings": Weight(xc.CHANNELS_LAST, "output head (dim, num)")}


@RULES.register("PositionEmbedding")  # keras_hub.layers.PositionEmbedding
def position_embedding(layer: Any) -> Plans:
    """A learned (positions, dim) table, an embedding like any other."""
    note = "position embedding (positions, dim) read as (in, out)"
    return {"embeddings": EmbeddingWeight(xc.CHANNELS_LAST, note)}


def keep_all(reason: str, note: str = "") -> Any:
    """A rule that keeps every variable of the layer, for ``reason``: for a norm layer of your
    own, ``xk.RULES.register("MyRMSNorm", xk.keep_all("normalization layer"))``."""

    def rule(layer: Any) -> Mapping[str, Plan]:
        return {variable.name: Keep(reason, note) for variable in layer.weights}

    rule.__doc__ = f"Every variable kept: {reason}."
    return rule


for _name in ("BatchNormalization", "LayerNormalization", "GroupNormalization",
              "RMSNormalization"):
    if hasattr(layers, _name):
        RULES.register(getattr(layers, _name), keep_all("normalization layer"))
RULES.register(layers.SpectralNormalization, keep_all("normalization layer",
                                                      "power-iteration vector"))
RULES.register(layers.Normalization, keep_all("preprocessing statistics"))
RULES.register(layers.PReLU, keep_all("activation parameter"))
RULES.register("LayerScale", keep_all("layer scale"))  # keras.applications.convnext's
RULES.register(layers.Attention, keep_all("attention scale"))
RULES.register(layers.AdditiveAttention, keep_all("attention scale"))


def layer_plans(layer: Any) -> dict[str, Plan] | None:
    """The plans of ``layer``'s variables by name from its rule in :data:`RULES`, or None for a
    layer type no rule knows.

    Example:
      >>> conv = keras.layers.Conv2D(8, 3, strides=2)
      >>> conv.build((None, 16, 16, 4))
      >>> layer_plans(conv)["kernel"].layout.strides
      (2, 2)
    """
    plans = rule_plans(layer)
    if plans is None:
        return None
    return {name: check_plan(layer, name, plan) for name, plan in plans.items()}


def rule_plans(layer: Any) -> Mapping[str, Any] | None:
    """What the rule of ``layer`` returns, unchecked (see :func:`check_plan`), or None."""
    rule = RULES.rule_for(layer)
    if rule is None:
        return None
    plans = rule(layer)
    if not isinstance(plans, dict) and not isinstance(plans, Mapping):  # dict: the fast path
        raise xc.errors.bad_argument(f"the {type(layer).__name__} rule's result", plans,
                                     "a mapping {variable name: Weight | Bias | Keep}")
    return plans


def check_plan(layer: Any, name: str, plan: object) -> Plan:
    """``plan`` if it is a Weight, Bias or Keep, else an error naming the rule and variable."""
    return xc.rules.check_plan(f"the {type(layer).__name__} rule's {name!r}", plan)
