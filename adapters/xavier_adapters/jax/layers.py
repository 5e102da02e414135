"""The layer rules of :func:`~xavier_adapters.jax.init_params`: what each parameter of a known
Flax (linen, nnx) or Equinox layer is.

A rule reads one layer object and maps each parameter it owns, by its path relative to the layer
(``"kernel"``, ``"dense_i/kernel"``), to a plan of :mod:`xavier_core.rules`: a
:class:`~xavier_core.rules.Weight` drawn with the fans of its layout, a
:class:`~xavier_core.rules.Bias` set by the bias policy, an
:class:`~xavier_core.rules.EmbeddingWeight` (drawn only with ``embeddings=True``) or a
:class:`~xavier_core.rules.Keep` left as it is with a reason. :data:`RULES` holds them, looked up
along the layer's class hierarchy; users add their own, by class or class name::

    @xj.RULES.register("MyBilinear")
    def bilinear(layer):
        return {"kernel": xc.rules.Weight(xc.Layout(in_axis=(0, 1), out_axis=2), rank=3)}

``Weight.rank`` is the rank of one layer's weight: a weight with more axes holds layers stacked
by ``nn.scan``/``nn.vmap``/``nnx.vmap``/``eqx.filter_vmap``, drawn with one layer's fans.

The built-in rules (DESIGN.md section 3). Flax keeps kernels channels-last, ``(..., in, out)``;
Equinox keeps weights as torch does, ``(out, in/groups, *kernel)``:

==============================================  ==========================================
layer                                           layout of the weight
==============================================  ==========================================
linen Dense, nnx Linear                         ``CHANNELS_LAST``: (in, out)
linen DenseGeneral, nnx LinearGeneral           (*batch, *in, *out): batch axes in no fan
linen / nnx Conv, feature_group_count=g         ``CHANNELS_LAST.with_(groups=g)``, strides
linen / nnx ConvTranspose                       (*k, in, out); transpose_kernel: (*k, out, in)
linen / nnx Einsum                              read from the einsum equation
linen OptimizedLSTMCell / LSTMCell / GRUCell    one (in, hidden) kernel per gate
nnx OptimizedLSTMCell / GRUCell                 4 / 3 gates packed on the out axis: blocks
linen / nnx Embed, eqx Embedding                (num, dim) read as (in, out), opt-in
eqx Linear                                      ``TORCH``: (out, in)
eqx Conv, ConvTranspose, groups=g               ``TORCH.with_(groups=g)``, strides
eqx LSTMCell / GRUCell                          4 / 3 gates packed on the out axis: blocks
norm layers (LayerNorm, BatchNorm, ...)         kept: "normalization layer"
==============================================  ==========================================

Recurrent kernels get the spec too, per gate (the frameworks' own default there is
orthogonal). Convolution kernels carry the layer's strides (``Layout.strides``);
``init_params(stride_aware=False)`` drops them.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import xavier_core as xc
from xavier_core.einsum import einsum_layout
from xavier_core.rules import Bias, EmbeddingWeight, Keep, Plan, Weight

Plans = dict[str, Plan]

RULES = xc.RuleRegistry("jax")
"""The Flax linen, Flax nnx and Equinox layer types ``init_params`` knows: class (or class name)
-> rule, subclasses included. ``RULES.register(MyLayer, rule)`` adds one; a rule maps a layer
object to ``{parameter path relative to the layer: Weight | EmbeddingWeight | Bias | Keep}``.
The built-in rules of a framework are added the first time a model of it is read, without
replacing a rule the user registered for the same class."""

BIAS = Bias()
GATES = ("i", "f", "g", "o")
NORM = Keep("normalization layer")
STATISTICS = Keep("running statistics")


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@functools.cache
def _layout(base: xc.Layout, **changes: Any) -> xc.Layout:
    """``base.with_(**changes)``, built once per distinct argument (planning stays cheap)."""
    return base.with_(**changes)


def _strides(strides: Any, spatial: int) -> tuple[int, ...]:
    """A Flax or Equinox ``strides`` (None, an int or a sequence) as one int per spatial axis."""
    if strides is None:
        return (1,) * spatial
    values = _as_tuple(strides)
    return tuple(int(s) for s in (values * spatial if len(values) == 1 else values))


def dense_general_layout(batch: int, inputs: int, outputs: int) -> xc.Layout:
    """The layout of a ``(*batch, *in, *out)`` kernel with that many axes of each kind."""
    return xc.Layout(in_axis=tuple(range(batch, batch + inputs)),
                     out_axis=tuple(range(batch + inputs, batch + inputs + outputs)),
                     batch_axis=tuple(range(batch)))


def _dense(name: str = "kernel") -> Plans:
    return {name: Weight(xc.CHANNELS_LAST, "(in, out)", 2), "bias": BIAS}


def _dense_general(batch: int, inputs: int, outputs: int) -> Plans:
    layout = dense_general_layout(batch, inputs, outputs)
    note = f"({batch} batch, {inputs} in, {outputs} out axes)"
    return {"kernel": Weight(layout, note, batch + inputs + outputs), "bias": BIAS}


def _conv(kernel_size: Any, groups: int, strides: Any) -> Plans:
    spatial = len(_as_tuple(kernel_size))
    note = "(*kernel, in, out)" if groups == 1 else f"(*kernel, in/{groups}, out), {groups} groups"
    layout = _layout(xc.CHANNELS_LAST, groups=groups, strides=_strides(strides, spatial))
    return {"kernel": Weight(layout, note, spatial + 2), "bias": BIAS}


def _conv_transpose(kernel_size: Any, transpose_kernel: bool, strides: Any) -> Plans:
    spatial = len(_as_tuple(kernel_size))
    stride = _strides(strides, spatial)
    if transpose_kernel:
        plan = Weight(_layout(xc.KERAS_TRANSPOSED, strides=stride),
                      "(*kernel, out, in): transpose_kernel=True", spatial + 2)
    else:
        plan = Weight(_layout(xc.CHANNELS_LAST, transposed=True, strides=stride),
                      "(*kernel, in, out)", spatial + 2)
    return {"kernel": plan, "bias": BIAS}


def _einsum(equation: str | None) -> Plans:
    """An einsum kernel's layout from its equation; none if the equation comes at call time."""
    if equation is None:
        return {}
    layout = einsum_layout(equation)
    rank = len(equation.replace(" ", "").split("->")[0].split(",")[1])
    return {"kernel": Weight(layout, f"einsum {equation}", rank), "bias": BIAS}


