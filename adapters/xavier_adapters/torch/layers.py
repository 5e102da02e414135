"""Layer rules: what each torch layer's parameters are, and how to read a weight's fans.

A rule looks at one module and plans each parameter it holds directly: a :class:`Weight` drawn
from the spec with its fans read through a :class:`xavier_core.Layout`, a :class:`Bias` left to
the bias policy, or a :class:`Skip` that says why it is not a Glorot weight.

| layer | weight | layout (fans) |
|---|---|---|
| Linear | (out, in) | ``TORCH``: (in, out) |
| Bilinear | (out, in1, in2) | :data:`BILINEAR`: (in1 * in2, out) |
| Conv1d/2d/3d | (out, in/g, *k) | ``TORCH.with_(groups=g)``: (in/g * k, out/g * k) |
| ConvTranspose1d/2d/3d | (in, out/g, *k) | ``TORCH_TRANSPOSED.with_(groups=g)`` |
| MultiheadAttention | in_proj (3E, E) | ``TORCH.with_(blocks=3)``: per q/k/v block (E, E) |
| MultiheadAttention | q/k/v_proj (E, E or kdim or vdim) | ``TORCH`` |
| RNN/LSTM/GRU, cells | weight_ih (G*H, in), weight_hh (G*H, H) | ``TORCH.with_(blocks=G)`` |
| LSTM(proj_size=P) | weight_hr (P, H) | ``TORCH``: (H, P) |
| Embedding(Bag), if asked | (num, dim) | :data:`EMBEDDING`: (num, dim) |

G is the gate count (4 for LSTM, 3 for GRU, 1 for RNN); the fans are those of one gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import xavier_core as xc
from xavier_adapters._require import require

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

NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.RMSNorm,
)
EMBEDDING_LAYERS: tuple[type[nn.Module], ...] = (nn.Embedding, nn.EmbeddingBag)
GATES = {4: "per gate (i, f, g, o)", 3: "per gate (r, z, n)", 1: ""}


@dataclass(frozen=True)
class Weight:
    """A weight drawn from the spec; its fans are read from its shape through ``layout``."""

    layout: xc.Layout
    note: str = ""
    padding_idx: int | None = None
    """An embedding row zeroed after the draw, as torch keeps it (``padding_idx``)."""


@dataclass(frozen=True)
class Bias:
    """A bias (or any additive offset): set by the bias policy of ``init_model``."""

    note: str = ""


@dataclass(frozen=True)
class Skip:
    """Not a Glorot weight: left as is (or reset to torch's default when asked)."""

    note: str


Plan = Weight | Bias | Skip


def _groups_note(groups: int, in_channels: int) -> str:
    if groups == 1:
        return ""
    return f"depthwise (groups={groups})" if groups == in_channels else f"groups={groups}"


def _linear(module: nn.Linear) -> dict[str, Plan]:
    return {"weight": Weight(xc.TORCH), "bias": Bias()}


def _bilinear(module: nn.Bilinear) -> dict[str, Plan]:
    return {"weight": Weight(BILINEAR, "fans (in1 * in2, out)"), "bias": Bias()}


def _conv(module: nn.modules.conv._ConvNd) -> dict[str, Plan]:
    note = _groups_note(module.groups, module.in_channels)
    return {"weight": Weight(xc.TORCH.with_(groups=module.groups), note), "bias": Bias()}


def _conv_transposed(module: nn.modules.conv._ConvTransposeNd) -> dict[str, Plan]:
    note = ", ".join(filter(None, ["transposed (in, out/g, *k)",
                                   _groups_note(module.groups, module.in_channels)]))
    layout = xc.TORCH_TRANSPOSED.with_(groups=module.groups)
    return {"weight": Weight(layout, note), "bias": Bias()}


def _attention(module: nn.MultiheadAttention) -> dict[str, Plan]:
    # out_proj is a child Linear, planned on its own.
    return {
        "in_proj_weight": Weight(xc.TORCH.with_(blocks=3), "per block (q, k, v)"),
        "q_proj_weight": Weight(xc.TORCH, "separate q"),
        "k_proj_weight": Weight(xc.TORCH, "separate k"),
        "v_proj_weight": Weight(xc.TORCH, "separate v"),
        "in_proj_bias": Bias(),
        "bias_k": Bias("learned key bias (add_bias_kv)"),
        "bias_v": Bias("learned value bias (add_bias_kv)"),
    }


def gate_count(module: nn.RNNBase | nn.RNNCellBase) -> int:
    """4 for LSTM, 3 for GRU, 1 for a plain RNN (and their cells)."""
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        return 4
    if isinstance(module, (nn.GRU, nn.GRUCell)):
        return 3
    return 1


def _recurrent(module: nn.RNNBase | nn.RNNCellBase) -> dict[str, Plan]:
    gates = gate_count(module)
    per_gate = Weight(xc.TORCH.with_(blocks=gates), GATES[gates])
    plans: dict[str, Plan] = {}
    for name, _ in module.named_parameters(recurse=False):
        if name.startswith(("weight_ih", "weight_hh")):
            plans[name] = per_gate
        elif name.startswith("weight_hr"):
            plans[name] = Weight(xc.TORCH, "LSTM projection")
        elif name.startswith("bias"):
            plans[name] = Bias()
    return plans


def _embedding(module: nn.Embedding | nn.EmbeddingBag) -> dict[str, Plan]:
    padding_idx = module.padding_idx
    note = "" if padding_idx is None else f"padding row {padding_idx} zeroed"
    return {"weight": Weight(EMBEDDING, note, padding_idx)}


def _norm(module: nn.Module) -> dict[str, Plan]:
    return {name: Skip("normalization layer") for name, _ in module.named_parameters(
        recurse=False)}


# Checked in order, so a subclass comes before its base (ConvTranspose before Conv).
RULES = (
    (nn.Linear, _linear),
    (nn.Bilinear, _bilinear),
    (nn.modules.conv._ConvTransposeNd, _conv_transposed),
    (nn.modules.conv._ConvNd, _conv),
    (nn.MultiheadAttention, _attention),
    ((nn.RNNBase, nn.RNNCellBase), _recurrent),
    (EMBEDDING_LAYERS, _embedding),
    (NORM_LAYERS, _norm),
)


def plan_parameters(module: nn.Module, *, embeddings: bool = False) -> dict[str, Plan]:
    """A plan for each parameter ``module`` holds directly (not its children's).

    Args:
      module: any ``torch.nn.Module``.
      embeddings: plan Embedding and EmbeddingBag weights as Glorot weights (else skipped).

    Returns:
      ``{parameter name: Weight | Bias | Skip}`` in the module's parameter order; a parameter no
      rule knows is a :class:`Skip` that says so.
    """
    kind = type(module).__name__
    rules = next((rule for types, rule in RULES if isinstance(module, types)), None)
    known = {} if rules is None else rules(module)
    plans: dict[str, Plan] = {}
    for name, _ in module.named_parameters(recurse=False):
        plan = known.get(name, Skip(f"no rule for this parameter of {kind}" if known
                                    else f"no rule for {kind}"))
        if isinstance(module, EMBEDDING_LAYERS) and not embeddings:
            plan = Skip("embedding: pass embeddings=True to initialize it")
        plans[name] = plan
    return plans
