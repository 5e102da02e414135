"""init_model: every torch layer type gets its layer-aware fans (DESIGN.md section 3), and every
tensor ends in one state of the model-level contract.

Power of the statistics: every weight block of the fans tables holds n >= 4,096 values, so the
checks (false-alarm rate 1e-6 each) catch a std off by 0.34 % or more either way
(:func:`xavier_conformance.stats.detectable_scale_error`: bounds when too wide, reach when too
narrow); the variance check alone a variance off by z * sqrt((E[w^4] - Var^2) / n) / Var =
4.375 / sqrt(n) <= 6.9 % (a std off by 3.4 %), and the KS check a CDF off by 2.9 / sqrt(n) <=
4.6 %. :func:`test_each_row_has_power` computes each row's figures (``python
tests/torch/test_torch_init_model.py`` prints them),
:func:`test_statistics_reject_the_frameworks_own_fans` shows the checks failing on the rows where
torch's bare-tensor fans are wrong.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import pytest
import torch
from model_standins import Conv1D, GPT2Block, TimmBlock
from torch import nn
from torch_helpers import assert_matches, to_numpy

import xavier_core as xc
from xavier_adapters import torch as xt
from xavier_conformance import stats

Row = tuple[Callable[[], nn.Module], str, tuple[float, float], int]
# (layer factory, parameter, correct (fan_in, fan_out), blocks): the torch rows of DESIGN.md's
# table first (sizes raised where a block would hold fewer than 4,096 values), then every other
# weight init_model knows.
DESIGN_TABLE: dict[str, Row] = {
    "linear-784-64": (lambda: nn.Linear(784, 64), "weight", (784, 64), 1),
    "conv2d-16-64-k3": (lambda: nn.Conv2d(16, 64, 3), "weight", (144, 576), 1),
    "conv-transpose2d-16-64-k3": (lambda: nn.ConvTranspose2d(16, 64, 3), "weight", (144, 576), 1),
    "conv2d-32-64-k3-groups4": (lambda: nn.Conv2d(32, 64, 3, groups=4), "weight", (72, 144), 1),
    "depthwise-conv2d-512-k3": (lambda: nn.Conv2d(512, 512, 3, groups=512), "weight", (9, 9), 1),
    "mha-in-proj-e64": (lambda: nn.MultiheadAttention(64, 4), "in_proj_weight", (64, 64), 3),
    "lstm-weight-ih-h64-in64": (lambda: nn.LSTM(64, 64), "weight_ih_l0", (64, 64), 4),
}
MORE_LAYERS: dict[str, Row] = {
    "bilinear-10x30-20": (lambda: nn.Bilinear(10, 30, 20), "weight", (300, 20), 1),
    "conv1d-64-128-k5-groups2": (lambda: nn.Conv1d(64, 128, 5, groups=2), "weight", (160, 320), 1),
    "conv3d-16-16-k3": (lambda: nn.Conv3d(16, 16, 3), "weight", (432, 432), 1),
    "conv-transpose1d-64-96-k3-groups4":
        (lambda: nn.ConvTranspose1d(64, 96, 3, groups=4), "weight", (48, 72), 1),
    "conv-transpose3d-32-64-k2-groups2":
        (lambda: nn.ConvTranspose3d(32, 64, 2, groups=2), "weight", (128, 256), 1),
    "depthwise-conv-transpose2d-512-k3":
        (lambda: nn.ConvTranspose2d(512, 512, 3, groups=512), "weight", (9, 9), 1),
    "mha-out-proj-e64": (lambda: nn.MultiheadAttention(64, 4), "out_proj.weight", (64, 64), 1),
    "mha-separate-q": (lambda: nn.MultiheadAttention(64, 4, kdim=96, vdim=80),
                       "q_proj_weight", (64, 64), 1),
    "mha-separate-k-kdim96": (lambda: nn.MultiheadAttention(64, 4, kdim=96, vdim=80),
                              "k_proj_weight", (96, 64), 1),
    "mha-separate-v-vdim80": (lambda: nn.MultiheadAttention(64, 4, kdim=96, vdim=80),
                              "v_proj_weight", (80, 64), 1),
    "lstm-weight-hh-h64": (lambda: nn.LSTM(64, 64), "weight_hh_l0", (64, 64), 4),
    "lstm-bidirectional-layer1-ih": (lambda: nn.LSTM(16, 64, num_layers=2, bidirectional=True),
                                     "weight_ih_l1_reverse", (128, 64), 4),
    "lstm-proj32-weight-hh": (lambda: nn.LSTM(16, 128, proj_size=32), "weight_hh_l0",
                              (32, 128), 4),
    "lstm-proj32-weight-hr": (lambda: nn.LSTM(16, 128, proj_size=32), "weight_hr_l0",
                              (128, 32), 1),
    "gru-weight-ih": (lambda: nn.GRU(64, 64), "weight_ih_l0", (64, 64), 3),
    "gru-weight-hh": (lambda: nn.GRU(64, 64), "weight_hh_l0", (64, 64), 3),
    "rnn-weight-ih": (lambda: nn.RNN(64, 64), "weight_ih_l0", (64, 64), 1),
    "lstm-cell-weight-hh": (lambda: nn.LSTMCell(64, 64), "weight_hh", (64, 64), 4),
    "gru-cell-weight-ih": (lambda: nn.GRUCell(64, 64), "weight_ih", (64, 64), 3),
    "rnn-cell-weight-hh": (lambda: nn.RNNCell(64, 64), "weight_hh", (64, 64), 1),
    "gpt2-conv1d-64-192": (lambda: Conv1D(192, 64), "weight", (64, 192), 1),
}
LAYERS = {**DESIGN_TABLE, **MORE_LAYERS}
STRIDED: dict[str, tuple[Callable[[], nn.Module], tuple[float, float], tuple[float, float]]] = {
    # layer, fans with stride_aware=True, fans with stride_aware=False (torch's reading)
    "vit-patch-conv2d-3-768-k16-s16":
        (lambda: nn.Conv2d(3, 768, 16, stride=16), (768, 768), (768, 196608)),
    "conv2d-16-32-k3-s2": (lambda: nn.Conv2d(16, 32, 3, stride=2), (144, 72), (144, 288)),
    "conv-transpose2d-64-32-k2-s2":
        (lambda: nn.ConvTranspose2d(64, 32, 2, stride=2), (64, 128), (256, 128)),
}


def parameter(module: nn.Module, name: str) -> torch.Tensor:
    return dict(module.named_parameters())[name]


def detectable_variance_change(distribution: xc.Distribution, n: int) -> float:
    """The smallest relative change of the variance the variance check detects on n values."""
    error = math.sqrt((distribution.fourth_moment - distribution.variance**2) / n)
    return stats.Z_CRITICAL * error / distribution.variance


def failed_checks(tensor: torch.Tensor, distribution: xc.Distribution) -> list[str]:
    return [r.name for r in stats.check_sample(to_numpy(tensor), distribution) if not r.passed]


@pytest.mark.parametrize("layer_id", LAYERS)
def test_layer_aware_fans_and_values(layer_id: str) -> None:
    factory, name, (fan_in, fan_out), blocks = LAYERS[layer_id]
    layer = factory()
    report = xt.init_model(layer, generator=torch.Generator().manual_seed(1))
    record = report[name]
    assert record.fans == xc.Fans(fan_in, fan_out), \
        f"got fans {record.fans}, but should be ({fan_in}, {fan_out}) [{layer_id}]"
    expected = xc.glorot_uniform().distribution_for(xc.Fans(fan_in, fan_out))
    assert record.distribution == expected, \
        f"got {record.distribution}, but should be {expected} [{layer_id}]"
    # Packed weights: each q/k/v block or gate is its own Glorot weight.
    for index, block in enumerate(parameter(layer, name).detach().chunk(blocks, dim=0)):
        assert_matches(block, expected, f"{layer_id}, block {index} of {blocks}")


def row_power(layer_id: str) -> tuple[int, float, float]:
    """(values per block, smallest std error the checks catch, smallest variance error the
    variance check alone catches) of a fans-table row."""
    factory, name, fans, blocks = LAYERS[layer_id]
    n = parameter(factory(), name).numel() // blocks
    distribution = xc.glorot_uniform().distribution_for(xc.Fans(*fans))
    return (n, stats.detectable_scale_error(distribution, n),
            detectable_variance_change(distribution, n))


@pytest.mark.parametrize("layer_id", LAYERS)
def test_each_row_has_power(layer_id: str) -> None:
    n, scale, variance = row_power(layer_id)
    assert scale <= 0.0034 and variance <= 0.07, (
        f"got a row whose checks catch only a {scale:.2%} std error and whose variance check "
        f"only a {variance:.1%} variance error ({n} values per block), but should catch 0.34 % "
        f"and 7 % [{layer_id}]")


WRONG_BY_TORCH = ["conv2d-32-64-k3-groups4", "depthwise-conv2d-512-k3", "mha-in-proj-e64",
                  "lstm-weight-ih-h64-in64", "bilinear-10x30-20", "conv1d-64-128-k5-groups2",
                  "depthwise-conv-transpose2d-512-k3", "gru-weight-hh", "lstm-proj32-weight-hh"]


@pytest.mark.parametrize("layer_id", WRONG_BY_TORCH)
def test_statistics_reject_the_frameworks_own_fans(layer_id: str) -> None:
    """torch's bare-tensor reading of these rows gives other fans: the checks must say so."""
    factory, name, fans, blocks = LAYERS[layer_id]
    weight = parameter(factory(), name)
    xt.xavier_uniform_(weight, generator=torch.Generator().manual_seed(2))  # (out, in, *k)
    expected = xc.glorot_uniform().distribution_for(xc.Fans(*fans))
    failed = failed_checks(weight.detach().chunk(blocks, dim=0)[0], expected)
    assert "variance" in failed and "ks" in failed, \
        f"got only {failed} failing, but variance and ks should reject torch's fans [{layer_id}]"


