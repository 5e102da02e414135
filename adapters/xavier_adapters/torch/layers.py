"""Layer rules: what each torch layer's tensors are, and how to read a weight's fans.

A rule reads one module and plans the tensors it holds directly (``xavier_core.rules``): a
``Weight`` drawn from the spec with its fans read through a :class:`xavier_core.Layout`, a
``Bias`` set by the bias policy, or something to ``Keep`` (a norm scale, running statistics).
:data:`RULES` holds every built-in rule; it is public, so a rule of your own is one line::

    xt.RULES.register("MyRMSNorm", xt.norm_rule())              # by class name, no import
    xt.RULES.register(MyBlock, lambda m: {"w": xc.rules.Weight(xc.TORCH, rank=2)})

| layer | weight | layout (fans) |
|---|---|---|
| Linear | (out, in) | ``TORCH``: (in, out) |
| Bilinear | (out, in1, in2) | :data:`BILINEAR`: (in1 * in2, out) |
| Conv1d/2d/3d | (out, in/g, *k) | ``TORCH.with_(groups=g, strides=s)``: (in/g * k, out/g * k / s) |
| ConvTranspose1d/2d/3d | (in, out/g, *k) | ``TORCH_TRANSPOSED.with_(groups=g, strides=s)`` |
| MultiheadAttention | in_proj (3E, E) | ``TORCH.with_(blocks=3)``: per q/k/v block (E, E) |
| MultiheadAttention | q/k/v_proj (E, E or kdim or vdim) | ``TORCH`` |
| MultiheadAttention | bias_k, bias_v (1, 1, E) | ``TORCH``: (E, E), as torch reads them |
| RNN/LSTM/GRU, cells | weight_ih (G*H, in), weight_hh (G*H, H) | ``TORCH.with_(blocks=G)`` |
| LSTM(proj_size=P) | weight_hr (P, H) | ``TORCH``: (H, P) |
| Embedding(Bag), if asked | (num, dim) | :data:`EMBEDDING`: (num, dim) |
| transformers' ``Conv1D`` (GPT-2) | (in, out) | ``CHANNELS_LAST``: (in, out) |

G is the gate count (4 for LSTM, 3 for GRU, 1 for RNN); the fans are those of one gate. The
strides are in the conv layouts only where a stride exceeds 1; ``init_model`` drops them unless
``stride_aware=True``. Norm layers (BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm and
the RMSNorm classes of Llama, Mistral, Qwen, Phi-3 and T5 by name) are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core.rules import Bias, Keep, Plan, Weight

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn

BILINEAR = xc.Layout(in_axis=(1, 2), out_axis=0)
"""torch Bilinear ``(out, in1, in2)``: each output sums in1 * in2 products, so
fan_in = in1 * in2 and fan_out = out. (torch's bare-tensor rule would read (in1 * in2, out * in2);
torch's own Bilinear init is U(+-1/sqrt(in1)).)"""
EMBEDDING = xc.CHANNELS_LAST
"""torch Embedding ``(num_embeddings, embedding_dim)``: a lookup is a Linear from a one-hot
input, stored ``(in, out)``, so fan_in = num_embeddings and fan_out = embedding_dim."""

GATES = {4: "per gate (i, f, g, o)", 3: "per gate (r, z, n)", 1: ""}
NORM = "normalization layer"
RUNNING = "running statistics"


@dataclass(frozen=True)
class EmbeddingWeight(Weight):
    """An embedding table: drawn only when ``init_model(embeddings=True)``, else kept; the
    ``padding_idx`` row, if any, is zeroed after the draw, as torch keeps it."""

    padding_idx: int | None = None


@dataclass(frozen=True)
class InitialValue(Keep):
    """Kept, but where its memory holds no values yet (materialized from meta, or
    ``reset_skipped=True``) written with ``value``: what the layer's own ``__init__`` gives
    (ones for a norm scale, zeros for a shift)."""

    value: float = 1.0


def _conv_note(module: Any, transposed: bool) -> str:
    groups = module.groups
    parts = ["transposed (in, out/g, *k)"] if transposed else []
    if groups > 1:
        parts.append(f"depthwise (groups={groups})" if groups == module.in_channels
                     else f"groups={groups}")
    return ", ".join(parts)


def _strides(module: Any) -> tuple[int, ...]:
    stride = tuple(int(s) for s in module.stride)
    return stride if any(s > 1 for s in stride) else ()


def linear_rule(module: Any) -> dict[str, Plan]:
    """torch Linear ``(out, in)``: fans (in, out)."""
    return {"weight": Weight(xc.TORCH, rank=2), "bias": Bias()}


def bilinear_rule(module: Any) -> dict[str, Plan]:
    """torch Bilinear ``(out, in1, in2)``: fans (in1 * in2, out)."""
    return {"weight": Weight(BILINEAR, "fans (in1 * in2, out)", rank=3), "bias": Bias()}


def conv_rule(module: Any) -> dict[str, Plan]:
    """torch Conv1d/2d/3d ``(out, in/g, *k)``: per group, with the strides (if any)."""
    layout = xc.TORCH.with_(groups=module.groups, strides=_strides(module))
    rank = len(module.kernel_size) + 2
    return {"weight": Weight(layout, _conv_note(module, False), rank), "bias": Bias()}


def conv_transposed_rule(module: Any) -> dict[str, Plan]:
    """torch ConvTranspose1d/2d/3d ``(in, out/g, *k)``: per group, strides divide fan_in."""
    layout = xc.TORCH_TRANSPOSED.with_(groups=module.groups, strides=_strides(module))
    rank = len(module.kernel_size) + 2
    return {"weight": Weight(layout, _conv_note(module, True), rank), "bias": Bias()}


def attention_rule(module: Any) -> dict[str, Plan]:
    """torch MultiheadAttention: in_proj per q/k/v block, or separate q/k/v projections;
    ``bias_k``/``bias_v`` ``(1, 1, E)`` drawn with the fans torch's own ``_reset_parameters``
    reads from that shape (E, E) (torch draws them ``xavier_normal_``). ``out_proj`` is a
    child Linear, planned on its own."""
    return {
        "in_proj_weight": Weight(xc.TORCH.with_(blocks=3), "per block (q, k, v)", 2),
        "q_proj_weight": Weight(xc.TORCH, "separate q", 2),
        "k_proj_weight": Weight(xc.TORCH, "separate k", 2),
        "v_proj_weight": Weight(xc.TORCH, "separate v", 2),
        "in_proj_bias": Bias(),
        "bias_k": Weight(xc.TORCH, "learned key bias (add_bias_kv), fans as torch reads", 3),
        "bias_v": Weight(xc.TORCH, "learned value bias (add_bias_kv), fans as torch reads", 3),
    }


def recurrent_rule(gates: int) -> Callable[[Any], dict[str, Plan]]:
    """The rule of a recurrent layer (or cell) with ``gates`` gates packed along dim 0."""
    per_gate = Weight(xc.TORCH.with_(blocks=gates), GATES[gates], 2)
    projection = Weight(xc.TORCH, "LSTM projection", 2)

    def rule(module: Any) -> dict[str, Plan]:
        plans: dict[str, Plan] = {}
        for name, _ in module.named_parameters(recurse=False):
            if name.startswith(("weight_ih", "weight_hh")):
                plans[name] = per_gate
            elif name.startswith("weight_hr"):
                plans[name] = projection
            elif name.startswith("bias"):
                plans[name] = Bias()
        return plans

    return rule


def embedding_rule(module: Any) -> dict[str, Plan]:
    """torch Embedding/EmbeddingBag ``(num, dim)``: fans (num, dim), drawn only if asked."""
    padding_idx = module.padding_idx
    note = "" if padding_idx is None else f"padding row {padding_idx} zeroed"
    return {"weight": EmbeddingWeight(EMBEDDING, note, 2, padding_idx)}


def batch_norm_rule(module: Any) -> dict[str, Plan]:
    """BatchNorm/InstanceNorm: scale and shift kept, running statistics kept."""
    plans: dict[str, Plan] = {"weight": InitialValue(NORM, value=1.0),
                              "bias": InitialValue(NORM, value=0.0)}
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        plans[name] = Keep(RUNNING)
    return plans


def norm_rule(scale: float = 1.0, shift: float = 0.0) -> Callable[[Any], dict[str, Plan]]:
    """The rule of a normalization layer: ``weight`` (or ``scale``, ``gamma``) and ``bias``
    (or ``shift``, ``beta``) kept; where their memory holds no values yet (materialized from
    meta) they are written with ``scale`` and ``shift``, what the layer's ``__init__`` gives.

    For a norm class of your own without ``reset_parameters()``: ``xt.RULES.register(
    "MyRMSNorm", xt.norm_rule())``; a Gemma-style RMSNorm computing ``(1 + weight) * x`` whose
    weight starts at zero: ``xt.norm_rule(scale=0.0)``.

    Example:
      >>> rule = norm_rule()
      >>> rule(torch.nn.LayerNorm(4))["weight"].value
      1.0
    """
    scale_plan = InitialValue(NORM, value=float(scale))
    shift_plan = InitialValue(NORM, value=float(shift))

    def rule(module: Any) -> dict[str, Plan]:
        plans: dict[str, Plan] = {}
        for name in ("weight", "scale", "gamma"):
            plans[name] = scale_plan
        for name in ("bias", "shift", "beta", "offset"):
            plans[name] = shift_plan
        return plans

    return rule


def gpt2_conv1d_rule(module: Any) -> dict[str, Plan]:
    """transformers' ``Conv1D`` (GPT-2, by class name: no import): a Linear stored ``(in, out)``
    (``nf`` outputs). A class of that name without ``nf`` is something else: no plan."""
    nf = getattr(module, "nf", None)
    weight = getattr(module, "weight", None)
    if not isinstance(nf, int) or weight is None or tuple(weight.shape)[-1:] != (nf,):
        return {}
    return {"weight": Weight(xc.CHANNELS_LAST, "Conv1D (in, out)", 2), "bias": Bias()}


LLAMA_STYLE_NORMS = ("LlamaRMSNorm", "MistralRMSNorm", "MixtralRMSNorm", "Qwen2RMSNorm",
                     "Qwen3RMSNorm", "Phi3RMSNorm", "T5LayerNorm")
"""transformers' RMSNorm classes whose weight starts at ones (``weight * x``), with no
``reset_parameters()``: registered by name. (Gemma's RMSNorm is not: its implementations differ
on whether the weight starts at zero or one; register it yourself with :func:`norm_rule`.)"""

_BUILT_IN: dict[xc.rules.LayerKey, Callable[[Any], Mapping[str, Plan]]] = {
    nn.Linear: linear_rule,
    nn.Bilinear: bilinear_rule,
    nn.modules.conv._ConvTransposeNd: conv_transposed_rule,
    nn.modules.conv._ConvNd: conv_rule,
    nn.MultiheadAttention: attention_rule,
    nn.LSTM: recurrent_rule(4), nn.LSTMCell: recurrent_rule(4),
    nn.GRU: recurrent_rule(3), nn.GRUCell: recurrent_rule(3),
    nn.RNN: recurrent_rule(1), nn.RNNCell: recurrent_rule(1),
    nn.Embedding: embedding_rule, nn.EmbeddingBag: embedding_rule,
    nn.modules.batchnorm._NormBase: batch_norm_rule,
    nn.LayerNorm: norm_rule(), nn.GroupNorm: norm_rule(), nn.RMSNorm: norm_rule(),
    "Conv1D": gpt2_conv1d_rule,
    **{name: norm_rule() for name in LLAMA_STYLE_NORMS},
}

RULES = xc.RuleRegistry("torch", _BUILT_IN)
"""Every layer rule ``init_model`` uses, by class or class name, looked up along the module's
class hierarchy (a subclass of ``nn.Linear`` gets Linear's rule unless it has its own).
``RULES.register(cls_or_name, rule)`` adds or replaces one; a rule maps the names of the
tensors a module holds directly to ``xc.rules.Weight``, ``Bias``, ``Keep`` or
:class:`EmbeddingWeight` / :class:`InitialValue`."""


def plan_parameters(module: nn.Module) -> dict[str, Plan]:
    """The plan :data:`RULES` gives each tensor ``module`` holds directly (not its children's);
    tensors no rule names are absent.

    Example:
      >>> plan_parameters(torch.nn.Conv2d(32, 64, 3, groups=4))["weight"].layout.groups
      4
    """
    rule = RULES.rule_for(module)
    return {} if rule is None else dict(rule(module))
