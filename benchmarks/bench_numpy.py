"""The numpy reference sampler against the plain numpy.random.Generator calls it wraps.

    python benchmarks/bench_numpy.py

Both sides draw the same numbers from generators with the same seed; the ratio is ours / theirs.
The plain side is numpy alone (bound or std computed once, outside the timed call), so the small
shapes show our fixed cost per call: fans and spec resolved, dtype checked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import xavier_core as xc
from xavier_adapters import numpy as xnp

from timing import compare, print_rows

SHAPES = [(16, 16), (64, 64), (256, 256), (784, 256), (4096, 4096), (3, 3, 256, 256)]


def plain_uniform(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    bound = xc.glorot_uniform().resolve(shape).bound

    def draw(rng: np.random.Generator) -> np.ndarray:
        values = rng.random(shape, dtype=np.float32)
        values *= 2.0
        values -= 1.0
        values *= bound
        return values

    return draw


def plain_normal(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    std = xc.glorot_normal().resolve(shape).std

    def draw(rng: np.random.Generator) -> np.ndarray:
        values = rng.standard_normal(shape, dtype=np.float32)
        values *= std
        return values

    return draw


def row(name: str, ours, theirs, shape: tuple[int, ...]) -> tuple[str, str, float, float]:
    """Time ``ours`` against ``theirs`` on one shape, each with a generator seeded alike."""
    ours_rng, theirs_rng = np.random.default_rng(0), np.random.default_rng(0)
    size = np.prod(shape)
    repeats = 7 if size > 1e6 else 25 if size > 1e5 else 301
    plain_draw = theirs(shape)
    mine, plain = compare(lambda: ours(shape, rng=ours_rng), lambda: plain_draw(theirs_rng),
                          repeats=repeats)
    return ("numpy", f"{name} {shape} float32", mine, plain)


def main() -> None:
    print_rows([
        row(name, ours, theirs, shape)
        for shape in SHAPES
        for name, ours, theirs in (
            ("glorot_uniform", xnp.glorot_uniform, plain_uniform),
            ("glorot_normal", xnp.glorot_normal, plain_normal),
        )
    ])


if __name__ == "__main__":
    main()