@pytest.mark.parametrize("stride_aware", [True, False], ids=["stride-aware", "torch-fans"])
@pytest.mark.parametrize("layer_id", STRIDED)
def test_strided_convolutions(layer_id: str, stride_aware: bool) -> None:
    factory, aware, plain = STRIDED[layer_id]
    layer = factory()
    record = xt.init_model(layer, stride_aware=stride_aware,
                           generator=torch.Generator().manual_seed(3))["weight"]
    fans = xc.Fans(*(aware if stride_aware else plain))
    assert record.fans == fans, f"got {record.fans}, but should be {fans} [{layer_id}]"
    expected = xc.glorot_uniform().distribution_for(fans)
    assert_matches(layer.weight, expected, f"{layer_id}, stride_aware={stride_aware}")
    other = xc.glorot_uniform().distribution_for(xc.Fans(*(plain if stride_aware else aware)))
    assert failed_checks(layer.weight, other), \
        f"got the other choice's statistics passing too: no power [{layer_id}]"
    said = "stride-aware" if stride_aware else "not counted (stride_aware=False)"
    assert said in record.note, f"got note {record.note!r}, but should say {said!r}"


def test_draws_equal_the_bare_tensor_function_with_each_layout() -> None:
    model = nn.Sequential(nn.Conv2d(32, 64, 3, groups=4), nn.MultiheadAttention(64, 4))
    xt.init_model(model, "normal", generator=torch.Generator().manual_seed(2))
    generator = torch.Generator().manual_seed(2)
    layouts = {"0.weight": xc.TORCH.with_(groups=4), "1.in_proj_weight": xc.TORCH.with_(blocks=3),
               "1.out_proj.weight": xc.TORCH}
    for name, layout in layouts.items():
        expected = xt.xavier_normal_(torch.empty_like(parameter(model, name)),
                                     generator=generator, layout=layout)
        assert torch.equal(parameter(model, name), expected), \
            f"got values that differ from xavier_normal_(layout={layout}) [{name}]"


