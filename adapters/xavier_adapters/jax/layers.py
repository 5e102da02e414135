"""The layer tables of :func:`init_params`: how each known layer stores its parameters.

Flax keeps kernels channels-last, ``(..., in, out)``; Equinox keeps weights as torch does,
``(out, in/groups, *kernel)``. A rule maps one layer object to ``{relative path: Plan}``; a layer
may claim its children's parameters, as ``nnx.OptimizedLSTMCell`` does for the gates packed in
its two ``Linear`` children. Fans follow DESIGN.md section 3:

==============================================  ==========================================
layer                                           layout of the weight
==============================================  ==========================================
linen Dense, nnx Linear                         ``CHANNELS_LAST``: (in, out)
linen DenseGeneral, nnx LinearGeneral           (*batch, *in, *out): batch axes in no fan
linen / nnx Conv, feature_group_count=g         ``CHANNELS_LAST.with_(groups=g)``
linen / nnx ConvTranspose                       (*k, in, out); transpose_kernel: (*k, out, in)
linen / nnx Einsum                              read from the einsum equation
linen OptimizedLSTMCell                         one (in, hidden) kernel per gate
nnx OptimizedLSTMCell / GRUCell                 4 / 3 gates packed on the out axis: blocks
eqx Linear                                      ``TORCH``: (out, in)
eqx Conv, ConvTranspose, groups=g               ``TORCH.with_(groups=g)``
eqx LSTMCell / GRUCell                          4 / 3 gates packed on the out axis: blocks
==============================================  ==========================================

Recurrent kernels get the spec too, per gate (the frameworks' own default there is orthogonal);
biases are zeroed, as Glorot & Bengio (2010) did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core.einsum import einsum_layout


@dataclass(frozen=True)
class Plan:
    """What init_params does to one parameter: draw it in ``layout`` (a weight of ``rank``
    axes), or zero it when ``layout`` is None (a bias)."""

    layout: xc.Layout | None
    rank: int = 0
    note: str = ""


Rules = dict[tuple[str, ...], Plan]
BIAS = Plan(None, note="bias")
GATES = ("i", "f", "g", "o")


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def dense_general_layout(batch: int, inputs: int, outputs: int) -> xc.Layout:
    """The layout of a ``(*batch, *in, *out)`` kernel with that many axes of each kind."""
    return xc.Layout(in_axis=tuple(range(batch, batch + inputs)),
                     out_axis=tuple(range(batch + inputs, batch + inputs + outputs)),
                     batch_axis=tuple(range(batch)))


def _dense(name: str = "kernel") -> Rules:
    return {(name,): Plan(xc.CHANNELS_LAST, 2, "(in, out)"), ("bias",): BIAS}


def _dense_general(batch: int, inputs: int, outputs: int) -> Rules:
    layout = dense_general_layout(batch, inputs, outputs)
    note = f"({batch} batch, {inputs} in, {outputs} out axes)"
    return {("kernel",): Plan(layout, batch + inputs + outputs, note), ("bias",): BIAS}


def _conv(kernel_size: Any, groups: int) -> Rules:
    rank = len(_as_tuple(kernel_size)) + 2
    note = "(*kernel, in, out)" if groups == 1 else f"(*kernel, in/{groups}, out), {groups} groups"
    return {("kernel",): Plan(xc.CHANNELS_LAST.with_(groups=groups), rank, note),
            ("bias",): BIAS}


def _conv_transpose(kernel_size: Any, transpose_kernel: bool) -> Rules:
    rank = len(_as_tuple(kernel_size)) + 2
    plan = (Plan(xc.KERAS_TRANSPOSED, rank, "(*kernel, out, in): transpose_kernel=True")
            if transpose_kernel else Plan(xc.CHANNELS_LAST, rank, "(*kernel, in, out)"))
    return {("kernel",): plan, ("bias",): BIAS}


def _einsum(equation: str | None) -> Rules:
    """An einsum kernel's layout from its equation; none if the equation comes at call time."""
    if equation is None:
        return {}
    layout = einsum_layout(equation)
    rank = len(equation.replace(" ", "").split("->")[0].split(",")[1])
    return {("kernel",): Plan(layout, rank, f"einsum {equation}"), ("bias",): BIAS}