def _packed(layout: xc.Layout, gates: int, input_name: str, recurrent_name: str) -> Plans:
    """Input and recurrent weights with ``gates`` gates side by side on the out axis."""
    packed = _layout(layout, blocks=gates)
    return {input_name: Weight(packed, f"{gates} packed gates: fans per gate", 2),
            recurrent_name: Weight(packed, f"recurrent, {gates} packed gates: fans per gate", 2)}


def _norm(*statistics: str) -> Callable[[Any], Plans]:
    def rule(layer: Any) -> Plans:
        return {"scale": NORM, "bias": NORM, "weight": NORM,
                **{name: STATISTICS for name in statistics}}

    return rule


def _embedding(name: str) -> Callable[[Any], Plans]:
    def rule(layer: Any) -> Plans:
        return {name: EmbeddingWeight(xc.CHANNELS_LAST, "(num, dim) read as (in, out)", 2)}

    return rule


def _per_gate_cell(gates: tuple[str, ...]) -> Callable[[Any], Plans]:
    """linen's recurrent cells: one Dense child per gate and input (``ii``, ``hi``, ...)."""
    def rule(layer: Any) -> Plans:
        plans: Plans = {}
        for gate in gates:
            plans[f"i{gate}/kernel"] = Weight(xc.CHANNELS_LAST, f"gate {gate} (in, hidden)", 2)
            plans[f"h{gate}/kernel"] = Weight(xc.CHANNELS_LAST, f"recurrent, gate {gate}", 2)
            plans[f"i{gate}/bias"] = BIAS
            plans[f"h{gate}/bias"] = BIAS
        return plans

    return rule