@pytest.mark.parametrize("distribution", ["uniform", "normal", "truncated_normal"])
def test_distribution_option(distribution: str) -> None:
    layer = nn.Linear(300, 200)
    report = xt.init_model(layer, distribution, generator=torch.Generator().manual_seed(3))
    expected = xc.glorot(distribution).resolve((200, 300), xc.TORCH).distribution
    assert report["weight"].distribution == expected
    assert_matches(layer.weight, expected, f"init_model({distribution!r})")


def test_mha_bias_k_and_v_are_drawn_with_the_fans_torch_reads() -> None:
    layer = nn.MultiheadAttention(256, 4, add_bias_kv=True)
    for name in ("bias_k", "bias_v"):
        parameter(layer, name).data.fill_(7)
    report = xt.init_model(layer, "normal")
    for name in ("bias_k", "bias_v"):
        tensor = parameter(layer, name)
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(tensor)  # as _reset_parameters
        assert report[name].state == "drawn", f"got {report[name]}"
        assert report[name].fans == (fan_in, fan_out), \
            f"got fans {report[name].fans}, but torch's _reset_parameters reads {(fan_in, fan_out)}"
        torch_std = math.sqrt(2.0 / (fan_in + fan_out))  # torch's xavier_normal_
        assert report[name].distribution == xc.Normal(std=torch_std), f"got {report[name]}"
        assert not torch.any(tensor == 7), f"got {name} said drawn but not written"


