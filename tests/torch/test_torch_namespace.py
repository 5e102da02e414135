"""``from xavier_adapters import torch as init`` replaces ``from torch.nn import init``.

Every public name of torch.nn.init exists here with a compatible signature; kaiming_* give torch's
float32/float64 values under the same seed; the behaviours torch's own TestNNInit checks (gains,
errors on rank < 2, the zero-element warning, the deprecated aliases, statistics) hold here too.
"""

from __future__ import annotations

import inspect
import math
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_adapters.torch import nn_init

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from signatures import assert_compatible


def torch_public_names() -> list[str]:
    """The public functions torch.nn.init defines (not what it imports: math, Tensor, ...)."""
    return sorted(name for name, value in vars(torch.nn.init).items()
                  if not name.startswith("_") and callable(value)
                  and getattr(value, "__module__", None) == "torch.nn.init")


def test_torch_surface_is_what_we_expect() -> None:
    # If torch adds a name, this fails first and says which (then add it to nn_init).
    assert torch_public_names() == sorted(nn_init.OURS + nn_init.TORCH_OWN)


@pytest.mark.parametrize("name", torch_public_names())
def test_every_torch_name_exists_with_a_compatible_signature(name: str) -> None:
    assert hasattr(xt, name), f"got no xavier_adapters.torch.{name}, but torch.nn.init has it"
    assert name in xt.__all__
    assert_compatible(signature(xt, name), signature(torch.nn.init, name), name)


def signature(module: object, name: str) -> inspect.Signature:
    """The signature of ``module.name``; a deprecated alias, (*args, **kwargs) passed on to the
    function with the underscore, has that function's."""
    found = inspect.signature(getattr(module, name))
    if [p.kind for p in found.parameters.values()] == [inspect.Parameter.VAR_POSITIONAL,
                                                        inspect.Parameter.VAR_KEYWORD]:
        return inspect.signature(getattr(module, name + "_"))
    return found


@pytest.mark.parametrize("name", nn_init.TORCH_OWN)
def test_the_rest_is_torchs_own_object(name: str) -> None:
    assert getattr(xt, name) is getattr(torch.nn.init, name)


@pytest.mark.parametrize("name", nn_init.OURS)
def test_the_variance_family_is_ours(name: str) -> None:
    assert getattr(xt, name) is not getattr(torch.nn.init, name)


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


KAIMING_CASES = {
    "defaults": {},
    "relu-fan_out": {"mode": "fan_out", "nonlinearity": "relu"},
    "leaky-a0.2": {"a": 0.2},
    "leaky-a-sqrt5": {"a": math.sqrt(5)},  # torch's own Linear and ConvNd default
    "tanh-fan_out": {"mode": "fan_out", "nonlinearity": "tanh"},
    "selu": {"nonlinearity": "selu"},
    "relu-ignores-a": {"a": 0.3, "nonlinearity": "relu"},
    "int-a": {"a": 1},
}
SHAPES = {"linear-64x784": (64, 784), "conv2d-64x16x3x3": (64, 16, 3, 3),
          "conv1d-8x3x5": (8, 3, 5), "conv3d-4x2x3x3x3": (4, 2, 3, 3, 3), "one-by-one": (1, 1)}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape_id", SHAPES)
@pytest.mark.parametrize("case", KAIMING_CASES)
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_same_values_as_torch(name: str, case: str, shape_id: str,
                                      dtype: torch.dtype) -> None:
    kwargs = KAIMING_CASES[case]
    ours = getattr(xt, name)(torch.empty(SHAPES[shape_id], dtype=dtype), generator=seeded(5),
                             **kwargs)
    theirs = getattr(torch.nn.init, name)(torch.empty(SHAPES[shape_id], dtype=dtype),
                                          generator=seeded(5), **kwargs)
    difference = (ours - theirs).abs().max().item()
    assert torch.equal(ours, theirs), \
        f"got max |ours - torch| = {difference}, but should be 0 [{name}, {case}, {shape_id}]"


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_manual_seed_reproduces_torch(name: str) -> None:
    torch.manual_seed(3)
    ours = getattr(xt, name)(torch.empty(32, 48), nonlinearity="relu")
    torch.manual_seed(3)
    theirs = getattr(torch.nn.init, name)(torch.empty(32, 48), nonlinearity="relu")
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_statistics(name: str, mode: str) -> None:
    shape = (96, 40, 3, 3)  # fan_in 360, fan_out 864: a swap is visible
    tensor = getattr(xt, name)(torch.empty(shape), a=0.1, mode=mode, generator=seeded(1))
    gain = math.sqrt(2 / (1 + 0.1**2))
    fan = 40 * 9 if mode == "fan_in" else 96 * 9
    std = gain / math.sqrt(fan)
    law = xc.Uniform(math.sqrt(3) * std) if name == "kaiming_uniform_" else xc.Normal(std)
    assert_matches(tensor, law, f"{name}, {mode}")


