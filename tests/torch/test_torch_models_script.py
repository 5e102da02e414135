"""TorchScript modules: initialized through their parameters, the layer types read from each
script module's class (``original_name`` and its qualified TorchScript type name)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest
import torch
from torch import nn
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt


def script(module: nn.Module) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated, still used
        return torch.jit.script(module)


def test_a_scripted_model_gets_its_layers_fans() -> None:
    scripted = script(nn.Sequential(nn.Conv2d(32, 64, 3, groups=4, stride=2), nn.BatchNorm2d(64),
                                    nn.Flatten(1), nn.Linear(64, 64), nn.LSTM(64, 64)))
    for tensor in scripted.parameters():
        tensor.data.fill_(7)
    report = xt.init_model(scripted, stride_aware=True,
                           generator=torch.Generator().manual_seed(0))
    expected = {"0.weight": (72, 36), "3.weight": (64, 64), "4.weight_ih_l0": (64, 64)}
    for name, fans in expected.items():
        record = report[name]
        assert (record.state, record.fans) == ("drawn", fans), f"got {record}"
        tensor = dict(scripted.named_parameters())[name].detach()
        assert_matches(tensor.chunk(4)[0] if "ih" in name else tensor, record.distribution,
                       f"scripted {name}")
    assert report["0.weight"].layer == "Conv2d"
    assert (report["1.weight"].state, report["1.weight"].reason) == ("kept",
                                                                     "normalization layer")
    assert not torch.any(scripted[3].weight == 7), "got a weight said drawn but not written"


def test_a_traced_model_is_initialized_too() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(nn.Sequential(nn.Linear(64, 32)), torch.zeros(1, 64))
    assert xt.init_model(traced)["0.weight"].fans == (64, 32)


def test_a_scripted_layer_of_an_unloaded_class_is_a_clear_error(tmp_path) -> None:
    """Saved from a script that defined Block, loaded where no such class exists."""
    path = tmp_path / "model.pt"
    save = textwrap.dedent(f"""
        import torch, warnings
        from torch import nn
        warnings.simplefilter("ignore")
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.zeros(4, 4))
            def forward(self, x):
                return x @ self.w
        torch.jit.save(torch.jit.script(nn.Sequential(Block(), nn.Linear(4, 4))), {str(path)!r})
    """)
    (tmp_path / "save.py").write_text(save)  # TorchScript reads the class's source file
    subprocess.run([sys.executable, str(tmp_path / "save.py")], check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = torch.jit.load(str(path))
    before = {k: v.clone() for k, v in loaded.state_dict().items()}
    with pytest.raises(xc.XavierError, match=r"layer types must be recoverable.*got '0' "
                       r"\(Block\).*register a rule by its name"):
        xt.init_model(loaded)
    assert all(torch.equal(before[k], v) for k, v in loaded.state_dict().items())
    xt.RULES.register("Block", lambda m: {"w": xc.rules.Weight(xc.TORCH, rank=2)})
    try:
        assert xt.init_model(loaded)["0.w"].state == "drawn"
    finally:
        xt.RULES.unregister("Block")


def test_a_frozen_module_is_a_clear_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        frozen = torch.jit.freeze(script(nn.Sequential(nn.Linear(4, 4))).eval())
    with pytest.raises(xc.XavierError, match="initialize before freezing"):
        xt.init_model(frozen)
