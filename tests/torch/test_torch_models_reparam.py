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


# What the report says of a reparametrized tensor init_model does not draw (survivors of
# mutation testing: only the states were checked, not the reasons and notes).
DRAWS_ONLY = ("init_model draws through weight_norm and spectral_norm only: initialize it "
              "before registering the parametrization, or yourself")
ON_META = "holds no values yet (it was on meta); initialize it after init_model"


class _Scale(nn.Module):
    """A parametrization of one's own, holding a buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("factor", torch.full((), 2.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


class _NoRule(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 8))


def _scaled_linear() -> nn.Module:
    layer = nn.Linear(8, 8)
    parametrize.register_parametrization(layer, "weight", _Scale())
    return layer


def _normalized_layer_norm() -> nn.Module:
    return parametrizations.weight_norm(nn.LayerNorm(8), "weight", dim=0)


UNDRAWN = {
    "own-parametrization": (_scaled_linear, False, {
        "parametrizations.weight.original": ("unhandled", "parametrized by _Scale", DRAWS_ONLY),
        "parametrizations.weight.0.factor": ("kept", "buffer", "parametrized by _Scale")}),
    "own-parametrization-on-meta": (_scaled_linear, True, {
        "parametrizations.weight.original": ("unhandled", "parametrized by _Scale", DRAWS_ONLY),
        "parametrizations.weight.0.factor": ("unhandled", "uninitialized buffer", ON_META)}),
    "weight-norm-of-a-layer-without-rule": (lambda: parametrizations.weight_norm(_NoRule()),
                                            False, {
        "parametrizations.weight.original0": (
            "unhandled", "no rule for _NoRule", "to keep it on purpose: xt.RULES.register("
            "'_NoRule', lambda m: {'original0': xc.rules.Keep('why')})"),
        "parametrizations.weight.original1": (
            "unhandled", "no rule for _NoRule", "if it is a weight stored (out, in, *k): "
            "layouts={'parametrizations.weight.original1': xc.TORCH}; if it is not a weight: "
            "xt.RULES.register('_NoRule', lambda m: {'original1': xc.rules.Keep('why')})")}),
    "weight-norm-of-an-embedding-left-out": (lambda: parametrizations.weight_norm(
        nn.Embedding(10, 4)), False, {
        f"parametrizations.weight.original{i}": (
            "kept", "not drawn", "weight_norm (dim 0): left as is") for i in (0, 1)}),
    "weight-norm-of-a-norm-layer": (_normalized_layer_norm, False, {
        f"parametrizations.weight.original{i}": (
            "kept", "normalization layer", "weight_norm (dim 0): left as is") for i in (0, 1)}),
    "weight-norm-of-a-norm-layer-on-meta": (_normalized_layer_norm, True, {
        f"parametrizations.weight.original{i}": (
            "unhandled", "uninitialized normalization layer", ON_META) for i in (0, 1)}),
}


@pytest.mark.parametrize("case", UNDRAWN)
def test_an_undrawn_reparametrized_tensor_says_why_and_what_to_do(case: str) -> None:
    build, on_meta, expected = UNDRAWN[case]
    if on_meta:
        with torch.device("meta"):
            model = build()
    else:
        model = build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xc.UnhandledWarning)
        report = xt.init_model(model, device="cpu") if on_meta else xt.init_model(model)
    for name, (state, reason, note) in expected.items():
        got = (report[name].state, report[name].reason, report[name].note)
        assert got == (state, reason, note), f"got {got}, but should be {(state, reason, note)}"


@pytest.mark.parametrize("style", ["parametrization", "hook"])
def test_spectral_norm_restarts_u_and_v_from_the_generator_as_centred_unit_vectors(
        style: str) -> None:
    import copy

    wrap = (parametrizations.spectral_norm if style == "parametrization"
            else torch.nn.utils.spectral_norm)
    layer = wrap(nn.Linear(64, 4096))
    twin = copy.deepcopy(layer)
    for model in (layer, twin):
        xt.init_model(model, generator=torch.Generator().manual_seed(3))
    buffers, twins = dict(layer.named_buffers()), dict(twin.named_buffers())
    u_name = next(n for n in buffers if n.endswith("_u"))
    for name in (u_name, u_name[:-1] + "v"):
        assert torch.equal(buffers[name], twins[name]), f"{name} should come from the generator"
    u = buffers[u_name]
    assert float(u.norm()) == pytest.approx(1.0, abs=1e-6)
    # A unit vector of N(0, 1) draws sums to about N(0, 1); drawn from N(1, 1), to about 45.
    assert abs(float(u.sum())) < 5.0, f"got sum(u) = {float(u.sum())}, but u should be centred"


@pytest.mark.parametrize("style", ["weight_norm", "spectral_norm"])
def test_hook_style_rows_say_what_the_layer_computes_with(style: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the hook functions are deprecated
        layer = getattr(torch.nn.utils, style)(nn.Linear(8, 8))
    rows = {r.name: (r.state, r.reason, r.note) for r in xt.init_model(layer)}
    expected = {
        "weight_norm": {
            "weight_g": ("drawn", "weight_norm magnitude", "g = ||v|| per slice, written with "
                         "weight_v"),
            "weight_v": ("drawn", "", "weight_norm (hook, dim 0): the layer's weight g v/||v|| "
                         "equals the draw")},
        "spectral_norm": {
            "weight_orig": ("drawn", "", "spectral_norm (hook, dim 0): the layer computes with "
                            "the draw divided by its largest singular value (spectral norm 1 "
                            "by design)"),
            "weight_u": ("reset", "power iteration", "started afresh for weight_orig"),
            "weight_v": ("reset", "power iteration", "started afresh for weight_orig")},
    }[style]
    assert {name: rows[name] for name in expected} == expected, f"got {rows}"


@pytest.mark.parametrize("style", ["weight_norm", "spectral_norm"])
def test_parametrization_style_rows_say_what_the_layer_computes_with(style: str) -> None:
    import copy

    layer = getattr(parametrizations, style)(nn.Linear(8, 8))
    twin = copy.deepcopy(layer)
    rows = {r.name: (r.state, r.reason, r.note)
            for r in xt.init_model(layer, generator=torch.Generator().manual_seed(4))}
    xt.init_model(twin, generator=torch.Generator().manual_seed(4))
    base = "parametrizations.weight."
    expected = {
        "weight_norm": {
            base + "original0": ("drawn", "weight_norm magnitude", "g = ||v|| per slice, written "
                                 "with parametrizations.weight.original1"),
            base + "original1": ("drawn", "", "weight_norm (dim 0): the layer's weight g v/||v|| "
                                 "equals the draw")},
        "spectral_norm": {
            base + "original": ("drawn", "", "spectral_norm (dim 0): the layer computes with the "
                                "draw divided by its largest singular value (spectral norm 1 by "
                                "design)"),
            base + "0._u": ("reset", "power iteration", f"started afresh for {base}original")},
    }[style]
    assert {name: rows[name] for name in expected} == expected, f"got {rows}"
    for name, tensor in layer.state_dict().items():
        assert torch.equal(tensor, twin.state_dict()[name]), f"{name}: not from the generator"


def test_hook_style_weight_norm_weight_is_up_to_date_before_any_forward() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the hook functions are deprecated
        layer = torch.nn.utils.weight_norm(nn.Linear(16, 8))
    xt.init_model(layer, generator=torch.Generator().manual_seed(2))
    g, v = layer.weight_g.detach(), layer.weight_v.detach()
    assert isinstance(layer.weight, torch.Tensor), f"got weight {layer.weight!r}"
    torch.testing.assert_close(layer.weight.detach(), g * v / v.norm(dim=1, keepdim=True))
