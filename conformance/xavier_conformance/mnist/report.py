"""The MNIST stage as a table beside the seed's curve, and as a PNG of the curves."""

from __future__ import annotations

import os

import xavier_core as xc
from xavier_conformance.mnist.recipe import SEED_CURVE
from xavier_conformance.mnist.results import BackendResult, StageResult

SEED_LABEL = "seed program (Keras)"


def _percent(value: float) -> str:
    return f"{value * 100:.2f}"


def _row(result: BackendResult, epochs: int) -> tuple[str, ...]:
    if result.error:
        return (result.backend, *[""] * epochs, "failed", "", "", f"{result.wall_seconds:.0f}")
    reference = SEED_CURVE[epochs - 1]
    final = f"{_percent(result.mean_final)} +- {_percent(result.std_final)}"
    return (result.backend, *map(_percent, result.mean_curve), final,
            f"{(result.mean_final - reference) * 100:+.2f}",
            " ".join(map(_percent, result.finals)), f"{result.wall_seconds:.0f}")


def render(result: StageResult) -> str:
    """The table (test accuracy in %, per epoch averaged over seeds), then the verdict."""
    tier, epochs = result.tier, result.tier.epochs
    low, high = tier.band
    header = ("backend", *[f"ep {e}" for e in range(1, epochs + 1)], "final mean +- std",
              f"vs seed {_percent(SEED_CURVE[epochs - 1])}", "final per seed", "wall s")
    seed_row = (SEED_LABEL, *map(_percent, SEED_CURVE[:epochs]), _percent(SEED_CURVE[epochs - 1]),
                "", "", "")
    rows = [seed_row, *(_row(b, epochs) for b in result.backends)]
    failures = result.failures()
    verdict = ["PASS"] if not failures else ["FAIL", *(f"  {line}" for line in failures)]
    return "\n".join([
        f"MNIST {tier.name} tier: {epochs} epoch(s), seeds {', '.join(map(str, result.seeds))}; "
        f"test accuracy in %",
        xc.render_table(header, rows),
        "",
        f"criteria: every backend's mean final accuracy in [{_percent(low)}, {_percent(high)}], "
        f"spread between backends <= {tier.max_spread * 100:.2f} points "
        f"(measured {result.spread * 100:.2f}); stage wall time {result.wall_seconds:.0f} s",
        *verdict,
    ])


def save_plot(result: StageResult, path: str | os.PathLike[str]) -> None:
    """Save the mean test-accuracy curve of each backend (min-max over seeds shaded), the seed's
    curve and the tier's band for the final epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    epochs = list(range(1, result.tier.epochs + 1))
    figure, axes = plt.subplots(figsize=(7, 4.5), layout="constrained")
    axes.plot(epochs, [a * 100 for a in SEED_CURVE[:len(epochs)]], "k--", marker="s",
              label=SEED_LABEL)
    for backend in (b for b in result.backends if not b.error):
        curves = [r.test_accuracy for r in backend.runs]
        line, = axes.plot(epochs, [a * 100 for a in backend.mean_curve], marker="o",
                          label=f"{backend.backend} ({len(curves)} seed(s))")
        axes.fill_between(epochs, [min(c) * 100 for c in zip(*curves, strict=True)],
                          [max(c) * 100 for c in zip(*curves, strict=True)],
                          color=line.get_color(), alpha=0.15)
    low, high = result.tier.band
    bottom, top = axes.get_ylim()
    final = epochs[-1]
    axes.fill_between([final - 0.35, final + 0.35], low * 100, high * 100, color="green",
                      alpha=0.12, label="accepted band for the final mean")
    axes.set_ylim(min(bottom, low * 100 - 0.2), top)
    axes.set_xlabel("epoch")
    axes.set_ylabel("test accuracy (%)")
    axes.set_xticks(epochs)
    axes.set_title(f"MNIST 784-128-64-10, Glorot uniform, Adam: {result.tier.name} tier")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    figure.savefig(path, dpi=120)
    plt.close(figure)