# -- packed weights in a plain Linear, GPT-2's Conv1D ---------------------------------------

@pytest.mark.parametrize(
    ("model", "weight", "entry", "blocks", "per_block"),
    [(TimmBlock(64), "attn.qkv.weight", "{'attn.qkv.weight': xc.TORCH.with_(blocks=3)}", 3,
      (64, 64)),
     (GPT2Block(64), "c_attn.weight", "{'c_attn.weight': xc.CHANNELS_LAST.with_(blocks=3)}", 3,
      (64, 64)),
     (nn.ModuleDict({"qkv_proj": nn.Linear(96, 288)}), "qkv_proj.weight",
      "{'qkv_proj.weight': xc.TORCH.with_(blocks=3)}", 3, (96, 96)),
     (nn.ModuleDict({"gate_up_proj": nn.Linear(64, 512)}), "gate_up_proj.weight",
      "{'gate_up_proj.weight': xc.TORCH.with_(blocks=2)}", 2, (64, 256))],
    ids=["timm-vit-qkv", "gpt2-c-attn-conv1d", "phi3-qkv-proj", "phi3-gate-up-proj"])
def test_packed_linear_gets_the_layouts_entry_and_following_it_gives_per_block_fans(
        model: nn.Module, weight: str, entry: str, blocks: int,
        per_block: tuple[int, int]) -> None:
    record = xt.init_model(model)[weight]
    assert "looks packed" in record.note and f"pass layouts={entry}" in record.note, \
        f"got note {record.note!r}, but should give layouts={entry}"
    whole = parameter(model, weight).shape
    assert record.fans != per_block, "got per-block fans on a guess: only the user knows"
    layouts = eval(entry, {"xc": xc})
    followed = xt.init_model(model, layouts=layouts, generator=torch.Generator().manual_seed(4))
    assert followed[weight].fans == per_block, \
        f"got {followed[weight].fans}, but should be per block {per_block} (weight {whole})"
    assert "looks packed" not in followed[weight].note, "got the hint after following it"
    dim = -1 if "c_attn" in weight else 0
    for index, block in enumerate(parameter(model, weight).detach().chunk(blocks, dim=dim)):
        assert_matches(block, followed[weight].distribution, f"{weight} block {index}")


def test_gpt2_block_forward_after_init() -> None:
    block = GPT2Block(64)
    report = xt.init_model(block)
    assert not report.unhandled, f"got unhandled {report.unhandled}"
    assert report["c_fc.weight"].fans == (64, 256), f"got {report['c_fc.weight']}"
    assert torch.isfinite(block(torch.randn(2, 5, 64))).all()


