"""xavier_core.diagnostics: the framework-free records, statistics and table."""

from __future__ import annotations

import math

import numpy as np
import pytest

import xavier_core as xc
from xavier_core import diagnostics as dg


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Tanh", "tanh"), ("soft_sign", "softsign"), ("Softsign", "softsign"),
     ("logistic", "sigmoid"), ("Sigmoid", "sigmoid"), ("linear", "none"), (None, "none"),
     ("ReLU", "relu")],
    ids=["torch-tanh", "jax-soft-sign", "torch-softsign", "logistic", "torch-sigmoid",
         "keras-linear", "none", "torch-relu"],
)
def test_activation_names_are_canonical(given: str | None, expected: str) -> None:
    got = dg.activation_name(given)
    assert got == expected, f"got {got!r}, but should be {expected!r} [{given!r}]"


@pytest.mark.parametrize(
    ("activation", "values", "expected"),
    [("tanh", [0.0, 0.98, -0.99, 0.999, -1.0], 0.6),
     ("softsign", [0.5, -0.995], 0.5),
     ("sigmoid", [0.5, 0.004, 0.006, 0.996, 0.99], 0.4)],
    ids=["tanh", "softsign", "sigmoid"],
)
def test_saturation_is_within_one_percent_of_an_asymptote(activation: str, values: list[float],
                                                          expected: float) -> None:
    got = dg.saturated_fraction(values, activation)
    assert got == pytest.approx(expected), f"got {got}, but should be {expected} [{activation}]"


@pytest.mark.parametrize("activation", ["relu", "none", "gelu"])
def test_non_saturating_activations_have_no_saturated_fraction(activation: str) -> None:
    assert dg.saturated_fraction([0.0, 100.0], activation) is None


def test_saturation_level_is_where_the_slope_is_two_percent_of_its_maximum() -> None:
    # tanh' = 1 - h^2 (max 1); sigmoid' = h (1 - h) (max 1/4), at the saturation thresholds.
    level = dg.SATURATION_LEVEL
    tanh_slope = 1.0 - level**2
    h = 0.5 + 0.5 * level
    sigmoid_slope = h * (1.0 - h) / 0.25
    assert tanh_slope == pytest.approx(sigmoid_slope) == pytest.approx(0.0199)


def test_bad_saturation_level_is_refused() -> None:
    with pytest.raises(xc.XavierError, match=r"level must be a number in \(0, 1\), got level=1.5"):
        dg.saturated_fraction([0.0], "tanh", level=1.5)


def _record(name: str = "0", backprop_scale: float = 1.0, seed: int = 0) -> dg.LayerRecord:
    rng = np.random.default_rng(seed)
    return dg.summarize(name, "Linear", (20, 10), "tanh",
                        activations=np.tanh(rng.normal(0.0, 1.0, (64, 20))),
                        backprop=rng.normal(0.0, backprop_scale, (64, 20)),
                        weight_gradient=rng.normal(0.0, 2.0, (20, 10)))


def test_summary_statistics_are_numpy_s_over_every_entry() -> None:
    rng = np.random.default_rng(1)
    h, g, dw = rng.normal(0.3, 0.5, (32, 8)), rng.normal(0, 3, (32, 8)), rng.normal(0, 2, (8, 4))
    record = dg.summarize("dense", "Dense", (8, 4), "Tanh", activations=h, backprop=g,
                          weight_gradient=dw)
    assert record.activation == "tanh"
    assert record.activation_mean == pytest.approx(h.mean(), rel=1e-12)
    assert record.activation_std == pytest.approx(h.std(), rel=1e-12)
    assert record.backprop_variance == pytest.approx(g.var(), rel=1e-12)
    assert record.weight_gradient_variance == pytest.approx(dw.var(), rel=1e-12)
    assert record.saturated_fraction == pytest.approx(np.mean(np.abs(h) >= 0.99))
    np.testing.assert_array_equal(record.activation_sample, h.ravel().astype(np.float32))


def test_records_keep_a_bounded_deterministic_sample() -> None:
    values = np.arange(1000, dtype=np.float64)
    kept = dg.keep_values(values, max_values=100)
    assert kept.shape == (100,) and kept.dtype == np.float32
    assert len(np.unique(kept)) == 100, "got repeated values, but should draw without replacement"
    np.testing.assert_array_equal(kept, dg.keep_values(values, max_values=100))


def test_empty_values_are_refused() -> None:
    with pytest.raises(xc.XavierError, match="backprop must be a non-empty array"):
        dg.summarize("0", "Linear", (2, 2), "tanh", activations=[1.0], backprop=[],
                     weight_gradient=[1.0])


def test_ratio_is_first_over_last_hidden_layer_and_ignores_the_output_layer() -> None:
    report = dg.LayerReport([_record("a", 1.0), _record("b", 3.0), _record("c", 2.0),
                             _record("out", 100.0)])
    expected = report["a"].backprop_variance / report["c"].backprop_variance
    assert report.backprop_variance_ratio() == pytest.approx(expected)
    assert [r.name for r in report.hidden] == ["a", "b", "c"]


def test_ratio_needs_two_hidden_layers() -> None:
    with pytest.raises(xc.XavierError, match="at least two hidden layers"):
        dg.LayerReport([_record("a"), _record("out")]).backprop_variance_ratio()


def test_ratio_of_a_dead_last_layer_is_infinite() -> None:
    dead = dg.summarize("z", "Linear", (2, 2), "tanh", activations=[0.0], backprop=[0.0, 0.0],
                        weight_gradient=[0.0])
    assert dg.LayerReport([_record("a"), dead, _record("out")]).backprop_variance_ratio() == \
        math.inf


