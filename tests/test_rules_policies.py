"""The keyword policies every model-level init shares: ``gain=`` (number, name or layer-path
globs), ``bias=`` ("zeros" | "keep" | a constant) and the embedding-table plan."""

from __future__ import annotations

import pytest

import xavier_core as xc
from xavier_core import rules


def test_one_gain_applies_to_every_layer() -> None:
    table = rules.GainTable("relu")
    assert table.lookup("anything") == xc.calculate_gain("relu")
    table.check_all_used([])  # a single gain has no keys to check


def test_a_gain_mapping_takes_the_first_matching_key_and_1_elsewhere() -> None:
    table = rules.GainTable({"enc/block_0*": 2.0, "enc/*": "tanh"})
    assert table.lookup("enc/block_0/dense") == 2.0, "the first matching key wins"
    assert table.lookup("enc/block_1/dense") == pytest.approx(5 / 3)
    assert table.lookup("head") == 1.0, "a layer no key matches gets gain 1"
    table.check_all_used(["enc/block_0/dense", "enc/block_1/dense", "head"])


def test_a_gain_key_that_matches_no_layer_is_an_error() -> None:
    table = rules.GainTable({"decoder/*": 2.0})
    table.lookup("encoder/dense")
    with pytest.raises(xc.XavierError, match=r"gain keys must each match a path.*'decoder/\*'"):
        table.check_all_used(["encoder/dense"])


@pytest.mark.parametrize(
    ("gain", "message"),
    [
        pytest.param(-1.0, "gain must be a finite number >= 0 or a nonlinearity name (linear",
                     id="negative"),
        pytest.param(True, "gain must be a finite number >= 0", id="bool"),
        pytest.param("swish", "gain must be a nonlinearity name", id="unknown-name"),
        pytest.param({"a": float("nan")}, "gain['a'] must be a finite number >= 0", id="nan-value"),
        pytest.param({1: 2.0}, "gain key must be a string", id="int-key"),
    ],
)
def test_bad_gains_name_the_argument(gain: object, message: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        rules.GainTable(gain)  # type: ignore[arg-type]
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        pytest.param("keep", ("kept", None, "bias='keep'"), id="keep"),
        pytest.param("zeros", ("zeroed", 0.0, ""), id="zeros"),
        pytest.param(0.1, ("filled", 0.1, "constant 0.1"), id="constant"),
        pytest.param(2, ("filled", 2.0, "constant 2"), id="int-constant"),
    ],
)
def test_bias_policies(policy: object, outcome: tuple) -> None:
    checked = rules.check_bias_policy(policy)
    assert rules.bias_outcome(checked) == outcome, (
        f"got {rules.bias_outcome(checked)}, but should be {outcome} [bias={policy!r}]")


@pytest.mark.parametrize("policy", ["zero", float("inf"), True, None],
                         ids=["typo", "infinite", "bool", "none"])
def test_bad_bias_policies_name_the_argument(policy: object) -> None:
    with pytest.raises(xc.XavierError, match=r"bias must be 'zeros', 'keep' or a finite number"):
        rules.check_bias_policy(policy)


def test_an_embedding_weight_is_a_weight_and_a_plan() -> None:
    plan = rules.EmbeddingWeight(xc.CHANNELS_LAST, "table")
    assert isinstance(plan, rules.Weight) and rules.check_plan("plan", plan) is plan


# Survivors of mutation testing (tests/mutation.py core): whole messages and edges.


@pytest.mark.parametrize(("value", "message"), [
    ("gelu", "gain must be a nonlinearity name ({names}) or a finite number >= 0, "
             "got gain='gelu'"),
    (-0.5, "gain must be a finite number >= 0 or a nonlinearity name ({names}), got gain=-0.5"),
    (True, "gain must be a finite number >= 0 or a nonlinearity name ({names}), got gain=True"),
], ids=["unknown-name", "negative", "bool"])
def test_a_bad_gain_gets_the_whole_message(value: object, message: str) -> None:
    from xavier_core.gain import NONLINEARITIES

    expected = message.format(names=", ".join(NONLINEARITIES))
    with pytest.raises(xc.XavierError) as caught:
        rules.check_one_gain("gain", value)
    assert str(caught.value) == expected


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0, 3])
def test_gains_from_zero_up_are_allowed(value: float) -> None:
    got = rules.check_one_gain("gain", value)
    assert got == value and type(got) is float


def test_a_bad_bias_policy_gets_the_whole_message() -> None:
    with pytest.raises(xc.XavierError) as caught:
        rules.check_bias_policy("zero")
    assert str(caught.value) == ("bias must be 'zeros', 'keep' or a finite number (a constant "
                                 "fill), got bias='zero'")


@pytest.mark.parametrize(("layer", "blocks"), [("qkv", 3), ("attn_qkv", 3), ("self_c_attn", 3),
                                               ("xqkv", None), ("gate_up", 2)])
def test_packed_names_match_whole_or_after_an_underscore(layer: str, blocks: int | None) -> None:
    hint = rules.packed_hint(f"model.{layer}.weight", layer, "xc.TORCH")
    if blocks is None:
        assert hint == "", f"got {hint!r} for {layer!r}, which is not a packed name"
    else:
        assert f"xc.TORCH.with_(blocks={blocks})" in hint, f"got {hint!r} for {layer!r}"