def test_a_conv1d_class_without_nf_is_not_gpt2s() -> None:
    class Conv1D(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.full((4, 4), 7.0))

    model = nn.Sequential(Conv1D())
    with pytest.warns(xc.UnhandledWarning, match=r"0\.weight \(Conv1D"):
        record = xt.init_model(model)["0.weight"]
    assert record.state == "unhandled", f"got {record}"
    assert torch.all(model[0].weight == 7.0), "got a weight written on a guess"


# -- gains, layouts, biases -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("gain", "layer_gains"),
    [
        ("relu", {"0": 2**0.5, "2": 2**0.5}),
        (0.5, {"0": 0.5, "2": 0.5}),
        ({"0": "tanh"}, {"0": 5 / 3, "2": 1.0}),
        ({"2": 0.25, "*": "relu"}, {"0": 2**0.5, "2": 0.25}),
    ],
    ids=["by-name", "one-number", "per-layer", "pattern-first-match-wins"],
)
def test_gain_options(gain: object, layer_gains: dict[str, float]) -> None:
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 16))
    report = xt.init_model(model, gain=gain)
    for layer, value in layer_gains.items():
        shape = tuple(parameter(model, f"{layer}.weight").shape)
        expected = xc.glorot_uniform(value).resolve(shape, xc.TORCH).bound
        got = report[f"{layer}.weight"].distribution.bound
        assert got == pytest.approx(expected, rel=1e-15), \
            f"got bound {got}, but should be {expected} [gain={gain!r}, layer {layer}]"


def test_a_shadowed_gain_key_is_explained() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 2))
    with pytest.raises(xc.XavierError, match=r"'0' matches '0' but the earlier key '\*' wins"):
        xt.init_model(model, gain={"*": "relu", "0": "tanh"})


def test_layouts_win_over_the_rules_and_reach_raw_parameters() -> None:
    class Mixer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(128, 256))  # (out, in), no rule knows it
            self.proj = nn.Linear(64, 64)

    model = Mixer()
    report = xt.init_model(model, layouts={"w": xc.TORCH, "proj.weight": xc.CHANNELS_LAST},
                           generator=torch.Generator().manual_seed(5))
    assert report["w"].state == "drawn" and report["w"].fans == (256, 128), f"got {report['w']}"
    assert report["proj.weight"].fans == (64, 64)
    assert_matches(model.w, report["w"].distribution, "raw parameter drawn by layouts=")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gain": {"encoder.*": "relu"}}, r"gain keys must each match a path, got 'encoder\.\*' "
                                          "matches nothing"),
        ({"gain": "swish"}, "nonlinearity must be one of"),
        ({"gain": -2.0}, "gain must be a finite number >= 0"),
        ({"gain": {"0": float("nan")}}, r"gain\['0'\] must be a finite number >= 0"),
        ({"bias": "random"}, "bias must be 'zeros', 'keep' or a finite number"),
        ({"distribution": "untruncated_normal"}, "'normal' here is untruncated"),
        ({"embeddings": "no"}, r"embeddings must be True or False, got embeddings='no'"),
        ({"strict": 1}, r"strict must be True or False, got strict=1"),
        ({"stride_aware": None}, r"stride_aware must be True or False"),
        ({"reset_skipped": "yes"}, r"reset_skipped must be True or False"),
        ({"uninitialized": 0}, r"uninitialized must be True or False"),
        ({"layouts": [("0.weight", xc.TORCH)]}, r"layouts must be a mapping"),
        ({"layouts": {"0.weight": "torch"}}, r"layouts\['0.weight'\] must be a xavier_core.Layout"),
        ({"layouts": {"1.weight": xc.TORCH}}, r"layouts keys must each match a path, got "
                                              "'1.weight' matches nothing"),
        ({"generator": 0}, r"generator must be None, a torch.Generator or a "
                           r"xavier_core.PortableKey, "
                           r"got generator=0"),
        ({"device": "gpu0"}, r"device must be None or a torch device.*got device='gpu0'"),
        ({"device": "meta"}, r"device must be None or a torch device other than meta"),
        ({"device": 3.5}, r"device must be None or a torch device"),
    ],
    ids=["unmatched-gain-key", "unknown-nonlinearity", "negative-gain", "nan-layer-gain",
         "unknown-bias-policy", "keras-style-distribution", "embeddings-not-bool",
         "strict-not-bool", "stride-aware-none", "reset-skipped-not-bool",
         "uninitialized-not-bool", "layouts-not-mapping", "layout-not-a-layout",
         "layouts-key-matches-nothing", "generator-not-a-generator", "device-unknown",
         "device-meta", "device-not-a-device"],
)
def test_bad_arguments_raise_before_any_write(kwargs: dict, message: str) -> None:
    model = nn.Sequential(nn.Linear(8, 4))
    before = model[0].weight.detach().clone()
    with pytest.raises(xc.XavierError, match=message):
        xt.init_model(model, **kwargs)
    assert torch.equal(model[0].weight, before), "got a weight written before the error"


