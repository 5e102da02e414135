"""The layer rules of xavier_adapters.torch, each called directly: the exact plan it gives.

The rule factories (``recurrent_rule(gates)``, ``norm_rule(scale, shift)``) build their rules
when the module is imported; building them again here checks what a factory makes, which
tests through ``init_model`` see only through the rules built at import (and which mutation
testing could not otherwise reach).
"""

from __future__ import annotations

import pytest
from torch import nn

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_adapters.torch import layers
from xavier_core.rules import Bias, Weight


@pytest.mark.parametrize(("gates", "module", "note"), [
    (4, lambda: nn.LSTM(16, 32, proj_size=8), "per gate (i, f, g, o)"),
    (3, lambda: nn.GRUCell(16, 32), "per gate (r, z, n)"),
    (1, lambda: nn.RNN(16, 32, bias=False), ""),
], ids=["lstm-proj", "gru-cell", "rnn-no-bias"])
def test_recurrent_rule_plans_gates_projection_and_biases(gates, module, note) -> None:  # type: ignore[no-untyped-def]
    layer = module()
    plans = layers.recurrent_rule(gates)(layer)
    per_gate = Weight(xc.TORCH.with_(blocks=gates), note, 2)
    expected = {}
    for name, _ in layer.named_parameters(recurse=False):
        if name.startswith("weight_hr"):
            expected[name] = Weight(xc.TORCH, "LSTM projection", 2)
        else:
            expected[name] = per_gate if name.startswith("weight") else Bias()
    assert plans == expected, f"got {plans}, but should be {expected}"
    assert plans == xt.plan_parameters(layer), "the registered rule should plan the same"


def test_recurrent_rule_skips_tensors_it_does_not_know() -> None:
    layer = nn.LSTM(4, 4)
    layer.register_parameter("extra", nn.Parameter(layer.weight_ih_l0.detach().clone()))
    assert "extra" not in layers.recurrent_rule(4)(layer)


@pytest.mark.parametrize(("scale", "shift"), [(1.0, 0.0), (0, 0.5)], ids=["default", "gemma-int"])
def test_norm_rule_writes_its_scale_and_shift_under_every_name(scale: float, shift: float) -> None:
    plans = layers.norm_rule(scale, shift)(nn.LayerNorm(4))
    scale_plan = xt.InitialValue(layers.NORM, value=scale)
    shift_plan = xt.InitialValue(layers.NORM, value=shift)
    expected = {**dict.fromkeys(("weight", "scale", "gamma"), scale_plan),
                **dict.fromkeys(("bias", "shift", "beta", "offset"), shift_plan)}
    assert plans == expected, f"got {plans}, but should be {expected}"
    assert all(type(p.value) is float for p in plans.values())


def test_bilinear_rule_reads_in1_times_in2_and_plans_the_bias() -> None:
    plans = layers.bilinear_rule(nn.Bilinear(10, 30, 20))
    expected = {"weight": Weight(xc.Layout(in_axis=(1, 2), out_axis=0), "fans (in1 * in2, out)",
                                 rank=3), "bias": Bias()}
    assert plans == expected, f"got {plans}, but should be {expected}"
