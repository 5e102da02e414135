"""``xavier-conformance``: does every backend on this machine draw exactly the spec's distribution?

Runs the conformance suite once per backend, each in its own pytest process, prints a report
(headline first: failures and checks whose verdict differs between backends) and exits non-zero
when anything fails.

    xavier-conformance                                # every installed backend, on the CPU
    xavier-conformance --backends torch,keras-jax     # only these (each must be installed)
    xavier-conformance --json results.json            # the same results, machine-readable
    xavier-conformance --quick                        # one case per weight (CI's smoke run)
    xavier-conformance --mnist quick                  # also train MNIST, 1 epoch per backend
    xavier-conformance --full                         # the full report: --mnist full as well

Backends: numpy, torch, jax, keras-tensorflow, keras-jax, keras-torch (or XAVIER_BACKENDS);
devices: cpu (default), cuda/gpu (or XAVIER_DEVICES).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import xavier_core as xc
from xavier_conformance import checks, report, runner


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="xavier-conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=os.environ.get("XAVIER_BACKENDS"),
                        help="comma-separated backends (default: every installed one)")
    parser.add_argument("--devices", default=os.environ.get("XAVIER_DEVICES", "cpu"),
                        help="comma-separated devices (default: cpu)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--json", type=Path, default=None, help="also write results to PATH")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")
    parser.add_argument("--quick", action="store_true",
                        help="one statistical case per weight, dtypes and distributions rotating, "
                             "instead of the full matrix")
    parser.add_argument("--mnist", choices=("quick", "full"), default=None,
                        help="also run the MNIST stage: quick (1 epoch, 1 seed) or full "
                             "(10 epochs, 5 seeds)")
    parser.add_argument("--full", action="store_true",
                        help="the full report: the statistical suite and --mnist full")
    parser.add_argument("--out-dir", type=Path, default=Path("reports"),
                        help="where the MNIST stage writes its table, JSON and curves PNG "
                             "(default ./reports)")
    args = parser.parse_args(argv)
    if args.full:
        args.mnist = "full"
    return args


def run_mnist(tier: str, backend_names: list[str], out_dir: Path) -> tuple[bool, dict]:
    """The MNIST stage over the chosen framework backends; (passed, its JSON record)."""
    from xavier_conformance.mnist.cli import print_progress
    from xavier_conformance.mnist.report import render
    from xavier_conformance.mnist.stage import run_stage, save_outputs

    result = run_stage([b for b in backend_names if b != "numpy"], tier, on_backend=print_progress)
    print("\n" + render(result))
    for path in save_outputs(result, out_dir):
        print(f"wrote {path}")
    return result.passed, result.to_json()


def check_args(args: argparse.Namespace) -> list[runner.backends.Backend]:
    """Every argument checked before anything runs; the backends to run, and their notes in
    ``args.notes``. Raises XavierError naming the bad option."""
    checks.check_suite_installed()
    checks.check_seed(args.seed)
    checks.check_writable_file(args.json, "--json")
    if args.mnist:
        checks.check_writable_dir(args.out_dir, "--out-dir")
    chosen, args.notes = runner.choose_backends(_split(args.backends))
    args.device_list = _split(args.devices) or ["cpu"]
    frameworks = list(dict.fromkeys(b.modules[-1] for b in chosen))
    checks.check_devices(args.device_list, frameworks)
    return chosen


def write_json(path: Path | None, results: dict) -> None:
    """The results so far, written whole (checked writable up front, so this should not fail)."""
    if path is None:
        return
    try:
        path.write_text(json.dumps(results, indent=1))
    except OSError as error:
        print(f"xavier-conformance: error: cannot write --json {path}: {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chosen = check_args(args)
    except xc.XavierError as error:
        print(f"xavier-conformance: error: {error}", file=sys.stderr)
        return 2
    payloads = []
    results: dict = {"backends": payloads, "notes": args.notes}
    for backend in chosen:
        for device in args.device_list:
            print(f"running {backend.name} on {device} ...", file=sys.stderr, flush=True)
            payloads.append(runner.run_backend(backend, device, args.seed, args.verbose,
                                               args.quick))
            write_json(args.json, results)  # a later crash keeps what has run
    print(report.render(payloads, args.notes))
    write_json(args.json, results)
    mnist_passed = True
    if args.mnist:
        try:
            mnist_passed, results["mnist"] = run_mnist(args.mnist, [b.name for b in chosen],
                                                       args.out_dir)
        except xc.XavierError as error:
            print(f"xavier-conformance: MNIST stage: error: {error}", file=sys.stderr)
            mnist_passed, results["mnist"] = False, {"error": str(error)}
        write_json(args.json, results)
    statistical_failed = any(report.failed(p) for p in payloads) or not payloads
    return 1 if statistical_failed or not mnist_passed else 0


if __name__ == "__main__":
    sys.exit(main())
