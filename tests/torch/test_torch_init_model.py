"""init_model: every torch layer type gets its layer-aware fans (DESIGN.md section 3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt

# (layer factory, parameter, correct (fan_in, fan_out), blocks): the torch rows of DESIGN.md's
# table first, then every other weight init_model knows.
DESIGN_TABLE: dict[str, tuple[Callable[[], nn.Module], str, tuple[int, int], int]] = {
    "linear-784-64": (lambda: nn.Linear(784, 64), "weight", (784, 64), 1),
    "conv2d-16-64-k3": (lambda: nn.Conv2d(16, 64, 3), "weight", (144, 576), 1),
    "conv-transpose2d-16-64-k3": (lambda: nn.ConvTranspose2d(16, 64, 3), "weight", (144, 576), 1),
    "conv2d-32-64-k3-groups4": (lambda: nn.Conv2d(32, 64, 3, groups=4), "weight", (72, 144), 1),
    "depthwise-conv2d-32-k3": (lambda: nn.Conv2d(32, 32, 3, groups=32), "weight", (9, 9), 1),
    "mha-in-proj-e64": (lambda: nn.MultiheadAttention(64, 4), "in_proj_weight", (64, 64), 3),
    "lstm-weight-ih-h32-in16": (lambda: nn.LSTM(16, 32), "weight_ih_l0", (16, 32), 4),
}
MORE_LAYERS: dict[str, tuple[Callable[[], nn.Module], str, tuple[int, int], int]] = {
    "bilinear-10x30-20": (lambda: nn.Bilinear(10, 30, 20), "weight", (300, 20), 1),
    "conv1d-8-16-k5-groups2": (lambda: nn.Conv1d(8, 16, 5, groups=2), "weight", (20, 40), 1),
    "conv3d-4-6-k3": (lambda: nn.Conv3d(4, 6, 3), "weight", (108, 162), 1),
    "conv-transpose1d-8-12-k3-groups4":
        (lambda: nn.ConvTranspose1d(8, 12, 3, groups=4), "weight", (6, 9), 1),
    "conv-transpose3d-4-8-k2-groups2":
        (lambda: nn.ConvTranspose3d(4, 8, 2, groups=2), "weight", (16, 32), 1),
    "depthwise-conv-transpose2d-16-k3":
        (lambda: nn.ConvTranspose2d(16, 16, 3, groups=16), "weight", (9, 9), 1),
    "mha-out-proj-e64": (lambda: nn.MultiheadAttention(64, 4), "out_proj.weight", (64, 64), 1),
    "mha-separate-q": (lambda: nn.MultiheadAttention(64, 4, kdim=24, vdim=40),
                       "q_proj_weight", (64, 64), 1),
    "mha-separate-k-kdim24": (lambda: nn.MultiheadAttention(64, 4, kdim=24, vdim=40),
                              "k_proj_weight", (24, 64), 1),
    "mha-separate-v-vdim40": (lambda: nn.MultiheadAttention(64, 4, kdim=24, vdim=40),
                              "v_proj_weight", (40, 64), 1),
    "lstm-weight-hh-h32": (lambda: nn.LSTM(16, 32), "weight_hh_l0", (32, 32), 4),
    "lstm-bidirectional-layer1-ih": (lambda: nn.LSTM(16, 32, num_layers=2, bidirectional=True),
                                     "weight_ih_l1_reverse", (64, 32), 4),
    "lstm-proj8-weight-hh": (lambda: nn.LSTM(16, 32, proj_size=8), "weight_hh_l0", (8, 32), 4),
    "lstm-proj8-weight-hr": (lambda: nn.LSTM(16, 32, proj_size=8), "weight_hr_l0", (32, 8), 1),
    "gru-weight-ih": (lambda: nn.GRU(16, 32), "weight_ih_l0", (16, 32), 3),
    "gru-weight-hh": (lambda: nn.GRU(16, 32), "weight_hh_l0", (32, 32), 3),
    "rnn-weight-ih": (lambda: nn.RNN(16, 32), "weight_ih_l0", (16, 32), 1),
    "lstm-cell-weight-hh": (lambda: nn.LSTMCell(16, 32), "weight_hh", (32, 32), 4),
    "gru-cell-weight-ih": (lambda: nn.GRUCell(16, 32), "weight_ih", (16, 32), 3),
    "rnn-cell-weight-hh": (lambda: nn.RNNCell(16, 32), "weight_hh", (32, 32), 1),
}
LAYERS = {**DESIGN_TABLE, **MORE_LAYERS}


def parameter(module: nn.Module, name: str) -> torch.Tensor:
    return dict(module.named_parameters())[name]


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
    for index, block in enumerate(parameter(layer, name).chunk(blocks, dim=0)):
        assert_matches(block, expected, f"{layer_id}, block {index} of {blocks}")


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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gain": {"encoder.*": "relu"}}, "gain keys must match layers with weights"),
        ({"gain": "swish"}, "nonlinearity must be one of"),
        ({"gain": -2.0}, "gain must be a finite number >= 0"),
        ({"gain": {"0": float("nan")}}, r"gain\['0'\] must be a finite number >= 0"),
        ({"bias": "random"}, "bias must be 'zeros', 'keep' or a finite number"),
        ({"distribution": "untruncated_normal"}, "'normal' here is untruncated"),
    ],
    ids=["unmatched-gain-key", "unknown-nonlinearity", "negative-gain", "nan-layer-gain",
         "unknown-bias-policy", "keras-style-distribution"],
)
def test_bad_arguments_raise_before_any_write(kwargs: dict, message: str) -> None:
    model = nn.Sequential(nn.Linear(8, 4))
    before = model[0].weight.detach().clone()
    with pytest.raises(xc.XavierError, match=message):
        xt.init_model(model, **kwargs)
    assert torch.equal(model[0].weight, before), "got a weight written before the error"


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
    biases = [r for r in report if "bias" in r.name]
    assert len(biases) == 7, f"got {[r.name for r in biases]}, but should be 7 biases"
    for record in biases:
        param = parameter(model, record.name)
        assert record.state == state, f"got {record.state}, but should be {state}"
        assert torch.all(param == value), f"got {param}, but should all be {value} [{record.name}]"


def test_skipped_layers_are_left_as_they_are_and_say_why() -> None:
    model = nn.Sequential(nn.Embedding(10, 4), nn.LayerNorm(4), nn.BatchNorm1d(4), nn.PReLU())
    for param in model.parameters():
        param.data.fill_(7.0)
    report = xt.init_model(model)
    reasons = {r.name: r.reason for r in report}
    states = {r.name: r.state for r in report}
    assert states.pop("3.weight") == "unhandled", f"got {report['3.weight']}"
    assert set(states.values()) == {"kept"}, f"got {states}"
    assert "pass embeddings=True" in reasons["0.weight"]
    assert reasons["1.weight"] == reasons["2.bias"] == "normalization layer"
    assert reasons["3.weight"] == "no rule for PReLU"
    assert all(torch.all(p == 7.0) for p in model.parameters()), "got a skipped parameter changed"


def test_reset_skipped_gives_torchs_defaults_to_everything_else() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.LayerNorm(4), nn.BatchNorm1d(4))
    for tensor in (*model.parameters(), *model.buffers()):
        tensor.data.fill_(7)
    report = xt.init_model(model, reset_skipped=True)
    norm, batch = model[1], model[2]
    assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0), "LayerNorm not reset"
    assert torch.all(batch.running_var == 1) and batch.num_batches_tracked == 0, \
        "BatchNorm buffers not reset"
    assert report["1.weight"].state == "reset"
    assert (report["1.weight"].reason, report["1.weight"].note) == (
        "normalization layer", "torch default (reset_parameters)")


def test_reset_skipped_says_what_it_could_not_reset() -> None:
    class Scaled(nn.Module):  # a parameter no rule knows, and no reset_parameters()
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.full((4,), 7.0))

    model = nn.Sequential(nn.Linear(8, 4), Scaled())
    record = xt.init_model(model, reset_skipped=True)["1.scale"]
    assert (record.state, record.reason, record.note) == (
        "unhandled", "no rule for Scaled", "no reset_parameters(), left as is"), f"got {record}"
    assert torch.all(model[1].scale == 7.0), "got a parameter with no rule changed"


def test_embeddings_when_asked() -> None:
    table = nn.Embedding(1000, 64, padding_idx=0)
    report = xt.init_model(table, embeddings=True, generator=torch.Generator().manual_seed(4))
    assert report["weight"].fans == xc.Fans(1000, 64)
    assert torch.all(table.weight[0] == 0), "got a padding row that is not zero"
    assert_matches(table.weight[1:], report["weight"].distribution, "embedding rows 1..999")


def test_tied_weights_are_drawn_once() -> None:
    embedding, head = nn.Embedding(50, 16), nn.Linear(16, 50, bias=False)
    head.weight = embedding.weight
    report = xt.init_model(nn.Sequential(embedding, head), embeddings=True)
    assert [r.state for r in report] == ["drawn", "kept"]
    assert (report["1.weight"].reason, report["1.weight"].note) == ("shared", "with 0.weight")


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
    model = nn.Sequential(nn.Linear(512, 256), nn.Conv1d(8, 16, 3)).to(dtype)
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


def test_report_prints_as_a_table() -> None:
    model = nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.LayerNorm(30))
    report = xt.init_model(model, gain={"0": "relu"})
    lines = str(report).splitlines()
    assert lines[0] == "4 tensors: 1 drawn, 1 zeroed, 2 kept (normalization layer 2), 0 unhandled"
    assert lines[1].split()[:3] == ["parameter", "layer", "shape"], f"got header {lines[1]}"
    assert len(lines) == 3 + 4, f"got {len(lines)} lines, but should be a summary, a header, a " \
        "rule and 4 rows"
    assert "depthwise (groups=32); gain 1.414" in lines[3], f"got row {lines[3]}"
    assert [r.name for r in report.by_state("kept")] == ["1.weight", "1.bias"]
