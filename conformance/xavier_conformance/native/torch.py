"""torch.nn layers of the DESIGN.md table, initialized by ``xavier_adapters.torch.init_model``."""

from __future__ import annotations

import torch
from torch import nn

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_conformance.native import NativeRow

# (id, layer, parameter, DESIGN.md's correct fans)
LAYERS = [
    ("Linear-784-64", lambda: nn.Linear(784, 64), "weight", (784, 64)),
    ("Conv2d-16-64-k3", lambda: nn.Conv2d(16, 64, 3), "weight", (144, 576)),
    ("ConvTranspose2d-16-64-k3", lambda: nn.ConvTranspose2d(16, 64, 3), "weight", (144, 576)),
    ("Conv2d-32-64-k3-groups4", lambda: nn.Conv2d(32, 64, 3, groups=4), "weight", (72, 144)),
    ("Conv2d-depthwise-32-k3", lambda: nn.Conv2d(32, 32, 3, groups=32), "weight", (9, 9)),
    ("MultiheadAttention-64-in_proj", lambda: nn.MultiheadAttention(64, 4), "in_proj_weight",
     (64, 64)),
    # Strided: an input unit feeds out x prod(k / s) outputs (init_model is stride-aware).
    ("Conv2d-3-768-k16-s16-patch", lambda: nn.Conv2d(3, 768, 16, stride=16), "weight", (768, 768)),
    ("Conv2d-16-32-k3-s2", lambda: nn.Conv2d(16, 32, 3, stride=2), "weight", (144, 72)),
    ("ConvTranspose2d-32-16-k2-s2", lambda: nn.ConvTranspose2d(32, 16, 2, stride=2), "weight",
     (32, 64)),
    ("LSTM-16-32-weight_ih", lambda: nn.LSTM(16, 32), "weight_ih_l0", (16, 32)),
    ("LSTM-16-32-weight_hh", lambda: nn.LSTM(16, 32), "weight_hh_l0", (32, 32)),
]


def rows(seed: int) -> list[NativeRow]:
    """Each layer built, Glorot-initialized through the adapter, and its weight read back."""
    found = []
    for index, (row_id, build, parameter, fans) in enumerate(LAYERS):
        layer = build()
        xt.init_model(layer, generator=torch.Generator().manual_seed(seed + index))
        weight = getattr(layer, parameter).detach().numpy()
        found.append(NativeRow(row_id, weight, xc.Fans(*fans)))
    # He (fan_in) through the layer's own layout: a transposed conv read as (out, in, *k) fails.
    layer = nn.ConvTranspose2d(16, 64, 3)
    layout = xt.plan_parameters(layer)["weight"].layout
    generator = torch.Generator().manual_seed(seed + len(LAYERS))
    xt.variance_scaling_(layer.weight, xc.he("uniform"), generator, layout=layout)
    found.append(NativeRow("ConvTranspose2d-16-64-k3-he-fan_in", layer.weight.detach().numpy(),
                           xc.Fans(144, 576), xc.he("uniform")))
    return found
