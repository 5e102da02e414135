"""calculate_gain gives the same floats as torch.nn.init.calculate_gain."""

from __future__ import annotations

import math

import pytest

import xavier_core as xc

CASES = [
    ("linear", None, 1.0),
    ("conv1d", None, 1.0),
    ("conv2d", None, 1.0),
    ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0),
    ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3),
    ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
    ("leaky_relu", 0, math.sqrt(2.0)),
    ("leaky_relu", 0.01, math.sqrt(2.0 / (1 + 0.01**2))),
    ("leaky_relu", 10, math.sqrt(2.0 / 101)),
    ("selu", None, 0.75),
]
IDS = [f"{name}-{param}" for name, param, _ in CASES]


@pytest.mark.parametrize(("nonlinearity", "param", "expected"), CASES, ids=IDS)
def test_gain_values(nonlinearity: str, param: float | None, expected: float) -> None:
    got = xc.calculate_gain(nonlinearity, param)
    assert got == expected, f"got {got!r}, but should be {expected!r} [{nonlinearity}, {param}]"


@pytest.mark.parametrize(("nonlinearity", "param", "expected"), CASES, ids=IDS)
def test_gain_equals_torch_exactly(nonlinearity: str, param: float | None, expected: float) -> None:
    torch = pytest.importorskip("torch", reason="pip install 'xavier-init[torch]'")
    theirs = torch.nn.init.calculate_gain(nonlinearity, param)
    ours = xc.calculate_gain(nonlinearity, param)
    assert ours == theirs, f"got {ours!r}, but should be {theirs!r} [torch, {nonlinearity}]"
    assert isinstance(ours, float)


def test_every_torch_nonlinearity_is_known() -> None:
    assert set(xc.NONLINEARITIES) == {name for name, _, _ in CASES}


def test_ignore_param_is_torchs_leniency() -> None:
    # torch.nn.init.kaiming_*(a=...) passes a to calculate_gain for every nonlinearity.
    assert xc.calculate_gain("relu", 0.3, ignore_param=True) == math.sqrt(2.0)
    assert xc.calculate_gain("leaky_relu", 0.2, ignore_param=True) == math.sqrt(2 / 1.04)
    with pytest.raises(xc.XavierError, match="param is only used by leaky_relu"):
        xc.calculate_gain("relu", 0.3)
