"""``python -m xavier_conformance.experiment``: Glorot & Bengio (2010) on MNIST, in each framework.

    python -m xavier_conformance.experiment init     # probes at initialization, PNG figures
    python -m xavier_conformance.experiment train    # short SGD training, test error vs table 1
    python -m xavier_conformance.experiment strides  # strided convolutions: stride-aware fans

``init`` builds the paper's MLP (784 -> 5 x 1000 -> 10; tanh, sigmoid, softsign) with the
standard and with Glorot's init in every framework asked for, probes one MNIST batch, prints
the ratio Var[dC/ds] of hidden layer 1 / hidden layer 5 per run and whether the frameworks agree,
and saves the figure-6 and figure-7 analogues and the per-layer variances under ``--out``.
It exits 1 when Glorot's tanh ratio leaves [0.5, 2], when the standard init's is not farther
from 1, or when two frameworks disagree. ``train`` prints the test error after ``--steps``
mini-batches of 10 beside the paper's table 1. ``strides`` probes two strided nets (a strided
CNN, a ViT patch embedding with dense blocks) initialized by each framework's model-level entry
point with ``stride_aware=True`` and ``False`` (:mod:`xavier_conformance.experiment.strides`),
prints the gradient and activation ratios and saves ``strides.png`` under ``--out``; it exits 1
unless stride-aware fans keep the signal steadier in every case measured.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from xavier_conformance.experiment import (
    analysis,
    data,
    figures,
    frameworks,
    paper,
    runs,
    strides,
)
from xavier_core.record import render_table

RATIO_RANGE = (0.5, 2.0)
"""Where Glorot's tanh ratio must lie (the issue's acceptance range)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frameworks", nargs="+", choices=frameworks.FRAMEWORKS,
                        default=list(frameworks.FRAMEWORKS))
    parser.add_argument("--activations", nargs="+", choices=paper.ACTIVATIONS,
                        default=list(paper.ACTIVATIONS))
    parser.add_argument("--data-dir", help=f"the MNIST .gz files (default ${data.ENV_VAR})")
    parser.add_argument("--keras-backend", choices=("tensorflow", "jax", "torch"),
                        help="KERAS_BACKEND for the keras runs (default: the environment's)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m xavier_conformance.experiment",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="probe at initialization, save figures")
    _common(init)
    init.add_argument("--seeds", type=int, default=10, help="networks per run (default 10)")
    init.add_argument("--probe-batch", type=int, default=1000,
                      help="MNIST training examples in the probed batch (default 1000)")
    init.add_argument("--out", type=Path, default=Path("reports"),
                      help="directory for the PNG figures (default reports/)")
    init.add_argument("--tables", action="store_true", help="print every first-seed report")
    train = commands.add_parser("train", help="short SGD training, test error vs the paper")
    _common(train)
    train.add_argument("--inits", nargs="+", choices=tuple(paper.INITS),
                       default=list(paper.INITS))
    train.add_argument("--steps", type=int, default=6000,
                       help="mini-batches of 10 (default 6000: one epoch)")
    train.add_argument("--learning-rate", type=float, default=0.03,
                       help="SGD step size (default 0.03; 0.1 diverges for some seeds)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--test-examples", type=int, help="test images scored (default all)")
    stride = commands.add_parser("strides", help="strided convolutions, stride-aware fans or not")
    stride.add_argument("--frameworks", nargs="+", choices=strides.FRAMEWORKS,
                        default=list(strides.FRAMEWORKS))
    stride.add_argument("--activations", nargs="+", choices=strides.ACTIVATIONS,
                        default=list(strides.ACTIVATIONS))
    stride.add_argument("--nets", nargs="+", choices=tuple(strides.NETS),
                        default=list(strides.NETS))
    stride.add_argument("--keras-backend", choices=("tensorflow", "jax", "torch"),
                        help="KERAS_BACKEND for the keras runs (default: the environment's)")
    stride.add_argument("--seeds", type=int, default=10, help="networks per run (default 10)")
    stride.add_argument("--batch", type=int, default=128,
                        help="N(0, 1) images in the probed batch (default 128)")
    stride.add_argument("--out", type=Path, default=Path("reports"),
                        help="directory for strides.png (default reports/)")
    return parser