def test_kaiming_layout_gives_grouped_fans() -> None:
    # torch Conv2d 32->64 k3 groups=4: correct fan_in 72 (torch's own: also 72, per group in).
    weight = xt.kaiming_normal_(torch.empty(64, 8, 3, 3), mode="fan_out", nonlinearity="relu",
                                layout=xc.TORCH.with_(groups=4), generator=seeded(0))
    assert_matches(weight, xc.Normal(math.sqrt(2 / 144)), "grouped fan_out 144")


def test_kaiming_explicit_fans() -> None:
    weight = xt.kaiming_uniform_(torch.empty(7), fans=(49, 1), nonlinearity="relu")
    assert weight.abs().max() <= math.sqrt(6 / 49)


@pytest.mark.parametrize("shape", [(), (5,)], ids=["rank0", "rank1"])
@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_rank_below_two_keeps_torchs_message(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=xt.TORCH_RANK_MESSAGE):
        getattr(torch.nn.init, name)(torch.empty(shape))
    with pytest.raises(ValueError, match=xt.TORCH_RANK_MESSAGE):
        getattr(xt, name)(torch.empty(shape))


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_zero_element_warns_as_torch(name: str) -> None:
    tensor = torch.full((0, 4), 7.0)
    with pytest.warns(UserWarning, match=nn_init.ZERO_ELEMENT_WARNING):
        assert getattr(xt, name)(tensor) is tensor


@pytest.mark.parametrize("mode", ["fan_avg", "fan_geo_avg", "in"])
def test_kaiming_refuses_other_modes(mode: str) -> None:
    with pytest.raises(xc.XavierError, match=f"mode must be 'fan_in' or 'fan_out', got "
                                             f"mode='{mode}'"):
        xt.kaiming_uniform_(torch.empty(3, 4), mode=mode)


def test_kaiming_refuses_non_numeric_slope() -> None:
    with pytest.raises(ValueError, match="param must be"):
        xt.kaiming_normal_(torch.empty(3, 4), a="0.1")  # type: ignore[arg-type]


GAIN_CASES = [("linear", None), ("conv1d", None), ("conv_transpose3d", None), ("sigmoid", None),
              ("tanh", None), ("relu", None), ("relu", 0.5), ("selu", None),
              ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("leaky_relu", 0)]


@pytest.mark.parametrize(("nonlinearity", "param"), GAIN_CASES,
                         ids=[f"{n}-{p}" for n, p in GAIN_CASES])
def test_calculate_gain_equals_torchs(nonlinearity: str, param: float | None) -> None:
    assert xt.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param)


@pytest.mark.parametrize(("nonlinearity", "param"),
                         [("leaky_relu", "0.1"), ("leaky_relu", True), ("softmax", None),
                          ("Relu", None)])
def test_calculate_gain_refuses_what_torch_refuses(nonlinearity: str, param: object) -> None:
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain(nonlinearity, param)  # type: ignore[arg-type]
    with pytest.raises(xc.XavierError):
        xt.calculate_gain(nonlinearity, param)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "kaiming_uniform",
                                  "kaiming_normal"])
def test_deprecated_aliases_warn_and_give_the_same_values(name: str) -> None:
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated"):
        old = getattr(xt, name)(torch.empty(20, 30), generator=seeded(2))
    new = getattr(xt, name + "_")(torch.empty(20, 30), generator=seeded(2))
    assert torch.equal(old, new)


def test_trunc_normal_keeps_torchs_absolute_bounds() -> None:
    tensor = xt.trunc_normal_(torch.empty(2000, 50), mean=1.0, std=3.0, a=-0.5, b=0.5,
                              generator=seeded(0))
    assert tensor.min() >= -0.5 and tensor.max() <= 0.5


def test_reexports_work_through_our_namespace() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(xt.eye_(torch.empty(3, 3)), torch.eye(3))
        assert xt.zeros_(torch.ones(2, 2)).abs().sum() == 0
        assert (xt.ones_(torch.empty(2, 2)) == 1).all()
        assert (xt.constant_(torch.empty(2, 2), 0.5) == 0.5).all()
        q = xt.orthogonal_(torch.empty(6, 4), generator=seeded(0))
        assert torch.allclose(q.T @ q, torch.eye(4), atol=1e-5)
        assert (xt.sparse_(torch.empty(10, 4), 0.5, generator=seeded(0)) == 0).sum() >= 20
        assert xt.dirac_(torch.empty(4, 4, 3)).sum() == 4
