"""The report's exact text (rows, tables, warning) and the rule registry's and glob tables' edges:
what every adapter prints and what a user reads, pinned character for character."""

from __future__ import annotations

import inspect
import os
import warnings

import pytest

import xavier_core as xc
from xavier_core import record, rules


def _drawn(distribution: xc.Distribution) -> xc.InitRecord:
    return xc.InitRecord("0.weight", "Linear", (8, 16), "drawn", xc.Fans(16, 8), distribution,
                         "", "gain 1")


@pytest.mark.parametrize(
    ("entry", "cells"),
    [
        (_drawn(xc.Uniform(0.5)),
         ("0.weight", "Linear", "(8, 16)", "drawn", "(16, 8)", "uniform", "bound 0.5", "gain 1")),
        (_drawn(xc.Normal(0.25)),
         ("0.weight", "Linear", "(8, 16)", "drawn", "(16, 8)", "normal", "std 0.25", "gain 1")),
        (_drawn(xc.TruncatedNormal(0.25)),
         ("0.weight", "Linear", "(8, 16)", "drawn", "(16, 8)", "truncated_normal",
          "std 0.25, |w|<=0.5684", "gain 1")),
        (xc.InitRecord("0.bias", "Linear", (8,), "kept", reason="bias='keep'", note="by request"),
         ("0.bias", "Linear", "(8,)", "kept", "", "", "", "bias='keep'; by request")),
    ],
    ids=["uniform", "normal", "truncated_normal", "kept"],
)
def test_record_row_cells(entry: xc.InitRecord, cells: tuple[str, ...]) -> None:
    assert entry.row() == cells, f"got {entry.row()}, but should be {cells}"


def test_table_text_is_aligned_columns_under_a_rule() -> None:
    report = xc.InitReport([_drawn(xc.Uniform(0.5)),
                            xc.InitRecord("0.bias", "Linear", (8,), "zeroed")])
    expected = "\n".join([
        "parameter  layer   shape    state   fans (in, out)  distribution  spread     reason",
        "---------  ------  -------  ------  --------------  ------------  ---------  ------",
        "0.weight   Linear  (8, 16)  drawn   (16, 8)         uniform       bound 0.5  gain 1",
        "0.bias     Linear  (8,)     zeroed",
    ])
    assert report.table() == expected, f"got\n{report.table()}\nbut should be\n{expected}"
    assert str(report) == f"{report.summary()}\n{expected}"


def test_render_table_refuses_rows_of_another_width() -> None:
    with pytest.raises(ValueError, match="zip"):
        record.render_table(("a", "b"), [("1", "2", "3")])


@pytest.mark.parametrize(("rows", "collapsed"), [(record.ROWS_SHOWN, False),
                                                 (record.ROWS_SHOWN + 1, True)],
                         ids=["at-the-limit", "one-past"])
def test_tables_collapse_only_past_the_limit(rows: int, collapsed: bool) -> None:
    report = xc.InitReport(xc.InitRecord(f"w{i}", "L", (2, 2), "drawn") for i in range(rows))
    lines = report.table().splitlines()
    assert len(lines) == 2 + (record.ROWS_SHOWN if collapsed else rows) + collapsed
    assert lines[-1].startswith("... 1 more rows") == collapsed


def test_a_table_of_only_unhandled_rows_shows_them_all() -> None:
    many = record.ROWS_SHOWN + 5
    report = xc.InitReport([xc.InitRecord("w", "L", (2, 2), "drawn"),
                            *(xc.InitRecord(f"u{i}", "L", (2,), "unhandled") for i in range(many))])
    lines = report.table().splitlines()
    assert len(lines) == 2 + many + 1, f"got {len(lines)} lines"
    assert lines[-1].startswith("... 1 more rows"), lines[-1]


def test_report_lookup_by_name_index_and_slice() -> None:
    first, second = (xc.InitRecord(n, "L", (2,), "kept") for n in ("a", "b"))
    report = xc.InitReport([first, second])
    assert report["b"] is second and report[0] is first and report[1:] == (second,)
    with pytest.raises(KeyError, match="no parameter named 'c' in this report"):
        report["c"]


def test_unhandled_message_text() -> None:
    report = xc.InitReport([
        xc.InitRecord("a", "L", (2,), "drawn"),
        xc.InitRecord("m.x", "Odd", (3,), "unhandled", reason="no rule for Odd"),
        xc.InitRecord("m.y", "Odd", (4, 4), "unhandled", note="a raw Parameter"),
    ])
    expected = ("2 tensor(s) left as they were, no rule knows them:\n"
                "  m.x (Odd, shape (3,)): no rule for Odd\n"
                "  m.y (Odd, shape (4, 4)): a raw Parameter\n"
                "register a rule")
    assert report.unhandled_message("register a rule") == expected
    assert xc.InitReport([report[0]]).unhandled_message("register a rule") == ""