def _linen_rules() -> dict[Any, Callable[[Any], Plans]]:
    nn = sys.modules["flax.linen"]
    return {
        nn.Dense: lambda m: _dense(),
        nn.DenseGeneral: lambda m: _dense_general(
            len(_as_tuple(m.batch_dims)), len(_as_tuple(m.axis)), len(_as_tuple(m.features))),
        nn.Conv: lambda m: _conv(m.kernel_size, m.feature_group_count, m.strides),
        nn.ConvTranspose: lambda m: _conv_transpose(m.kernel_size, m.transpose_kernel,
                                                    m.strides),
        nn.Einsum: lambda m: _einsum(m.einsum_str),
        nn.OptimizedLSTMCell: _per_gate_cell(GATES),
        nn.LSTMCell: _per_gate_cell(GATES),
        nn.GRUCell: _per_gate_cell(("r", "z", "n")),
        nn.Embed: _embedding("embedding"),
        nn.LayerNorm: _norm(), nn.RMSNorm: _norm(), nn.GroupNorm: _norm(),
        nn.BatchNorm: _norm("mean", "var"),
    }


def _nnx_rules() -> dict[Any, Callable[[Any], Plans]]:
    nnx = sys.modules["flax.nnx"]

    def cell(gates: int) -> Callable[[Any], Plans]:
        return lambda m: {**_packed(xc.CHANNELS_LAST, gates, "dense_i/kernel", "dense_h/kernel"),
                          "dense_i/bias": BIAS, "dense_h/bias": BIAS}

    return {
        nnx.Linear: lambda m: _dense(),
        nnx.LinearGeneral: lambda m: _dense_general(
            len(m.batch_axis), len(m.in_features), len(m.out_features)),
        nnx.Conv: lambda m: _conv(m.kernel_size, m.feature_group_count, m.strides),
        nnx.ConvTranspose: lambda m: _conv_transpose(m.kernel_size, m.transpose_kernel,
                                                     m.strides),
        nnx.Einsum: lambda m: _einsum(m.einsum_str),
        nnx.OptimizedLSTMCell: cell(4),
        nnx.GRUCell: cell(3),
        nnx.Embed: _embedding("embedding"),
        nnx.LayerNorm: _norm(), nnx.RMSNorm: _norm(), nnx.GroupNorm: _norm(),
        nnx.BatchNorm: _norm("mean", "var"),
    }


def _equinox_conv(module: Any) -> Plans:
    groups, spatial = module.groups, module.num_spatial_dims
    transposed = isinstance(module, sys.modules["equinox"].nn.ConvTranspose)
    note = "(out, in, *kernel)" if groups == 1 else f"(out, in/{groups}, *kernel), {groups} groups"
    layout = _layout(xc.TORCH, groups=groups, transposed=transposed,
                     strides=_strides(module.stride, spatial))
    return {"weight": Weight(layout, note, spatial + 2), "bias": BIAS}


def _equinox_rules() -> dict[Any, Callable[[Any], Plans]]:
    eqx = sys.modules["equinox"]

    def cell(gates: int) -> Callable[[Any], Plans]:
        return lambda m: {**_packed(xc.TORCH, gates, "weight_ih", "weight_hh"),
                          "bias": BIAS, "bias_n": BIAS}

    return {
        eqx.nn.Linear: lambda m: {"weight": Weight(xc.TORCH, "(out, in)", 2), "bias": BIAS},
        eqx.nn.Conv: _equinox_conv,
        eqx.nn.ConvTranspose: _equinox_conv,
        eqx.nn.LSTMCell: cell(4),
        eqx.nn.GRUCell: cell(3),
        eqx.nn.Embedding: _embedding("weight"),
        eqx.nn.LayerNorm: _norm(), eqx.nn.RMSNorm: _norm(), eqx.nn.GroupNorm: _norm(),
        eqx.nn.BatchNorm: _norm(),
    }


_BUILTINS = {"flax.linen": _linen_rules, "flax.nnx": _nnx_rules, "equinox": _equinox_rules}
_loaded: set[str] = set()


def ensure_builtin_rules(framework: str) -> None:
    """Add the built-in rules of ``framework`` (a key of ``_BUILTINS``, imported) to
    :data:`RULES` once, keeping any rule the user registered for the same class."""
    if framework in _loaded:
        return
    for layer, rule in _BUILTINS[framework]().items():
        if layer not in RULES:
            RULES.register(layer, rule)
    _loaded.add(framework)
