"""``xavier-conformance``: does every backend on this machine draw exactly the spec's distribution?

Runs the conformance suite once per backend, each in its own pytest process, prints a report
(headline first: failures and checks whose verdict differs between backends) and exits non-zero
when anything fails.

    xavier-conformance                                # every installed backend, on the CPU
    xavier-conformance --backends torch,keras-jax     # only these (each must be installed)
    xavier-conformance --json results.json            # the same results, machine-readable

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
from xavier_conformance import report, runner


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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chosen, notes = runner.choose_backends(_split(args.backends))
    except xc.XavierError as error:
        print(f"xavier-conformance: error: {error}", file=sys.stderr)
        return 2
    payloads = []
    for backend in chosen:
        for device in _split(args.devices) or ["cpu"]:
            print(f"running {backend.name} on {device} ...", file=sys.stderr, flush=True)
            payloads.append(runner.run_backend(backend, device, args.seed, args.verbose))
    print(report.render(payloads, notes))
    if args.json:
        args.json.write_text(json.dumps({"backends": payloads, "notes": notes}, indent=1))
    return 1 if any(report.failed(p) for p in payloads) or not payloads else 0


if __name__ == "__main__":
    sys.exit(main())