@pytest.mark.parametrize("module", [None, "model", nn.Linear, torch.zeros(3)],
                         ids=["none", "string", "class-not-instance", "tensor"])
def test_a_module_that_is_not_a_module_is_refused(module: object) -> None:
    with pytest.raises(xc.XavierError, match=r"module must be a torch.nn.Module .*got module="):
        xt.init_model(module)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "state", "value"),
    [("zeros", "zeroed", 0.0), (0.01, "filled", 0.01), ("keep", "kept", 7.0)],
    ids=["zeros", "constant", "keep"],
)
def test_bias_policy(policy: object, state: str, value: float) -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.LSTM(4, 6),
                          nn.MultiheadAttention(6, 2, add_bias_kv=True))
    for name, param in model.named_parameters():
        if "bias" in name:
            param.data.fill_(7.0)
    report = xt.init_model(model, bias=policy)
    biases = [r for r in report if "bias" in r.name and not r.name.endswith(("_k", "_v"))]
    assert len(biases) == 5, f"got {[r.name for r in biases]}, but should be 5 biases"
    assert [r.state for r in report if r.name.endswith(("bias_k", "bias_v"))] == ["drawn"] * 2
    for record in biases:
        param = parameter(model, record.name)
        assert record.state == state, f"got {record.state}, but should be {state}"
        assert torch.all(param == value), f"got {param}, but should all be {value} [{record.name}]"


# -- the contract: one state per tensor, written exactly when it says so ---------------------

class Scaled(nn.Module):  # a parameter no rule knows, and no reset_parameters()
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((4,), 7.0))
        self.register_buffer("table", torch.arange(4.0))


def sentinel_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 4), nn.LayerNorm(4), nn.BatchNorm1d(4),
                         nn.Embedding(10, 4, padding_idx=1), nn.PReLU(), Scaled(),
                         nn.MultiheadAttention(4, 2, add_bias_kv=True))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"reset_skipped": True}, {"bias": "keep"}, {"embeddings": True, "bias": 0.5},
     {"reset_skipped": True, "bias": "keep", "embeddings": True}],
    ids=["defaults", "reset-skipped", "bias-keep", "embeddings-bias-fill", "everything"])
def test_a_state_says_written_exactly_when_values_changed(kwargs: dict) -> None:
    model = sentinel_model()
    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            tensor.fill_(3)
    before = {k: v.clone() for k, v in model.state_dict(keep_vars=False).items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xc.UnhandledWarning)
        report = xt.init_model(model, **kwargs)
    after = model.state_dict()
    assert sorted(r.name for r in report) == sorted(after), \
        "got records that are not exactly the parameters and buffers"
    for record in report:
        changed = not torch.equal(before[record.name], after[record.name])
        assert changed == record.written, \
            f"got state {record.state} but values {'changed' if changed else 'unchanged'} " \
            f"[{record.name}, {kwargs}]"


