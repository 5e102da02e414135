"""The model-level contract shared by every adapter: the record's states and summary, the rule
registry and the glob tables of ``layouts=`` and ``gain=``."""

from __future__ import annotations

import warnings

import pytest

import xavier_core as xc
from xavier_core import rules


def _record(name: str, state: str, reason: str = "", note: str = "") -> xc.InitRecord:
    return xc.InitRecord(name, "Layer", (4, 4), state, reason=reason, note=note)  # type: ignore[arg-type]


def test_summary_counts_by_state_then_reason() -> None:
    report = xc.InitReport([
        _record("a.weight", "drawn"), _record("a.bias", "zeroed"),
        _record("n.weight", "kept", "normalization layer"),
        _record("n.bias", "kept", "normalization layer"), _record("t", "kept", "buffer"),
        _record("p", "unhandled", "no rule for Scaled"),
    ])
    assert report.summary() == ("6 tensors: 1 drawn, 1 zeroed, 3 kept (normalization layer 2, "
                                "buffer 1), 1 unhandled (no rule for Scaled 1)")


def test_summary_says_zero_unhandled_when_all_is_handled() -> None:
    report = xc.InitReport([_record("a.weight", "drawn")])
    assert report.summary() == "1 tensors: 1 drawn, 0 unhandled"


def test_written_is_true_only_for_states_that_write() -> None:
    written = {state: _record("x", state).written for state in xc.STATES}
    assert written == {"drawn": True, "zeroed": True, "filled": True, "reset": True,
                       "kept": False, "unhandled": False}


def test_long_tables_collapse_but_keep_every_unhandled_row() -> None:
    records = [_record(f"layer{i}.weight", "drawn") for i in range(100)]
    records.insert(70, _record("odd.scale", "unhandled", "no rule for Odd"))
    report = xc.InitReport(records)
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == report.summary()
    assert "odd.scale" in text, "an unhandled row was hidden"
    assert len(lines) == 1 + 2 + xc.record.ROWS_SHOWN + 1, f"got {len(lines)} lines"
    assert lines[-1] == "... 61 more rows: print(report.table(full=True)) shows every row"
    assert len(report.table(full=True).splitlines()) == 2 + 101


def test_by_state_refuses_an_unknown_state() -> None:
    with pytest.raises(xc.XavierError, match=r"state must be one of drawn, .*got state='skipped'"):
        xc.InitReport().by_state("skipped")  # type: ignore[arg-type]


def test_warning_lists_each_unhandled_tensor_and_what_to_do() -> None:
    report = xc.InitReport([_record("a.weight", "drawn"),
                            _record("m.token", "unhandled", "no rule for Odd", "a raw Parameter")])
    with pytest.warns(xc.UnhandledWarning) as caught:
        report.warn_unhandled("register a rule: xt.RULES.register(Odd, ...)")
    message = str(caught[0].message)
    assert "m.token (Layer, shape (4, 4)): no rule for Odd; a raw Parameter" in message
    assert message.endswith("register a rule: xt.RULES.register(Odd, ...)")


def test_no_warning_when_everything_is_handled() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xc.InitReport([_record("a.weight", "drawn")]).warn_unhandled("unused")


def test_fractional_fans_print_without_trailing_zeros() -> None:
    record = xc.InitRecord("w", "Conv2d", (7, 4, 3), "drawn", xc.Fans(12, 10.5))
    assert record.row()[4] == "(12, 10.5)"


class Base:
    pass


class Child(Base):
    pass


def test_registry_walks_the_class_hierarchy_child_first() -> None:
    registry = xc.RuleRegistry("test")
    registry.register(Base, lambda layer: {"w": rules.Keep("base")})
    assert registry.rule_for(Child())(Child()) == {"w": rules.Keep("base")}
    registry.register(Child, lambda layer: {"w": rules.Keep("child")})
    assert registry.rule_for(Child())(Child()) == {"w": rules.Keep("child")}
    assert registry.rule_for(object()) is None


def test_registry_finds_classes_by_bare_or_qualified_name() -> None:
    registry = xc.RuleRegistry("test")
    registry.register("Child", lambda layer: {})
    assert registry.rule_for(Child()) is not None
    registry = xc.RuleRegistry("test")
    registry.register(f"{__name__}.Base", lambda layer: {})
    assert registry.rule_for(Child()) is not None, "a qualified base name should match"
    assert registry.rule_for(3) is None


def test_registry_register_works_as_a_decorator() -> None:
    registry = xc.RuleRegistry("test")

    @registry.register(Base)
    def rule(layer: object) -> dict[str, rules.Plan]:
        return {}

    assert rule(Base()) == {} and Base in registry and len(registry) == 1


