"""PNG figures of layer diagnostics, with matplotlib (the ``mnist`` extra), imported lazily.

- :func:`save_histograms` (:func:`histogram_figure`): the analogues of Glorot & Bengio's
  figures 6 (activations) and 7 (back-propagated gradients): one row per labelled report, one
  panel per hidden layer, each a normalized histogram;
- :func:`save_variances` (:func:`variance_figure`): Var[dC/ds] and Var[dC/dW] against the hidden
  layer's depth, one panel per group of reports, one line per labelled series (the geometric
  mean over its reports).

- :func:`save_strides` (:func:`stride_figure`): Var[h] and Var[dC/ds] per hidden layer of the
  strided nets (:mod:`xavier_conformance.experiment.strides`), stride-aware against
  stride-blind fans, one line per framework.

All take :class:`xavier_core.diagnostics.LayerReport` from any framework's probe.

Example:
  >>> import tempfile, torch
  >>> from xavier_adapters.probes import torch as probe_torch
  >>> model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.Tanh(),
  ...                             torch.nn.Linear(100, 10))
  >>> report = probe_torch.probe(model, torch.randn(32, 784), torch.randint(0, 10, (32,)))
  >>> with tempfile.TemporaryDirectory() as folder:
  ...     path = save_histograms({"torch default": report}, "activations",
  ...                            f"{folder}/activations.png", title="tanh")
  ...     print(path.name, path.stat().st_size > 0)
  activations.png True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from xavier_adapters._require import require
from xavier_core.diagnostics import ASYMPTOTES, LayerReport
from xavier_core.errors import bad_argument

Quantity = Literal["activations", "backprop"]
QUANTITIES: dict[str, str] = {
    "activations": "activation value h",
    "backprop": "back-propagated gradient dC/ds",
}
SAMPLES: dict[str, str] = {"activations": "activation_sample", "backprop": "backprop_sample"}
"""The record field holding each quantity's values."""
BINS = 100
DPI = 80


def _pyplot() -> Any:
    matplotlib = require("matplotlib", "mnist")
    matplotlib.use("Agg")  # files only: no display needed
    return require("matplotlib.pyplot", "mnist")


def _value_range(reports: Sequence[LayerReport], quantity: Quantity) -> tuple[float, float]:
    """Asymptotes for a saturating activation, else +-4 of the largest std in the row."""
    if quantity == "activations" and reports[0].activation in ASYMPTOTES:
        return ASYMPTOTES[reports[0].activation]
    largest = max(float(np.std(getattr(r, SAMPLES[quantity]))) for r in reports)
    centre = (float(np.mean(reports[0].activation_sample)) if quantity == "activations"
              else 0.0)
    half_width = 4.0 * largest or 1.0
    return centre - half_width, centre + half_width


def _exponent(largest: float) -> int:
    """The power of ten the axis is written in: 0 for values of order 1, else the largest's."""
    if largest == 0 or 1e-2 <= largest < 1e3:
        return 0
    return math.floor(math.log10(largest))


def _caption(record: Any, quantity: Quantity) -> str:
    if quantity == "backprop":
        return f"Var {record.backprop_variance:.2e}"
    saturated = ("" if record.saturated_fraction is None
                 else f"\nsaturated {record.saturated_fraction:.1%}")
    return f"std {record.activation_std:.3f}{saturated}"