def _an_init_model(report: xc.InitReport) -> None:
    report.warn_unhandled("what to do")  # as an adapter's entry point does


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                    reason="mutmut's trampolines add stack frames (tests/mutation.py)")
def test_the_warning_points_at_the_callers_line() -> None:
    report = xc.InitReport([xc.InitRecord("m.x", "Odd", (3,), "unhandled")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        _an_init_model(report)
    assert caught[0].filename == __file__ and caught[0].lineno == line, (
        f"got the warning at {caught[0].filename}:{caught[0].lineno}, but it should name the "
        f"caller of the entry point ({__file__}:{line})")


def _rule(layer: object) -> dict[str, rules.Plan]:
    return {}


class Dense:
    pass


def test_registry_built_from_a_mapping_and_its_repr() -> None:
    registry = rules.RuleRegistry("torch", {Dense: _rule, "Conv1D": _rule})
    assert repr(registry) == "RuleRegistry('torch', 2 rules: Dense, Conv1D)"
    assert list(registry) == [Dense, "Conv1D"] and len(registry) == 2
    assert registry.rule_for(Dense()) is _rule and registry.framework == "torch"


def test_unregister_removes_and_tolerates_a_missing_key() -> None:
    registry = rules.RuleRegistry("keras", {Dense: _rule})
    registry.unregister(Dense)
    registry.unregister(Dense)
    assert Dense not in registry and registry.rule_for(Dense()) is None


def test_registry_error_echoes_the_refused_rule() -> None:
    with pytest.raises(xc.XavierError, match=r"rule must be a callable: layer -> \{parameter: "
                                             r"plan\}, got rule=42"):
        rules.RuleRegistry("jax").register(Dense, 42)  # type: ignore[arg-type]


def test_glob_table_of_none_is_empty_and_false() -> None:
    table = rules.GlobTable(None, "layouts", rules.check_layout)
    assert not table and table.lookup("anything") is None
    table.check_all_used(["a.weight"])
    assert rules.GlobTable({"*": xc.TORCH}, "layouts", rules.check_layout)


def test_glob_table_error_echoes_a_non_mapping() -> None:
    with pytest.raises(xc.XavierError, match=r"layouts must be a mapping from path globs "
                                             r"\(fnmatch\) to values, got layouts=\[1\]"):
        rules.GlobTable([1], "layouts", rules.check_layout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("paths", "shown"),
    [([], "none"),
     ([f"p{i}" for i in range(6)], "'p0', 'p1', 'p2', 'p3', 'p4', 'p5'"),
     ([f"p{i}" for i in range(7)], "'p0', 'p1', 'p2', 'p3', 'p4', 'p5', ...")],
    ids=["no-paths", "six-paths", "seven-paths"],
)
def test_unused_key_message_lists_at_most_six_paths(paths: list[str], shown: str) -> None:
    table = rules.GlobTable({"x*": xc.TORCH, "q": xc.TORCH}, "layouts", rules.check_layout)
    with pytest.raises(xc.XavierError) as error:
        table.check_all_used(paths)
    expected = ("layouts keys must each match a path, got 'x*' matches nothing; 'q' matches "
                f"nothing; the paths are: {shown}")
    assert str(error.value) == expected, f"got {error.value}, but should be {expected}"


def test_shadowed_key_message_says_to_put_the_specific_key_first() -> None:
    table = rules.GlobTable({"*.weight": xc.TORCH, "a.weight": xc.TORCH}, "layouts",
                            rules.check_layout)
    table.lookup("a.weight")
    with pytest.raises(xc.XavierError) as error:
        table.check_all_used(["a.weight"])
    assert str(error.value) == (
        "layouts keys must each match a path, got 'a.weight' matches 'a.weight' but the earlier "
        "key '*.weight' wins there (the first matching key wins: put the more specific key "
        "first); the paths are: 'a.weight'")


@pytest.mark.parametrize("plan", [rules.Weight(xc.TORCH), rules.Bias(), rules.Keep("norm")],
                         ids=["weight", "bias", "keep"])
def test_check_plan_passes_plans_through(plan: rules.Plan) -> None:
    assert rules.check_plan("rule of Dense", plan) is plan


def test_check_plan_names_the_label_and_echoes_the_value() -> None:
    with pytest.raises(xc.XavierError) as error:
        rules.check_plan("rule of Dense['kernel']", "weight")
    assert str(error.value) == ("rule of Dense['kernel'] must be a xavier_core.rules Weight, Bias "
                                "or Keep, got rule of Dense['kernel']='weight'")


@pytest.mark.parametrize(("hint", "message"),
                         [("", "gain must be >= 0, got gain=-1"),
                          ("try 1.0", "gain must be >= 0, got gain=-1; try 1.0")],
                         ids=["no-hint", "hint"])
def test_bad_argument_message(hint: str, message: str) -> None:
    error = xc.errors.bad_argument("gain", -1, ">= 0", hint) if hint else \
        xc.errors.bad_argument("gain", -1, ">= 0")
    assert isinstance(error, xc.XavierError) and str(error) == message


# Survivors of mutation testing (tests/mutation.py core).


def test_unhandled_records_listed_first_still_leave_room_for_the_others() -> None:
    unhandled = [xc.InitRecord(f"u{i}", "L", (2,), "unhandled") for i in range(5)]
    drawn = [xc.InitRecord(f"w{i}", "L", (2, 2), "drawn") for i in range(45)]
    lines = xc.InitReport([*unhandled, *drawn]).table().splitlines()
    assert len(lines) == 2 + record.ROWS_SHOWN + 1, (
        f"got {len(lines)} lines, but should be header, rule, {record.ROWS_SHOWN} rows and a "
        f"'more rows' line: 5 unhandled and the first 35 others")
    assert lines[-2].startswith("w34 ") and lines[-1].startswith("... 10 more rows"), lines[-2:]


@pytest.mark.parametrize("rows", [("1",), ("1", "2", "3")], ids=["short-row", "long-row"])
def test_a_row_of_another_width_than_the_header_is_refused(rows: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="zip"):
        xc.render_table(("a", "b"), [rows])
