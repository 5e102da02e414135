"""weight_norm and spectral_norm, in both torch styles (``torch.nn.utils.parametrizations`` and the
older forward-pre-hook functions): init_model draws through them.

weight_norm: the weight the layer computes with, g v / ||v||, is the draw itself (statistics of
the effective weight against the spec, on >= 12,288 values: a variance off by 4 % is caught).
spectral_norm: the original is drawn from the spec; the layer divides it by its largest singular
value by design, which the report says; u and v are restarted for the new weight.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt


def old_weight_norm(module: nn.Module, dim: int = 0) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated, still in use
        return nn.utils.weight_norm(module, dim=dim)


WEIGHT_NORM: dict[str, tuple[Callable[[], nn.Module], str, str, tuple[int, int]]] = {
    # layer, the record drawn (v), the magnitude's record (g), fans of the layer
    "parametrization-linear": (lambda: parametrizations.weight_norm(nn.Linear(300, 200)),
                               "parametrizations.weight.original1",
                               "parametrizations.weight.original0", (300, 200)),
    "parametrization-conv-dim2": (  # wav2vec2/HuBERT's positional conv: weight_norm(dim=2)
        lambda: parametrizations.weight_norm(nn.Conv1d(64, 64, 16, groups=4), dim=2),
        "parametrizations.weight.original1", "parametrizations.weight.original0", (256, 256)),
    "hook-linear": (lambda: old_weight_norm(nn.Linear(300, 200)), "weight_v", "weight_g",
                    (300, 200)),
    "hook-conv2d": (lambda: old_weight_norm(nn.Conv2d(32, 64, 3)), "weight_v", "weight_g",
                    (288, 576)),
}


def effective_weight(layer: nn.Module) -> torch.Tensor:
    """The weight the layer computes with."""
    for hook in layer._forward_pre_hooks.values():
        hook(layer, None)  # the old style recomputes it before each forward
    return layer.weight.detach()


@pytest.mark.parametrize("layer_id", WEIGHT_NORM)
def test_weight_norm_the_weight_the_layer_computes_with_follows_the_spec(layer_id: str) -> None:
    factory, v_name, g_name, fans = WEIGHT_NORM[layer_id]
    layer = factory()
    report = xt.init_model(layer, generator=torch.Generator().manual_seed(0))
    v, g = report[v_name], report[g_name]
    assert (v.state, v.fans) == ("drawn", fans), f"got {v}"
    assert (g.state, g.reason) == ("drawn", "weight_norm magnitude"), f"got {g}"
    assert report["bias"].state == "zeroed"
    assert "equals the draw" in v.note, f"got note {v.note!r}"
    assert_matches(effective_weight(layer), v.distribution, f"{layer_id}, effective weight")


@pytest.mark.parametrize("style", ["parametrization", "hook"])
def test_spectral_norm_draws_the_original_and_restarts_the_power_iteration(style: str) -> None:
    if style == "hook":
        layer = nn.utils.spectral_norm(nn.Linear(300, 200))
        names = {"original": "weight_orig", "u": "weight_u", "v": "weight_v"}
    else:
        layer = parametrizations.spectral_norm(nn.Linear(300, 200))
        names = {"original": "parametrizations.weight.original",
                 "u": "parametrizations.weight.0._u", "v": "parametrizations.weight.0._v"}
    tensors = dict(layer.state_dict(keep_vars=True))
    for name in ("u", "v"):
        tensors[names[name]].data.fill_(7)
    report = xt.init_model(layer, generator=torch.Generator().manual_seed(1))
    original = report[names["original"]]
    assert (original.state, original.fans) == ("drawn", (300, 200)), f"got {original}"
    assert "divided by its largest singular value" in original.note, f"got {original.note!r}"
    assert_matches(tensors[names["original"]], original.distribution, f"{style}, original")
    for name in ("u", "v"):
        record = report[names[name]]
        assert (record.state, record.reason) == ("reset", "power iteration"), f"got {record}"
        norm = tensors[names[name]].norm().item()
        assert abs(norm - 1) < 1e-5, f"got |{name}| = {norm}, but should be a unit vector"
    if style == "parametrization":  # 15 power iterations from the new start, as torch does
        sigma = torch.linalg.matrix_norm(tensors[names["original"]].detach(), ord=2)
        layer.eval()
        computed = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)
        assert abs(computed.item() - 1) < 0.05, \
            f"got a computed weight of spectral norm {computed:.3f}, but should be about 1 " \
            f"(the original's is {sigma:.3f})"


def test_another_parametrization_is_unhandled_and_strict_raises() -> None:
    layer = parametrizations.orthogonal(nn.Linear(32, 32))
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    with pytest.raises(xc.XavierError, match=r"(?s)strict=True.*parametrizations\.weight\."
                       r"original .*weight_norm and spectral_norm only"):
        xt.init_model(layer, strict=True)
    assert all(torch.equal(before[k], v) for k, v in layer.state_dict().items())
    with pytest.warns(xc.UnhandledWarning, match="parametrized by _Orthogonal"):
        report = xt.init_model(layer)
    assert report["parametrizations.weight.original"].state == "unhandled"
    assert report["bias"].state == "zeroed"


def test_weight_norm_layer_built_on_meta_is_written_through_the_parametrization() -> None:
    with torch.device("meta"):
        model = nn.Sequential(parametrizations.weight_norm(nn.Linear(64, 64)), nn.Tanh(),
                              parametrizations.spectral_norm(nn.Linear(64, 64)))
    report = xt.init_model(model, device="cpu", strict=True)
    assert {r.state for r in report} == {"drawn", "zeroed", "reset"}, f"got {report}"
    assert parametrize.is_parametrized(model[0], "weight")
    assert torch.isfinite(model.eval()(torch.randn(4, 64))).all()


def test_the_path_of_a_reparametrized_weight_for_layouts_is_the_layers() -> None:
    layer = parametrizations.weight_norm(nn.Linear(64, 192))
    report = xt.init_model(layer, layouts={"weight": xc.TORCH.with_(blocks=3)})
    assert report["parametrizations.weight.original1"].fans == (64, 64)
