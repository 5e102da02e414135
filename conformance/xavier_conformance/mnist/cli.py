"""``python -m xavier_conformance.mnist``: the MNIST stage from the command line.

    python -m xavier_conformance.mnist --tier quick --json out.json --plot curves.png \\
        --backends torch,jax,keras-tensorflow,keras-jax,keras-torch

Prints the table and the verdict; exits 0 when every criterion of the tier is met, 1 otherwise.
:func:`add_arguments` and :func:`run_from_args` let another command embed the stage.
"""

from __future__ import annotations

import argparse
import json
import sys

from xavier_conformance import checks
from xavier_conformance.mnist.backends import ALL_BACKENDS
from xavier_conformance.mnist.data import ENV_VAR
from xavier_conformance.mnist.report import render, save_plot
from xavier_conformance.mnist.results import TIERS, BackendResult
from xavier_conformance.mnist.stage import DEFAULT_THREADS, run_stage, save_outputs
from xavier_core import XavierError


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got {text!r}"
                                         ) from error


def _threads(text: str) -> int | None:
    count = int(text)
    if count < 0:
        raise argparse.ArgumentTypeError(f"threads must be >= 0, got {text!r}")
    return count or None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage's options, for this command or one that embeds the stage."""
    group = parser.add_argument_group("MNIST stage")
    group.add_argument("--tier", choices=list(TIERS), default="quick",
                       help="quick: 1 epoch, seed 0; full: 10 epochs, seeds 0-4 (default quick)")
    group.add_argument("--backends", default=",".join(ALL_BACKENDS),
                       help=f"comma-separated, from {','.join(ALL_BACKENDS)} (default all)")
    group.add_argument("--seeds", type=_seeds, default=None,
                       help="comma-separated seeds, overriding the tier's")
    group.add_argument("--data-dir", default=None,
                       help=f"the four MNIST .gz files (default ${ENV_VAR}, then the user cache)")
    group.add_argument("--threads", type=_threads, default=DEFAULT_THREADS,
                       help="intra-op threads of torch and TensorFlow per worker; 0 leaves the "
                            f"frameworks' defaults (default {DEFAULT_THREADS})")
    group.add_argument("--json", dest="json_path", default=None, help="write the results here")
    group.add_argument("--plot", default=None, help="save the accuracy curves here (PNG)")
    group.add_argument("--out-dir", default=None,
                       help="write mnist-<tier>.json, .txt and .png into this folder")


def print_progress(result: BackendResult) -> None:
    """One line on stderr as each backend finishes."""
    outcome = (f"failed: {result.error}" if result.error else
               f"final test accuracy {result.mean_final:.2%} over {len(result.runs)} run(s)")
    print(f"mnist: {result.backend} done in {result.wall_seconds:.0f} s, {outcome}",
          file=sys.stderr, flush=True)


def run_from_args(args: argparse.Namespace) -> int:
    """Run the stage as ``args`` say, print the table, write the files; 0 if it passed."""
    try:
        for seed in args.seeds or ():
            checks.check_seed(seed, "--seeds")
        checks.check_writable_file(args.json_path, "--json")
        checks.check_writable_file(args.plot, "--plot")
        checks.check_writable_dir(args.out_dir, "--out-dir")
        result = run_stage(args.backends, args.tier, args.seeds, args.data_dir,
                           threads=args.threads, on_backend=print_progress)
    except XavierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render(result))
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump(result.to_json(), out, indent=1)
    if args.plot:
        save_plot(result, args.plot)
    if args.out_dir:
        from pathlib import Path

        save_outputs(result, Path(args.out_dir))
    return 0 if result.passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xavier_conformance.mnist",
                                     description="Train the seed's MNIST model on every backend "
                                                 "with this project's Glorot init and compare.")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
