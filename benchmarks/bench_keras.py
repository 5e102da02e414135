"""The Keras initializers against Keras' own, on each Keras backend, in one process per backend.

    python benchmarks/bench_keras.py                          # every backend, one subprocess each
    KERAS_BACKEND=jax python benchmarks/bench_keras.py        # this backend only, in this process

Both sides are int-seeded (the same stateless path in Keras' random ops) and draw a float32
(4096, 4096) kernel on the CPU; times are medians of interleaved repeats, ratio = ours / Keras'.
Rows: GlorotUniform (the acceptance row, ratio <= 1.05), GlorotTruncatedNormal against Keras'
GlorotNormal (the same truncated law; on torch ours adds the pass that redraws values beyond the
cut), and bfloat16 GlorotUniform (ours samples float32 and casts; Keras samples bfloat16).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from timing import compare, print_rows

BACKENDS = ("tensorflow", "jax", "torch")
SHAPE = (4096, 4096)
ACCEPTANCE_REPEATS = 25
"""Repeats of the GlorotUniform float32 row, the one with a ratio to meet (<= 1.05)."""
REPEATS = 11


def _ready(values: object) -> object:
    """Wait for an asynchronous backend (JAX) to finish computing ``values``."""
    block = getattr(values, "block_until_ready", None)
    return block() if block is not None else values


def rows() -> list[tuple[str, str, float, float]]:
    """The timed rows of the current Keras backend."""
    import keras

    from xavier_adapters import keras as xk

    cases: list[tuple[str, int, Callable[[], object], Callable[[], object]]] = [
        ("GlorotUniform float32", ACCEPTANCE_REPEATS, lambda: xk.GlorotUniform(seed=1)(SHAPE),
         lambda: keras.initializers.GlorotUniform(seed=1)(SHAPE)),
        ("GlorotTruncatedNormal float32", REPEATS,
         lambda: xk.GlorotTruncatedNormal(seed=1)(SHAPE),
         lambda: keras.initializers.GlorotNormal(seed=1)(SHAPE)),
        ("GlorotUniform bfloat16", REPEATS, lambda: xk.GlorotUniform(seed=1)(SHAPE, "bfloat16"),
         lambda: keras.initializers.GlorotUniform(seed=1)(SHAPE, "bfloat16")),
    ]
    backend = f"keras-{keras.config.backend()}"
    timed = []
    for name, repeats, ours, theirs in cases:
        mine, plain = compare(lambda ours=ours: _ready(ours()),
                              lambda theirs=theirs: _ready(theirs()), repeats=repeats)
        timed.append((backend, f"{name} {SHAPE}", mine, plain))
    return timed


def rows_in_subprocess(backend: str) -> list[tuple[str, str, float, float]]:
    """The rows of ``backend``, timed in a fresh process with KERAS_BACKEND set."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json"], env=env,
                            capture_output=True, text=True, check=True)
    return [tuple(row) for row in json.loads(result.stdout.splitlines()[-1])]


def main(argv: list[str]) -> None:
    if "KERAS_BACKEND" in os.environ:
        timed = rows()
        if "--json" in argv:
            print(json.dumps(timed))
            return
    else:
        timed = [row for backend in BACKENDS for row in rows_in_subprocess(backend)]
    print_rows(timed)


if __name__ == "__main__":
    main(sys.argv[1:])