def test_kept_and_unhandled_tensors_say_why_and_the_warning_says_what_to_do() -> None:
    model = sentinel_model()
    with pytest.warns(xc.UnhandledWarning) as caught:
        report = xt.init_model(model)
    states = {r.name: (r.state, r.reason) for r in report}
    assert states["1.weight"] == states["2.bias"] == ("kept", "normalization layer")
    assert states["2.running_mean"] == ("kept", "running statistics")
    assert states["3.weight"] == ("kept", "embedding")
    assert states["5.table"] == ("kept", "buffer")
    assert states["4.weight"] == ("unhandled", "no rule for PReLU")
    assert states["5.scale"] == ("unhandled", "no rule for Scaled")
    message = str(caught[0].message)
    assert "5.scale (Scaled, shape (4,)): no rule for Scaled; to keep it on purpose: " \
        "xt.RULES.register('Scaled', lambda m: {'scale': xc.rules.Keep('why')})" in message
    assert "4.weight (PReLU" in message and "strict=True" in message


def test_registering_a_rule_handles_it() -> None:
    xt.RULES.register("Scaled", lambda m: {"scale": xc.rules.Keep("learned scale"),
                                           "table": xc.rules.Keep("lookup table")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", xc.UnhandledWarning)
            report = xt.init_model(nn.Sequential(nn.Linear(8, 4), Scaled()))
    finally:
        xt.RULES.unregister("Scaled")
    assert (report["1.scale"].state, report["1.scale"].reason) == ("kept", "learned scale")


def test_strict_raises_before_writing_anything() -> None:
    model = sentinel_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(xc.XavierError, match=r"(?s)strict=True: 2 tensor\(s\) left .*4\.weight.*"
                       r"5\.scale"):
        xt.init_model(model, strict=True, reset_skipped=False)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), \
        "got a tensor written before strict=True raised"


def test_reset_skipped_gives_torchs_defaults_to_everything_else() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.LayerNorm(4), nn.BatchNorm1d(4))
    for tensor in (*model.parameters(), *model.buffers()):
        tensor.data.fill_(7)
    report = xt.init_model(model, reset_skipped=True)
    norm, batch = model[1], model[2]
    assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0), "LayerNorm not reset"
    assert torch.all(batch.running_var == 1) and batch.num_batches_tracked == 0, \
        "BatchNorm buffers not reset"
    assert (report["1.weight"].state, report["1.weight"].reason, report["1.weight"].note) == (
        "reset", "normalization layer", "LayerNorm.reset_parameters()")
    assert report["2.running_var"].state == "reset"


def test_reset_skipped_says_what_it_could_not_reset() -> None:
    model = nn.Sequential(nn.Linear(8, 4), Scaled())
    with pytest.warns(xc.UnhandledWarning):
        record = xt.init_model(model, reset_skipped=True)["1.scale"]
    assert (record.state, record.reason) == ("unhandled", "no rule for Scaled"), f"got {record}"
    assert record.note.endswith("no reset_parameters(), left as is"), f"got {record.note!r}"
    assert torch.all(model[1].scale == 7.0), "got a parameter with no rule changed"


def test_reset_skipped_gives_a_norm_without_reset_parameters_its_initial_value() -> None:
    from model_standins import LlamaRMSNorm

    model = nn.Sequential(nn.Linear(8, 4), LlamaRMSNorm(4))
    model[1].weight.data.fill_(7)
    record = xt.init_model(model, reset_skipped=True)["1.weight"]
    assert (record.state, record.reason) == ("reset", "normalization layer"), f"got {record}"
    assert torch.all(model[1].weight == 1), "got a norm scale not back at its initial 1"


def test_embeddings_when_asked() -> None:
    table = nn.Embedding(1000, 64, padding_idx=0)
    report = xt.init_model(table, embeddings=True, generator=torch.Generator().manual_seed(4))
    assert report["weight"].fans == xc.Fans(1000, 64)
    assert torch.all(table.weight[0] == 0), "got a padding row that is not zero"
    assert_matches(table.weight[1:], report["weight"].distribution, "embedding rows 1..999")


@pytest.mark.parametrize(("embeddings", "drawer", "fans"), [(False, "1.weight", (16, 50)),
                                                           (True, "0.weight", (50, 16))],
                         ids=["drawn-through-the-head", "drawn-as-embedding"])
