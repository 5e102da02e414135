"""One backend's MNIST runs, in a process of its own: ``python -m xavier_conformance.mnist.worker``.

The stage starts one worker per backend, since ``KERAS_BACKEND`` is fixed when Keras is first
imported. The worker trains one run per seed and writes a JSON object to ``--out``::

    {"backend": "torch", "versions": {...}, "runs": [{"seed": 0, "test_accuracy": [...],
     "seconds": 12.3}, ...]}

or ``{"backend": ..., "error": "..."}`` when the backend cannot import or training fails (the
traceback goes to stderr); progress bars go to stderr too.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

from xavier_conformance.mnist.backends import BACKENDS
from xavier_conformance.mnist.data import load_mnist
from xavier_conformance.mnist.progress import progress_bar
from xavier_conformance.mnist.recipe import Arrays, Recipe, prepare


def import_harness(backend: str) -> ModuleType:
    """The harness module of ``backend``, in a process whose environment is already set."""
    module, env = BACKENDS[backend]
    if env.get("KERAS_BACKEND") == "torch":
        import torch  # noqa: F401  (torch before anything that may import tensorflow)
    return importlib.import_module(f"xavier_conformance.mnist.{module}")


def train_runs(backend: str, arrays: Arrays, recipe: Recipe, seeds: list[int]) -> dict:
    """Train one run per seed; the JSON-able record of the runs."""
    harness = import_harness(backend)
    steps = recipe.epochs * -(-len(arrays.x_train) // recipe.batch_size)
    runs = []
    for seed in seeds:
        with progress_bar(steps, f"{backend} seed {seed}") as bar:
            start = time.perf_counter()
            curve = harness.train(arrays, recipe, seed, bar)
            seconds = time.perf_counter() - start
        runs.append({"seed": seed, "test_accuracy": curve, "seconds": seconds})
    return {"backend": backend, "versions": harness.versions(), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xavier_conformance.mnist.worker")
    parser.add_argument("--backend", required=True, choices=list(BACKENDS))
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    expected = BACKENDS[args.backend][1].get("KERAS_BACKEND")
    try:
        if expected and os.environ.get("KERAS_BACKEND") != expected:
            raise RuntimeError(f"{args.backend} needs KERAS_BACKEND={expected}, got "
                               f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}")
        recipe = dataclasses.replace(Recipe(), epochs=args.epochs)
        arrays = prepare(load_mnist(args.data_dir))
        record = train_runs(args.backend, arrays, recipe, args.seeds)
    except Exception as error:  # reported to the parent, which decides
        traceback.print_exc()
        record = {"backend": args.backend, "error": f"{type(error).__name__}: {error}"}
    args.out.write_text(json.dumps(record, indent=1))
    return 1 if "error" in record else 0


if __name__ == "__main__":
    sys.exit(main())