@pytest.mark.parametrize(("layer", "rule", "match"), [
    (3, lambda m: {}, "layer must be a class or a class name, got layer=3"),
    ("", lambda m: {}, "layer must be a class or a class name, got layer=''"),
    (Base, "not callable", "rule must be a callable"),
], ids=["int-layer", "empty-name", "uncallable-rule"])
def test_registry_refuses_bad_entries(layer: object, rule: object, match: str) -> None:
    with pytest.raises(xc.XavierError, match=match):
        xc.RuleRegistry("test").register(layer, rule)  # type: ignore[arg-type]


def test_glob_table_first_matching_key_wins() -> None:
    table = rules.layout_table({"*.qkv.weight": xc.TORCH.with_(blocks=3), "*": xc.TORCH})
    assert table.lookup("blocks.0.qkv.weight") == xc.TORCH.with_(blocks=3)
    assert table.lookup("head.weight") == xc.TORCH
    table.check_all_used(["blocks.0.qkv.weight", "head.weight"])


def test_glob_table_names_a_key_that_matches_nothing() -> None:
    table = rules.layout_table({"*.qvk.weight": xc.TORCH})
    table.lookup("blocks.0.qkv.weight")
    with pytest.raises(xc.XavierError, match=r"layouts keys must each match a path, got "
                                              r"'\*\.qvk\.weight' matches nothing; the paths are: "
                                              r"'blocks\.0\.qkv\.weight'"):
        table.check_all_used(["blocks.0.qkv.weight"])


def test_glob_table_names_a_key_shadowed_by_an_earlier_one() -> None:
    table = xc.GlobTable({"*": 1.0, "0": 2.0}, "gain", lambda label, value: value)
    for name in ("0", "2"):
        table.lookup(name)
    with pytest.raises(xc.XavierError, match="'0' matches '0' but the earlier key '\\*' wins"):
        table.check_all_used(["0", "2"])


@pytest.mark.parametrize(("mapping", "match"), [
    ([("*", xc.TORCH)], "layouts must be a mapping from path globs"),
    ({3: xc.TORCH}, "layouts key must be a string: a path or an fnmatch glob, got layouts key=3"),
    ({"*": "torch"}, r"layouts\['\*'\] must be a xavier_core.Layout.*got layouts\['\*'\]='torch'"),
], ids=["list", "int-key", "string-layout"])
def test_layout_table_refuses_bad_input(mapping: object, match: str) -> None:
    with pytest.raises(xc.XavierError, match=match):
        rules.layout_table(mapping)  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "layer", "expected"), [
    ("blocks.3.attn.qkv.weight", "qkv", "{'blocks.*.attn.qkv.weight': xc.TORCH.with_(blocks=3)}"),
    ("model.layers.0.mlp.gate_up_proj.weight", "gate_up_proj",
     "{'model.layers.*.mlp.gate_up_proj.weight': xc.TORCH.with_(blocks=2)}"),
    ("h/layers_11/c_attn/kernel", "c_attn",
     "{'h/layers_*/c_attn/kernel': xc.TORCH.with_(blocks=3)}"),
], ids=["timm-qkv", "phi3-gate-up", "flax-numbered"])
def test_packed_hint_gives_the_layouts_entry(path: str, layer: str, expected: str) -> None:
    hint = rules.packed_hint(path, layer, "xc.TORCH")
    assert hint.endswith(f"pass layouts={expected}"), f"got {hint!r}"


def test_packed_hint_is_empty_for_ordinary_names() -> None:
    assert rules.packed_hint("blocks.0.mlp.fc1.weight", "fc1", "xc.TORCH") == ""


def test_registry_finds_a_rule_by_class_or_by_name_alone() -> None:
    class Base:
        pass

    class Child(Base):
        pass

    registry = rules.RuleRegistry("test", {Base: lambda layer: {}, "Named": lambda layer: {}})
    assert registry.rule_for_class(Child) is registry.rule_for(Base())
    assert registry.rule_for_name("Base") is registry.rule_for(Base()), \
        "got no rule for the bare name of a registered class"
    assert registry.rule_for_name("Named") is not None
    assert registry.rule_for_name("Child") is None, "got a rule for a name nobody registered"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [(xc.TORCH, "xc.TORCH"), (xc.CHANNELS_LAST.with_(blocks=3), "xc.CHANNELS_LAST.with_(blocks=3)"),
     (xc.TORCH_TRANSPOSED.with_(strides=(2, 2)), "xc.TORCH_TRANSPOSED.with_(strides=(2, 2))"),
     (xc.TORCH.stacked(1), "xc.TORCH.with_(in_axis=2, out_axis=1, batch_axis=(0,))")],
    ids=["named", "with-blocks", "transposed-strides", "stacked"])
def test_layout_source_is_an_expression_that_rebuilds_the_layout(layout: xc.Layout,
                                                                 expected: str) -> None:
    source = rules.layout_source(layout)
    assert source == expected, f"got {source!r}, but should be {expected!r}"
    assert eval(source, {"xc": xc}) == layout, f"got {source!r}, which does not rebuild {layout}"