def test_a_tied_embedding_says_which_name_drew_it(embeddings: bool, drawer: str,
                                                  fans: tuple[int, int]) -> None:
    embedding, head = nn.Embedding(50, 16), nn.Linear(16, 50, bias=False)
    head.weight = embedding.weight
    embedding.weight.data.fill_(7)
    report = xt.init_model(nn.Sequential(embedding, head), embeddings=embeddings)
    other = "0.weight" if drawer == "1.weight" else "1.weight"
    assert [r.state for r in report] == ["drawn", "drawn"], f"got {report}"
    assert report[drawer].fans == fans and report[other].fans == fans
    assert (report[other].reason, report[other].note) == (
        "tied", f"the same tensor as {drawer}, drawn there"), f"got {report[other]}"
    assert f"also {other} (tied)" in report[drawer].note, f"got {report[drawer]}"
    assert not torch.any(embedding.weight == 7), "got a tied weight said drawn but not written"


def test_lazy_module_is_a_clear_error_and_nothing_is_written() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.LazyLinear(3))
    before = model[0].weight.detach().clone()
    with pytest.raises(xc.XavierError, match=r"uninitialized parameter '1.weight' of LazyLinear"):
        xt.init_model(model)
    assert torch.equal(model[0].weight, before), "got a weight written before the error"
    model(torch.zeros(2, 8))  # materializes the lazy layer
    assert xt.init_model(model)["1.weight"].fans == xc.Fans(4, 3)


def test_non_float_weight_is_an_error_before_any_write() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.Linear(4, 2))
    model[1].weight = nn.Parameter(torch.zeros(2, 4, dtype=torch.int32), requires_grad=False)
    before = model[0].weight.detach().clone()
    with pytest.raises(xc.XavierError, match=r"1\.weight: dtype must be a floating dtype"):
        xt.init_model(model)
    assert torch.equal(model[0].weight, before), "got a weight written before the error"


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64],
                         ids=["bfloat16", "float16", "float64"])
def test_low_and_high_precision_models(dtype: torch.dtype) -> None:
    model = nn.Sequential(nn.Linear(512, 256), nn.Conv1d(64, 64, 3)).to(dtype)
    report = xt.init_model(model, generator=torch.Generator().manual_seed(5))
    for name in ("0.weight", "1.weight"):
        param = parameter(model, name)
        assert param.dtype == dtype, f"got {param.dtype}, but should be {dtype}"
        assert_matches(param, report[name].distribution, f"{name}, {dtype}")


def test_seeding_reproduces() -> None:
    def draw(seed: int) -> list[torch.Tensor]:
        model = nn.Sequential(nn.Linear(16, 8), nn.GRU(8, 4))
        torch.manual_seed(seed)
        xt.init_model(model)
        return [p.detach().clone() for p in model.parameters()]

    assert all(torch.equal(a, b) for a, b in zip(draw(0), draw(0), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(draw(0), draw(1), strict=True))


def test_report_prints_a_summary_and_a_table() -> None:
    model = nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.BatchNorm2d(32))
    report = xt.init_model(model, gain={"0": "relu"})
    lines = str(report).splitlines()
    assert lines[0] == ("7 tensors: 1 drawn, 1 zeroed, 5 kept (running statistics 3, "
                        "normalization layer 2), 0 unhandled"), f"got {lines[0]}"
    assert lines[1].split()[:3] == ["parameter", "layer", "shape"], f"got header {lines[1]}"
    assert len(lines) == 3 + 7, f"got {len(lines)} lines, but should be a summary, a header, a " \
        "rule and 7 rows"
    assert "depthwise (groups=32); gain 1.414" in lines[3], f"got row {lines[3]}"


if __name__ == "__main__":
    print(xc.render_table(("row", "values per block", "std error caught", "variance error caught"),
                          [(row, str(n), f">= {scale:.2%}", f">= {variance:.1%}")
                           for row in LAYERS for n, scale, variance in [row_power(row)]]))
