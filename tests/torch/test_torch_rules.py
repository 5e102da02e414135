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


@pytest.mark.parametrize(("module", "layout", "note", "rank"), [
    (lambda: nn.ConvTranspose2d(16, 32, 3, stride=2, groups=2),
     xc.TORCH_TRANSPOSED.with_(groups=2, strides=(2, 2)),
     "transposed (in, out/g, *k), groups=2", 4),
    (lambda: nn.ConvTranspose1d(16, 32, 3), xc.TORCH_TRANSPOSED, "transposed (in, out/g, *k)", 3),
], ids=["2d-s2-groups2", "1d"])
def test_conv_transposed_rule(module, layout: xc.Layout, note: str, rank: int) -> None:  # type: ignore[no-untyped-def]
    plans = layers.conv_transposed_rule(module())
    expected = {"weight": Weight(layout, note, rank), "bias": Bias()}
    assert plans == expected, f"got {plans}, but should be {expected}"


def test_gpt2_conv1d_rule_needs_nf_outputs_on_the_last_axis() -> None:
    from model_standins import Conv1D

    expected = {"weight": Weight(xc.CHANNELS_LAST, "Conv1D (in, out)", 2), "bias": Bias()}
    assert layers.gpt2_conv1d_rule(Conv1D(192, 64)) == expected
    wrong_axis = Conv1D(192, 64)
    wrong_axis.nf = 64  # (64, 192): nf outputs would be on the first axis
    no_weight = Conv1D(192, 64)
    del no_weight.weight
    for module in (wrong_axis, no_weight, nn.Linear(4, 4)):
        assert layers.gpt2_conv1d_rule(module) == {}, f"got a plan for {module}"


@pytest.mark.parametrize("fans", [(0, 4), (16,), 5, "ab", (1.5, 2), (True, 3)],
                         ids=["zero", "one-entry", "int", "string", "float", "bool"])
def test_explicit_fans_must_be_a_pair_of_positive_ints(fans: object) -> None:
    import torch

    message = f"fans must be a pair of positive integers (fan_in, fan_out), got fans={fans!r}"
    with pytest.raises(xc.XavierError) as caught:
        xt.xavier_uniform_(torch.empty(4, 4), fans=fans)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_explicit_fans_of_one_are_allowed_and_reach_both_drop_ins() -> None:
    import torch

    uniform = xt.xavier_uniform_(torch.empty(256, 256), fans=(1, 4),
                                 generator=torch.Generator().manual_seed(0))
    assert float(uniform.abs().max()) == pytest.approx((6 / 5) ** 0.5, rel=1e-3)
    normal = xt.xavier_normal_(torch.empty(256, 256), fans=(1, 4),
                               generator=torch.Generator().manual_seed(0))
    assert float(normal.std()) == pytest.approx((2 / 5) ** 0.5, rel=0.02)


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "xavier_trunc_normal_"])
def test_each_drop_in_passes_generator_fans_and_layout_on(name: str) -> None:
    import torch

    init = getattr(xt, name)

    def draw(**options: object) -> torch.Tensor:
        return init(torch.empty(64, 32, 3, 3), generator=torch.Generator().manual_seed(9),
                    **options)

    assert torch.equal(draw(), draw()), "the generator should make the draw reproducible"
    plain, by_fans = draw(), draw(fans=(1, 4))
    grouped = draw(layout=xc.TORCH.with_(groups=4))  # fans (288, 144): std 1/sqrt(216)
    ratio = float(by_fans.std() / plain.std())
    assert ratio == pytest.approx(((288 + 576) / 5) ** 0.5, rel=0.03), f"fans=: got {ratio}"
    ratio = float(grouped.std() / plain.std())
    assert ratio == pytest.approx(((288 + 576) / (288 + 144)) ** 0.5, rel=0.03), (
        f"layout=: got {ratio}")


def test_norm_rule_defaults_to_scale_one_and_shift_zero() -> None:
    plans = layers.norm_rule()(nn.LayerNorm(4))
    assert (plans["weight"].value, plans["bias"].value) == (1.0, 0.0)


def test_a_module_no_rule_names_has_no_plan() -> None:
    assert xt.plan_parameters(nn.ReLU()) == {}
    assert xt.plan_parameters(nn.Sequential(nn.Linear(2, 2))) == {}, "children are not planned"


@pytest.mark.parametrize(("padding_idx", "note"), [(None, ""), (0, "padding row 0 zeroed")],
                         ids=["no-padding", "padding-0"])
def test_embedding_rule_reads_num_by_dim_and_names_the_padding_row(
        padding_idx: int | None, note: str) -> None:
    plans = layers.embedding_rule(nn.Embedding(10, 4, padding_idx=padding_idx))
    expected = {"weight": xt.EmbeddingWeight(xc.CHANNELS_LAST, note, 2, padding_idx)}
    assert plans == expected, f"got {plans}, but should be {expected}"