def _packed(layout: xc.Layout, gates: int, names: tuple[tuple[str, ...], tuple[str, ...]]
            ) -> Rules:
    """Input and recurrent weights with ``gates`` gates side by side on the out axis."""
    packed = layout.with_(blocks=gates)
    return {
        names[0]: Plan(packed, 2, f"{gates} packed gates: fans per gate"),
        names[1]: Plan(packed, 2, f"recurrent, {gates} packed gates: fans per gate"),
    }


def linen_rules(module: Any) -> Rules:
    """The rules for one ``flax.linen`` module (empty for a layer this table does not know)."""
    nn = require("flax.linen", "flax")
    if isinstance(module, nn.Dense):
        return _dense()
    if isinstance(module, nn.DenseGeneral):
        return _dense_general(len(_as_tuple(module.batch_dims)), len(_as_tuple(module.axis)),
                              len(_as_tuple(module.features)))
    if isinstance(module, nn.Conv):
        return _conv(module.kernel_size, module.feature_group_count)
    if isinstance(module, nn.ConvTranspose):
        return _conv_transpose(module.kernel_size, module.transpose_kernel)
    if isinstance(module, nn.Einsum):
        return _einsum(module.einsum_str)
    if isinstance(module, nn.OptimizedLSTMCell):
        rules: Rules = {}
        for gate in GATES:  # stored per gate, as LSTMCell; concatenated only when applied
            rules[(f"i{gate}", "kernel")] = Plan(xc.CHANNELS_LAST, 2, f"gate {gate} (in, hidden)")
            rules[(f"h{gate}", "kernel")] = Plan(xc.CHANNELS_LAST, 2, f"recurrent, gate {gate}")
            rules[(f"h{gate}", "bias")] = BIAS
        return rules
    return {}


def nnx_rules(module: Any) -> Rules:
    """The rules for one ``flax.nnx`` module (empty for a layer this table does not know)."""
    nnx = require("flax.nnx", "flax")
    if isinstance(module, nnx.Linear):
        return _dense()
    if isinstance(module, nnx.LinearGeneral):
        return _dense_general(len(module.batch_axis), len(module.in_features),
                              len(module.out_features))
    if isinstance(module, nnx.Conv):
        return _conv(module.kernel_size, module.feature_group_count)
    if isinstance(module, nnx.ConvTranspose):
        return _conv_transpose(module.kernel_size, module.transpose_kernel)
    if isinstance(module, nnx.Einsum):
        return _einsum(module.einsum_str)
    for cell, gates in ((nnx.OptimizedLSTMCell, 4), (nnx.GRUCell, 3)):
        if isinstance(module, cell):
            rules = _packed(xc.CHANNELS_LAST, gates, (("dense_i", "kernel"), ("dense_h", "kernel")))
            return {**rules, ("dense_i", "bias"): BIAS, ("dense_h", "bias"): BIAS}
    return {}


def equinox_rules(module: Any) -> Rules:
    """The rules for one ``equinox`` module (empty for a layer this table does not know)."""
    eqx = require("equinox", "all")
    if isinstance(module, eqx.nn.Linear):
        return {("weight",): Plan(xc.TORCH, 2, "(out, in)"), ("bias",): BIAS}
    if isinstance(module, (eqx.nn.Conv, eqx.nn.ConvTranspose)):
        groups = module.groups
        note = "(out, in, *kernel)" if groups == 1 else (
            f"(out, in/{groups}, *kernel), {groups} groups")
        plan = Plan(xc.TORCH.with_(groups=groups), module.num_spatial_dims + 2, note)
        return {("weight",): plan, ("bias",): BIAS}
    for cell, gates in ((eqx.nn.LSTMCell, 4), (eqx.nn.GRUCell, 3)):
        if isinstance(module, cell):
            rules = _packed(xc.TORCH, gates, (("weight_ih",), ("weight_hh",)))
            return {**rules, ("bias",): BIAS, ("bias_n",): BIAS}
    return {}
