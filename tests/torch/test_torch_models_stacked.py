"""Stacked layers, as torch.func.stack_module_state builds them: the leading axis is a batch axis,
each layer of the stack gets its own fans; where a layer's weights disagree on their stacking
axes, one error lists every such weight with the ``layouts=`` entry that fixes it."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call, stack_module_state
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt


def stacked_mlp(copies: int) -> nn.Module:
    """An MLP whose parameters are the stacks of ``copies`` MLPs (for torch.vmap)."""
    models = [nn.Sequential(nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 128))
              for _ in range(copies)]
    params, _ = stack_module_state(models)  # type: ignore[arg-type]
    base = copy.deepcopy(models[0])
    for name, value in params.items():
        owner, _, key = name.rpartition(".")
        setattr(base.get_submodule(owner), key, nn.Parameter(value.detach()))
    return base


def test_stacked_layers_get_one_layers_fans_and_each_copy_follows_the_spec() -> None:
    model = stacked_mlp(4)
    report = xt.init_model(model, generator=torch.Generator().manual_seed(0))
    assert report["0.weight"].fans == (256, 64) and report["2.weight"].fans == (64, 128), \
        f"got {report['0.weight'].fans}, {report['2.weight'].fans}"
    for name in ("0.weight", "2.weight"):
        weight = model.get_parameter(name).detach()
        for index in range(weight.shape[0]):
            assert_matches(weight[index], report[name].distribution, f"{name}, copy {index}")
        assert not torch.equal(weight[0], weight[1]), f"got two copies drawn alike [{name}]"
    assert report["0.bias"].state == "zeroed"
    out = torch.vmap(lambda p, x: functional_call(model, p, (x,)), in_dims=(0, None))(
        dict(model.named_parameters()), torch.randn(3, 256))
    assert out.shape == (4, 3, 128) and torch.isfinite(out).all()


def test_unreadable_stacking_is_one_error_listing_every_weight() -> None:
    model = nn.Sequential(nn.LSTM(8, 8), nn.GRU(8, 8))
    model[0].weight_ih_l0 = nn.Parameter(torch.zeros(3, 32, 8))  # weight_hh_l0 is not stacked
    model[1].weight_hh_l0 = nn.Parameter(torch.zeros(2, 5, 24, 8))
    with pytest.raises(xc.XavierError) as caught:
        xt.init_model(model)
    message = str(caught.value)
    assert "'0.weight_ih_l0': xc.TORCH.with_(in_axis=2, out_axis=1, batch_axis=(0,), " \
        "blocks=4)" in message, f"got {message}"
    assert "'1.weight_hh_l0': xc.TORCH.with_(in_axis=3, out_axis=2, batch_axis=(0, 1), " \
        "blocks=3)" in message, f"got {message}"
    entries = eval("{" + message.split("layouts={", 1)[1], {"xc": xc})
    report = xt.init_model(model, layouts=entries)
    assert report["0.weight_ih_l0"].fans == (8, 8) and report["1.weight_hh_l0"].fans == (8, 8)
