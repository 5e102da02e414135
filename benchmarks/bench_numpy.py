"""The numpy reference sampler against the plain numpy.random.Generator calls it wraps.

    python benchmarks/bench_numpy.py

Both sides draw the same numbers from generators with the same seed; the ratio is ours / theirs.
"""

from __future__ import annotations

import numpy as np

import xavier_core as xc
from xavier_adapters import numpy as xnp

from timing import compare, print_rows

SHAPES = [(784, 256), (4096, 4096), (3, 3, 256, 256)]


def plain_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    bound = xc.glorot_uniform().resolve(shape).bound
    return (rng.random(shape, dtype=np.float32) * 2.0 - 1.0) * np.float32(bound)


def plain_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    std = xc.glorot_normal().resolve(shape).std
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)


def row(name: str, ours, theirs, shape: tuple[int, ...]) -> tuple[str, str, float, float]:
    """Time ``ours`` against ``theirs`` on one shape, each with a generator seeded alike."""
    ours_rng, theirs_rng = np.random.default_rng(0), np.random.default_rng(0)
    repeats = 7 if np.prod(shape) > 1e6 else 25
    mine, plain = compare(lambda: ours(shape, rng=ours_rng), lambda: theirs(shape, theirs_rng),
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
