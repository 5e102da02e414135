"""The PNG figures: one labelled panel per hidden layer, written where asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import xavier_core as xc
from xavier_conformance.experiment import figures
from xavier_core.diagnostics import LayerReport, summarize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report(layers: int, spread: float, seed: int = 0) -> LayerReport:
    rng = np.random.default_rng(seed)
    return LayerReport(
        summarize(f"{i}", "Linear", (30, 30), "tanh" if i < layers - 1 else None,
                  activations=np.tanh(rng.normal(0, spread, 600)),
                  backprop=rng.normal(0, spread * 1e-4 * (i + 1), 600),
                  weight_gradient=rng.normal(0, 1e-3, 900))
        for i in range(layers)
    )


@pytest.mark.parametrize("quantity", ["activations", "backprop"])
def test_histograms_have_one_labelled_panel_per_hidden_layer(quantity: str) -> None:
    figure = figures.histogram_figure({"standard": _report(6, 0.3), "glorot": _report(6, 1.0)},
                                      quantity, title="tanh")
    axes = figure.axes
    assert len(axes) == 2 * 5, f"got {len(axes)} panels, but should be 2 inits x 5 hidden layers"
    assert [a.get_title() for a in axes[:5]] == [f"layer {i}" for i in range(1, 6)]
    assert all(a.get_xlabel().startswith(figures.QUANTITIES[quantity]) for a in axes)
    assert axes[0].get_ylabel() == "standard\ndensity" and axes[5].get_ylabel() == "glorot\ndensity"
    assert figure._suptitle.get_text() == "tanh"


def test_gradient_axes_say_their_power_of_ten() -> None:
    figure = figures.histogram_figure({"glorot": _report(3, 1.0)}, "backprop")
    assert figure.axes[0].get_xlabel().endswith("(x 1e-4)"), figure.axes[0].get_xlabel()


def test_variance_figure_has_both_variances_per_panel() -> None:
    figure = figures.variance_figure({"tanh": {"torch, glorot": [_report(6, 1.0, s) for s in
                                                                 range(3)]},
                                      "sigmoid": {"torch, glorot": [_report(6, 0.5)]}})
    labels = [(a.get_title(), a.get_xlabel(), a.get_ylabel(), a.get_yscale()) for a in figure.axes]
    assert labels == [("tanh", "hidden layer", "Var[dC/ds]", "log"),
                      ("sigmoid", "hidden layer", "Var[dC/ds]", "log"),
                      ("tanh", "hidden layer", "Var[dC/dW]", "log"),
                      ("sigmoid", "hidden layer", "Var[dC/dW]", "log")]
    line = figure.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3, 4, 5], "one point per hidden layer"


def test_saved_figures_are_png_files(tmp_path: Path) -> None:
    path = figures.save_histograms({"glorot": _report(3, 1.0)}, "activations",
                                   tmp_path / "new" / "h.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    path = figures.save_variances({"tanh": {"glorot": [_report(3, 1.0)]}}, tmp_path / "v.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_reports_of_different_depths_are_refused() -> None:
    with pytest.raises(xc.XavierError, match="reports must be reports with the same number"):
        figures.histogram_figure({"a": _report(3, 1.0), "b": _report(4, 1.0)}, "activations")


def test_an_unknown_quantity_is_refused() -> None:
    with pytest.raises(xc.XavierError, match="quantity must be one of activations, backprop, "
                                             "got quantity='weights'"):
        figures.histogram_figure({"a": _report(3, 1.0)}, "weights")
