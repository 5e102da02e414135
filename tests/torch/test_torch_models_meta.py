"""The meta-device flow on stand-ins of Llama, BERT and torchvision's ViT (tests/torch/
model_standins.py): afterwards nothing uninitialized remains, or what remains is named loudly
with what to do; following that advice gives a finite forward pass.

- Llama: LlamaRMSNorm has no reset_parameters(): its weight gets its initial value (a rule by
  class name); the rotary ``inv_freq`` buffer, computed in __init__, is lost on meta: named, and
  built for real under ``xt.parameters_on_meta()``.
- BERT: the ``position_ids`` / ``token_type_ids`` buffers: as ``inv_freq``.
- ViT: ``class_token`` and ``encoder.pos_embedding`` are raw parameters of the model's own
  classes: named, and initialized by the caller after init_model, as the warning says.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
import torch
from model_standins import Bert, Llama, VisionTransformer
from torch import nn
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt

MODELS: dict[str, tuple[Callable[[], nn.Module], Callable[[], torch.Tensor], dict[str, str]]] = {
    # model, an input, the tensors a plain torch.device("meta") build leaves unrestorable
    "llama": (Llama, lambda: torch.randint(0, 96, (2, 8)),
              {"rotary_emb.inv_freq": "uninitialized buffer"}),
    "bert": (Bert, lambda: torch.randint(0, 96, (2, 8)),
             {"embeddings.position_ids": "uninitialized buffer",
              "embeddings.token_type_ids": "uninitialized buffer"}),
    "vit": (VisionTransformer, lambda: torch.randn(2, 3, 32, 32),
            {"class_token": "no rule for VisionTransformer",
             "encoder.pos_embedding": "no rule for Encoder"}),
}


def states(report: xc.InitReport) -> dict[str, str]:
    return {r.name: r.state for r in report}


@pytest.mark.parametrize("model_id", MODELS)
def test_meta_flow_names_exactly_what_cannot_be_restored(model_id: str) -> None:
    build, _, lost = MODELS[model_id]
    with torch.device("meta"):
        model = build()
    with pytest.warns(xc.UnhandledWarning) as caught:
        report = xt.init_model(model, device="cpu")
    unhandled = {r.name: r.reason for r in report.unhandled}
    assert unhandled == lost, f"got unhandled {unhandled}, but should be {lost} [{model_id}]"
    message = str(caught[0].message)
    for name in lost:
        assert f"  {name} (" in message, f"got a warning that does not name {name}: {message}"
    advice = "parameters_on_meta()" if model_id != "vit" else "initialize it after init_model"
    assert advice in message, f"got a warning without {advice!r}: {message}"
    written = {r.state for r in report if r.name not in lost}
    assert written <= {"drawn", "zeroed", "reset"}, \
        f"got states {written} for tensors that held no values [{model_id}]"


@pytest.mark.parametrize("model_id", MODELS)
def test_strict_on_meta_raises_and_leaves_the_model_on_meta(model_id: str) -> None:
    build, _, lost = MODELS[model_id]
    with torch.device("meta"):
        model = build()
    with pytest.raises(xc.XavierError, match="strict=True: " + str(len(lost))):
        xt.init_model(model, device="cpu", strict=True)
    assert all(t.is_meta for t in (*model.parameters(), *model.buffers())), \
        f"got tensors materialized by a call that raised [{model_id}]"


def follow_the_advice(model_id: str) -> tuple[nn.Module, xc.InitReport]:
    """The documented flow: parameters on meta, init_model(device=), then what it asks for."""
    build, _, _ = MODELS[model_id]
    with xt.parameters_on_meta():
        model = build()
    if model_id != "vit":
        return model, xt.init_model(model, device="cpu", embeddings=True,
                                    generator=torch.Generator().manual_seed(0))
    with pytest.warns(xc.UnhandledWarning, match="trunc_normal_"):
        report = xt.init_model(model, device="cpu", generator=torch.Generator().manual_seed(0))
    for record in report.unhandled:  # what the warning says to do
        torch.nn.init.trunc_normal_(model.get_parameter(record.name), std=0.02)
    return model, report


@pytest.mark.parametrize("model_id", MODELS)
def test_following_the_advice_gives_a_finite_forward(model_id: str) -> None:
    _, make_input, lost = MODELS[model_id]
    model, report = follow_the_advice(model_id)
    assert not any(t.is_meta for t in (*model.parameters(), *model.buffers()))
    output = model.eval()(make_input())
    assert torch.isfinite(output).all(), f"got a non-finite forward [{model_id}]"
    for name in lost:
        expected = "unhandled" if model_id == "vit" else "kept"
        assert states(report)[name] == expected, f"got {report[name]} [{model_id}]"


def test_buffers_built_under_parameters_on_meta_keep_their_values() -> None:
    with xt.parameters_on_meta():
        model = Llama()
    reference = Llama()
    assert torch.equal(model.rotary_emb.inv_freq, reference.rotary_emb.inv_freq)
    xt.init_model(model, device="cpu")
    assert torch.equal(model.rotary_emb.inv_freq, reference.rotary_emb.inv_freq), \
        "got a buffer built for real changed by init_model"


def test_llama_states_are_right() -> None:
    model, report = follow_the_advice("llama")
    by_reason = {(r.state, r.reason) for r in report if "norm" in r.name}
    assert by_reason == {("reset", "normalization layer")}, f"got {by_reason}"
    assert all(torch.all(m.weight == 1) for n, m in model.named_modules()
               if type(m).__name__ == "LlamaRMSNorm"), "got an RMSNorm weight not at 1"
    assert report["layers.0.q_proj.weight"].fans == (32, 32)
    assert report["embed_tokens.weight"].fans == (96, 32)
    for record in report.by_state("drawn"):
        if record.distribution is not None and record.distribution.std and \
                model.get_parameter(record.name).numel() >= 2048:
            assert_matches(model.get_parameter(record.name), record.distribution, record.name)


def test_a_custom_norm_without_reset_parameters_is_named_and_a_registration_fixes_it() -> None:
    class MyRMSNorm(nn.Module):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(dim))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)

    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 8), MyRMSNorm(8))
    with pytest.warns(xc.UnhandledWarning, match=r"xt.RULES.register\('MyRMSNorm', "
                      r"xt.norm_rule\(\)\)"):
        xt.init_model(model, device="cpu")
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 8), MyRMSNorm(8))
    xt.RULES.register("MyRMSNorm", xt.norm_rule())
    try:
        record = xt.init_model(model, device="cpu", strict=True)["1.weight"]
    finally:
        xt.RULES.unregister("MyRMSNorm")
    assert (record.state, record.reason) == ("reset", "normalization layer"), f"got {record}"
    assert torch.all(model[1].weight == 1), "got a norm scale not at its initial 1"
    assert torch.isfinite(model(torch.randn(2, 8))).all()


def test_a_custom_reset_parameters_is_trusted_with_parameters_not_buffers() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.empty(8))
            self.register_buffer("table", torch.linspace(0, 1, 8))  # computed, not reset
            self.reset_parameters()

        def reset_parameters(self) -> None:
            nn.init.ones_(self.scale)

    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 8), Scaled())
    with pytest.warns(xc.UnhandledWarning, match=r"1\.table .*parameters_on_meta"):
        report = xt.init_model(model, device="cpu")
    assert (report["1.scale"].state, report["1.scale"].note) == (
        "reset", "Scaled.reset_parameters()"), f"got {report['1.scale']}"
    assert torch.all(model[1].scale == 1)
    assert (report["1.table"].state, report["1.table"].reason) == (
        "unhandled", "uninitialized buffer"), f"got {report['1.table']}"


# The whole advice for each kind of tensor left empty on meta (survivors of mutation testing:
# the other tests match parts of it).
class _Rotary(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("inv_freq", torch.arange(4.0))


class _Tokens(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.proj = nn.Parameter(torch.zeros(8, 8))


class _OwnNorm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(8))


def _after_init(name: str) -> str:
    return (f"holds no values yet (it was on meta): initialize it after init_model (e.g. "
            f"torch.nn.init.trunc_normal_(model.get_parameter({name!r}), std=0.02) for a class "
            f"token or a position embedding)")


ADVICE = {
    "rot.inv_freq": ("uninitialized buffer", "holds no values yet (it was on meta): a buffer "
                     "computed in __init__ cannot be restored: build the model under "
                     "xt.parameters_on_meta() (buffers stay real, as accelerate's "
                     "init_empty_weights(include_buffers=False)), or recompute it after "
                     "init_model"),
    "tok.class_token": ("no rule for _Tokens", _after_init("tok.class_token")),
    "tok.proj": ("no rule for _Tokens", _after_init("tok.proj") + ", or if it is a weight "
                 "stored (out, in, *k): layouts={'tok.proj': xc.TORCH}"),
    "norm.weight": ("no rule for _OwnNorm", _after_init("norm.weight") + ", or if it is a norm "
                    "scale starting at 1: xt.RULES.register('_OwnNorm', xt.norm_rule())"),
}


@pytest.mark.parametrize("name", ADVICE)
def test_each_tensor_left_empty_on_meta_gets_its_whole_advice(name: str) -> None:
    with torch.device("meta"):
        model = nn.ModuleDict({"rot": _Rotary(), "tok": _Tokens(), "norm": _OwnNorm()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xc.UnhandledWarning)
        report = xt.init_model(model, device="cpu")
    got = (report[name].state, report[name].reason, report[name].note)
    assert got == ("unhandled", *ADVICE[name]), f"got {got}, but should be {ADVICE[name]}"