def save_histograms(
    reports: Mapping[str, LayerReport],
    quantity: Quantity,
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """:func:`histogram_figure`, written to the PNG ``path`` (its directory is created)."""
    return _save(histogram_figure(reports, quantity, title=title), path)


def histogram_figure(
    reports: Mapping[str, LayerReport],
    quantity: Quantity,
    *,
    title: str = "",
) -> Any:
    """One row per ``reports`` entry (its key labels the row), one panel per hidden layer.

    Panels of a row share their bins, so a distribution that narrows from layer to layer shows.

    Returns:
      The matplotlib ``Figure``.

    Raises:
      XavierError: an unknown ``quantity``, no reports, or reports with different depths.
    """
    if quantity not in QUANTITIES:
        raise bad_argument("quantity", quantity, f"one of {', '.join(QUANTITIES)}")
    rows = {label: report.hidden for label, report in reports.items()}
    depths = {len(hidden) for hidden in rows.values()}
    if len(depths) != 1 or 0 in depths:
        raise bad_argument("reports", {k: len(v) for k, v in rows.items()},
                           "reports with the same number (>= 1) of hidden layers")
    plt = _pyplot()
    columns = depths.pop()
    figure, axes = plt.subplots(len(rows), columns, figsize=(2.6 * columns, 2.3 * len(rows)),
                                squeeze=False, sharex="row", constrained_layout=True)
    for row, (label, hidden) in enumerate(rows.items()):
        low, high = _value_range(hidden, quantity)
        exponent = _exponent(max(abs(low), abs(high)))
        unit = 10.0**exponent
        for column, record in enumerate(hidden):
            axis = axes[row][column]
            axis.hist(getattr(record, SAMPLES[quantity]) / unit, bins=BINS,
                      range=(low / unit, high / unit), density=True, color=f"C{row}")
            axis.set_title(f"layer {column + 1}", fontsize=9)
            axis.text(0.97, 0.95, _caption(record, quantity), transform=axis.transAxes,
                      ha="right", va="top", fontsize=7)
            scale = f" (x 1e{exponent})" if exponent else ""
            axis.set_xlabel(f"{QUANTITIES[quantity]}{scale}", fontsize=8)
            axis.tick_params(labelsize=7)
        axes[row][0].set_ylabel(f"{label}\ndensity", fontsize=8)
    figure.suptitle(title or f"{QUANTITIES[quantity]} per hidden layer", fontsize=10)
    return figure


def _geometric_mean(values: Sequence[float]) -> float:
    return math.exp(float(np.mean(np.log(values))))


def save_variances(
    panels: Mapping[str, Mapping[str, Sequence[LayerReport]]],
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """:func:`variance_figure`, written to the PNG ``path`` (its directory is created)."""
    return _save(variance_figure(panels, title=title), path)


def variance_figure(
    panels: Mapping[str, Mapping[str, Sequence[LayerReport]]],
    *,
    title: str = "",
) -> Any:
    """Var[dC/ds] (top row) and Var[dC/dW] (bottom row) per hidden layer, log scale.

    Args:
      panels: panel title -> series label -> reports (e.g. one per seed); each series is drawn
        as the geometric mean of its reports, layer by layer.
      title: the figure's title.

    Returns:
      The matplotlib ``Figure``.
    """
    if not panels or not all(panels.values()):
        raise bad_argument("panels", {k: len(v) for k, v in panels.items()},
                           "at least one panel, each with at least one series")
    plt = _pyplot()
    figure, axes = plt.subplots(2, len(panels), figsize=(4.2 * len(panels) + 2.0, 6.2),
                                squeeze=False, constrained_layout=True)
    measures = (("backprop_variance", "Var[dC/ds]"), ("weight_gradient_variance", "Var[dC/dW]"))
    for column, (panel, series) in enumerate(panels.items()):
        for row, (field, label) in enumerate(measures):
            axis = axes[row][column]
            for index, (name, reports) in enumerate(series.items()):
                hidden = [report.hidden for report in reports]
                depth = range(1, len(hidden[0]) + 1)
                values = [_geometric_mean([getattr(h[i], field) for h in hidden])
                          for i in range(len(hidden[0]))]
                axis.plot(depth, values, label=name, color=f"C{index}", **_series_style(index))
            axis.set_yscale("log")
            axis.set_xlabel("hidden layer", fontsize=9)
            axis.set_ylabel(label, fontsize=9)
            axis.set_xticks(list(depth))
            axis.set_title(panel, fontsize=10)
            axis.grid(True, which="major", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def save_strides(runs: Sequence[Any], path: str | Path, *, title: str = "") -> Path:
    """:func:`stride_figure`, written to the PNG ``path`` (its directory is created)."""
    return _save(stride_figure(runs, title=title), path)


def stride_figure(runs: Sequence[Any], *, title: str = "") -> Any:
    """One row per (net, activation); Var[h] (left) and Var[dC/ds] (right) per hidden layer, log
    scale; blue lines stride-aware, red stride-blind, one marker per framework.

    Args:
      runs: :class:`xavier_conformance.experiment.strides.StrideRun` objects.
      title: the figure's title.

    Returns:
      The matplotlib ``Figure``.
    """
    if not runs:
        raise bad_argument("runs", runs, "at least one StrideRun")
    plt = _pyplot()
    cases = list(dict.fromkeys((r.net, r.activation) for r in runs))
    frameworks = list(dict.fromkeys(r.framework for r in runs))
    figure, axes = plt.subplots(len(cases), 2, figsize=(11.0, 2.9 * len(cases)), squeeze=False,
                                constrained_layout=True)
    measures = (("activation", "Var[h]"), ("backprop", "Var[dC/ds]"))
    for row, (net, activation) in enumerate(cases):
        for column, (what, label) in enumerate(measures):
            axis = axes[row][column]
            for run in runs:
                if (run.net, run.activation) != (net, activation):
                    continue
                values = run.per_layer(what)
                index = frameworks.index(run.framework)
                fans = "stride-aware" if run.stride_aware else "stride-blind"
                axis.plot(range(1, len(values) + 1), values, label=f"{run.framework}, {fans}",
                          color="C0" if run.stride_aware else "C3", **_series_style(index))
            axis.set_yscale("log")
            axis.set_xlabel("hidden layer", fontsize=9)
            axis.set_ylabel(label, fontsize=9)
            axis.set_xticks(list(range(1, len(strides_of(runs, net)) + 1)))
            axis.set_title(f"{net}, {activation}: {label}", fontsize=10)
            axis.grid(True, which="major", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def strides_of(runs: Sequence[Any], net: str) -> Any:
    """The per-layer values of the first run of ``net`` (for its hidden-layer count)."""
    return next(r for r in runs if r.net == net).per_layer("activation")


def _series_style(index: int) -> dict[str, Any]:
    """Hollow markers that shrink and dashes that change from series to series, so that series
    lying on top of each other (frameworks that agree) all stay visible."""
    return {"marker": "os^v<>D"[index % 7], "markersize": max(3.0, 11.0 - 1.5 * index),
            "markerfacecolor": "none", "linestyle": ("-", "--", ":")[index % 3]}


def _save(figure: Any, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=DPI)
    _pyplot().close(figure)
    return target