def _set_keras_backend(backend: str | None) -> None:
    if backend is None:
        return
    if "keras" in sys.modules and os.environ.get("KERAS_BACKEND") != backend:
        raise SystemExit(f"--keras-backend {backend}: keras is already imported with "
                         f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND')}")
    os.environ["KERAS_BACKEND"] = backend


def _init_rows(all_runs: Sequence[runs.InitRun]) -> list[tuple[str, ...]]:
    rows = []
    for run in all_runs:
        last = run.reports[0].hidden[-1]
        saturated = "" if last.saturated_fraction is None else f"{last.saturated_fraction:.1%}"
        low, high = run.summary.interval()
        rows.append((run.framework, run.activation, run.init,
                     f"{run.summary.geometric_mean:.4g}", f"[{low:.4g}, {high:.4g}]",
                     f"{last.activation_std:.3f}", saturated))
    return rows


def _agreement(all_runs: Sequence[runs.InitRun]) -> tuple[list[tuple[str, ...]], bool]:
    """Each framework against the first one, per (activation, init)."""
    rows, every = [], True
    groups: dict[tuple[str, str], list[runs.InitRun]] = {}
    for run in all_runs:
        groups.setdefault((run.activation, run.init), []).append(run)
    for (activation, init), group in groups.items():
        for other in group[1:]:
            p_value = analysis.agreement_p_value(group[0].summary.ratios, other.summary.ratios)
            agrees = analysis.agree(group[0].summary, other.summary)
            every &= agrees
            rows.append((activation, init, f"{group[0].framework} vs {other.framework}",
                         f"{p_value:.3g}", "yes" if agrees else "NO"))
    return rows, every


def _criteria(all_runs: Sequence[runs.InitRun]) -> tuple[list[str], bool]:
    """The issue's tanh criteria, per framework."""
    lines, passed = [], True
    by_key = {(r.framework, r.activation, r.init): r.summary for r in all_runs}
    for framework in dict.fromkeys(r.framework for r in all_runs):
        glorot = by_key.get((framework, "tanh", "glorot"))
        standard = by_key.get((framework, "tanh", "standard"))
        if glorot is None or standard is None:
            continue
        low, high = glorot.interval()
        inside = RATIO_RANGE[0] <= low and high <= RATIO_RANGE[1]
        farther = analysis.farther_from_one(standard, glorot)
        passed &= inside and farther
        lines.append(f"{framework}: tanh ratio with Glorot {glorot.describe()}: "
                     f"{'inside' if inside else 'NOT inside'} {list(RATIO_RANGE)}; with the "
                     f"standard init {standard.describe()}: "
                     f"{'farther from 1' if farther else 'NOT measurably farther from 1'}")
    return lines, passed


def _save_figures(all_runs: Sequence[runs.InitRun], out: Path) -> list[Path]:
    saved = []
    for framework in dict.fromkeys(r.framework for r in all_runs):
        for activation in dict.fromkeys(r.activation for r in all_runs):
            chosen = {paper.INIT_LABELS[r.init]: r.reports[0] for r in all_runs
                      if r.framework == framework and r.activation == activation}
            for quantity, figure in (("activations", 6), ("backprop", 7)):
                title = (f"{framework}, {activation}: {figures.QUANTITIES[quantity]} at "
                         f"initialization (Glorot & Bengio 2010, figure {figure})")
                saved.append(figures.save_histograms(
                    chosen, quantity, out / f"{quantity}_{framework}_{activation}.png",
                    title=title))
    panels = {activation: {f"{r.framework}, {r.init}": r.reports for r in all_runs
                           if r.activation == activation}
              for activation in dict.fromkeys(r.activation for r in all_runs)}
    saved.append(figures.save_variances(
        panels, out / "variances.png",
        title="Gradient variances per hidden layer at initialization (MNIST batch)"))
    return saved


def run_init(args: argparse.Namespace) -> int:
    arrays = data.load(args.data_dir)
    images, labels = arrays.probe_batch(args.probe_batch)
    all_runs = [
        runs.probe_at_init(frameworks.load(name), activation, init, range(args.seeds), images,
                           labels)
        for name in args.frameworks for activation in args.activations for init in paper.INITS
    ]
    if args.tables:
        for run in all_runs:
            print(f"\n{run.framework}, {run.activation}, {run.init} (seed 0):\n{run.reports[0]}")
    print("\nVar[dC/ds] hidden layer 1 / hidden layer 5 at initialization "
          f"({args.seeds} seeds, {args.probe_batch} MNIST examples)\n")
    print(render_table(("framework", "activation", "init", "ratio", "99.9% interval",
                        "last hidden std", "saturated"), _init_rows(all_runs)))
    rows, agree = _agreement(all_runs)
    if rows:
        print("\nframeworks agree within sampling error (Welch t on log ratio, p >= 1e-3)\n")
        print(render_table(("activation", "init", "compared", "p", "agree"), rows))
    lines, passed = _criteria(all_runs)
    print("", *lines, sep="\n")
    print("\nfigures:", *(str(path) for path in _save_figures(all_runs, args.out)), sep="\n  ")
    return 0 if passed and agree else 1


def run_train(args: argparse.Namespace) -> int:
    arrays = data.load(args.data_dir)
    results = []
    for name in args.frameworks:
        module = frameworks.load(name)
        for activation in args.activations:
            for init in args.inits:
                result = runs.train_once(module, activation, init, arrays, steps=args.steps,
                                         learning_rate=args.learning_rate, seed=args.seed,
                                         test_examples=args.test_examples)
                print(f"{result.framework} {activation} {init}: test error "
                      f"{result.test_error:.2f}% in {result.seconds:.0f} s", flush=True)
                results.append(result)
    names = list(dict.fromkeys(r.framework for r in results))
    errors = {(r.framework, r.activation, r.init): r.test_error for r in results}
    rows = []
    for activation in args.activations:
        for init in args.inits:
            paper_error = paper.PAPER_MNIST_TEST_ERROR.get((activation, init))
            rows.append((activation, init, "-" if paper_error is None else f"{paper_error:.2f}",
                         *(f"{errors[(n, activation, init)]:.2f}" for n in names)))
    total = sum(r.seconds for r in results)
    print(f"\nMNIST test error (%) after {args.steps} SGD steps of {paper.BATCH_SIZE} "
          f"(lr {args.learning_rate}, seed {args.seed}); paper: table 1, trained to convergence"
          f"\n")
    print(render_table(("activation", "init", "paper", *names), rows))
    print(f"\ntotal run time {total / 60:.1f} min")
    return 0


def run_strides(args: argparse.Namespace) -> int:
    if args.seeds < 2 or args.batch < 1:
        raise SystemExit(f"--seeds must be >= 2 and --batch >= 1, got --seeds {args.seeds}, "
                         f"--batch {args.batch}")
    all_runs = []
    for name in args.frameworks:
        module = strides.load(name)
        for net in args.nets:
            for activation in args.activations:
                for aware in (True, False):
                    all_runs.append(strides.run(module, net, activation, aware,
                                                range(args.seeds), args.batch))
                    print(f"{module.name()} {net} {activation} stride_aware={aware}: done",
                          file=sys.stderr, flush=True)
    print(f"\nStrided nets at initialization ({args.seeds} seeds, {args.batch} N(0, 1) images; "
          "geometric means over seeds; drift = |log| of the three ratios, summed)\n")
    print(strides.table(all_runs))
    wins, cases = strides.verdict(all_runs)
    print(f"\nstride-aware fans drift less in {wins} of {cases} cases")
    path = figures.save_strides(all_runs, args.out / "strides.png", title=(
        "Strided nets at initialization: stride-aware (blue) vs stride-blind (red) fans"))
    print(f"figure: {path}")
    return 0 if wins == cases else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _set_keras_backend(args.keras_backend)
    commands = {"init": run_init, "train": run_train, "strides": run_strides}
    return commands[args.command](args)