def test_report_finds_layers_by_name() -> None:
    report = dg.LayerReport([_record("encoder.0"), _record("head")])
    assert report["head"].name == "head"
    assert report[0].name == "encoder.0"
    with pytest.raises(KeyError, match="no layer named 'decoder'"):
        report["decoder"]


def test_report_prints_a_table_with_one_row_per_layer() -> None:
    report = dg.LayerReport([_record("0"), _record("2")])
    lines = str(report).splitlines()
    assert lines[0].split() == ["layer", "type", "weight", "shape", "activation", "act", "mean",
                                "act", "std", "saturated", "Var[dC/ds]", "Var[dC/dW]"]
    assert len(lines) == 4, f"got {len(lines)} lines, but should be header, rule and 2 rows"
    assert lines[2].startswith("0 ") and "(20, 10)" in lines[2] and "tanh" in lines[2]


def test_records_compare_by_their_statistics_not_their_samples() -> None:
    assert _record("a", seed=3) == _record("a", seed=3)
    assert _record("a", seed=3) != _record("a", seed=4)


# Survivors of mutation testing (tests/mutation.py core): the exact edges and cells.


@pytest.mark.parametrize("level", [1e-9, 0.999999], ids=["just-above-0", "just-below-1"])
def test_saturation_levels_inside_the_open_interval_are_accepted(level: float) -> None:
    assert dg.saturated_fraction([0.0, 0.9999999], "tanh", level=level) == 0.5


@pytest.mark.parametrize("level", [0.0, 1.0], ids=["0", "1"])
def test_saturation_levels_at_the_ends_are_refused(level: float) -> None:
    with pytest.raises(xc.XavierError, match=f"level must be a number in \\(0, 1\\), got "
                                             f"level={level}"):
        dg.saturated_fraction([0.0], "tanh", level=level)


def test_sigmoid_saturation_is_measured_from_its_centre_one_half() -> None:
    # sigmoid's asymptotes 0 and 1: centre 0.5, half-range 0.5; 0.996 and 0.004 saturate.
    assert dg.saturated_fraction([0.5, 0.996, 0.004, 0.6], "sigmoid") == 0.5


def test_saturation_reads_integer_values_as_floats() -> None:
    assert dg.saturated_fraction(np.array([1, 0, 0, -1]), "tanh") == 0.5


def test_summary_keeps_the_layer_type_and_both_samples() -> None:
    h, g = np.linspace(-0.5, 0.5, 30), np.linspace(-2.0, 2.0, 30)
    record = dg.summarize("dense", "Dense", (6, 5), "tanh", activations=h, backprop=g,
                          weight_gradient=np.ones(30), max_values=10)
    assert record.layer == "Dense"
    assert record.activation_sample.size == record.backprop_sample.size == 10
    assert set(record.activation_sample) <= set(h.astype(np.float32))
    assert set(record.backprop_sample) <= set(g.astype(np.float32))
    np.testing.assert_array_equal(record.backprop_sample, dg.keep_values(g, 10))
    np.testing.assert_array_equal(record.activation_sample, dg.keep_values(h, 10))


def test_kept_values_are_all_of_them_up_to_the_limit_and_distinct_beyond() -> None:
    values = np.arange(100, dtype=np.float32)
    np.testing.assert_array_equal(dg.keep_values(values, max_values=100), values)
    kept = dg.keep_values(values, max_values=99)
    assert kept.size == 99 and np.unique(kept).size == 99, "drawn without replacement"
    assert np.all(np.diff(kept) > 0), "kept in their original order"
    np.testing.assert_array_equal(kept, dg.keep_values(values, max_values=99, seed=0))
    assert not np.array_equal(dg.keep_values(np.arange(1000), 10),
                              dg.keep_values(np.arange(1000), 10, seed=1)), "seed 0 by default"


def test_a_row_shows_the_saturated_share_or_nothing() -> None:
    tanh = _record("t")
    assert tanh.row()[6] == f"{tanh.saturated_fraction:.1%}" and tanh.row()[6].endswith("%")
    relu = dg.summarize("r", "Linear", (2, 2), "relu", activations=[1.0, 2.0],
                        backprop=[1.0], weight_gradient=[1.0])
    assert relu.saturated_fraction is None and relu.row()[6] == ""


@pytest.mark.parametrize(("first", "expected"), [(0.0, "nan"), (0.5, "inf"), (2.0, "inf")])
def test_ratio_over_a_dead_last_layer(first: float, expected: str) -> None:
    # first / 0: inf when the first hidden layer has gradients, nan when it has none either.
    head = dg.summarize("a", "Linear", (2, 2), "tanh", activations=[0.0],
                        backprop=[-first, first], weight_gradient=[1.0])
    dead = dg.summarize("z", "Linear", (2, 2), "tanh", activations=[0.0], backprop=[0.0, 0.0],
                        weight_gradient=[1.0])
    ratio = dg.LayerReport([head, dead, _record("out")]).backprop_variance_ratio()
    assert str(ratio) == expected, f"got {ratio}, but should be {expected} (first Var {first**2})"


def test_an_unknown_layer_name_lists_the_known_ones() -> None:
    report = dg.LayerReport([_record("encoder.0"), _record("head")])
    with pytest.raises(KeyError, match=r"in this report; layers: encoder\.0, head"):
        report["decoder"]


def test_float32_values_are_summarized_in_float64() -> None:
    h = np.tanh(np.random.default_rng(5).normal(0.0, 1.0, 10_001)).astype(np.float32)
    record = dg.summarize("d", "Dense", (2, 2), "tanh", activations=h, backprop=h,
                          weight_gradient=h)
    wide = h.astype(np.float64)
    assert (record.activation_mean, record.activation_std) == (float(wide.mean()),
                                                               float(wide.std()))
    assert record.backprop_variance == float(wide.var())
