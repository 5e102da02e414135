"""The JAX adapter against jax.nn.initializers, both jitted, on (4096, 4096) weights.

    python benchmarks/bench_jax.py
    python benchmarks/bench_jax.py --repeats 41

Each row is the median of interleaved repeats in one process (benchmarks/timing.py); a repeat is
one call of the jitted initializer with the same key, ended by ``block_until_ready``; the
compile happens in the warmup. The ratio is ours / jax's. Rows compare the same law: Glorot
uniform; the truncated normal (``jax.nn.initializers.glorot_normal`` is truncated); our
``glorot_normal``, untruncated, against ``variance_scaling(1, "fan_avg", "normal")``. The
bfloat16 row shows the cost of sampling in float32 and casting once, against JAX's ~128-value
bfloat16 sampler.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from xavier_adapters import jax as xj

from timing import compare, print_rows

SHAPE = (4096, 4096)
CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any], str]] = {
    "glorot_uniform": (xj.glorot_uniform(), jax.nn.initializers.glorot_uniform(), "float32"),
    "glorot_truncated_normal": (
        xj.glorot_truncated_normal(), jax.nn.initializers.glorot_normal(), "float32"),
    "glorot_normal": (
        xj.glorot_normal(), jax.nn.initializers.variance_scaling(1.0, "fan_avg", "normal"),
        "float32"),
}
BFLOAT16_CASE = ("glorot_uniform", xj.glorot_uniform(), jax.nn.initializers.glorot_uniform())


def timed(init: Callable[..., Any], dtype: str) -> Callable[[], Any]:
    """One blocking call of ``init`` jitted for SHAPE and ``dtype``."""
    jitted = jax.jit(init, static_argnums=(1, 2))
    key = jax.random.key(0)
    return lambda: jitted(key, SHAPE, jnp.dtype(dtype)).block_until_ready()


def row(name: str, ours: Callable[..., Any], theirs: Callable[..., Any], dtype: str,
        repeats: int) -> tuple[str, str, float, float]:
    mine, plain = compare(timed(ours, dtype), timed(theirs, dtype), repeats=repeats, warmup=3)
    return (f"jax {jax.default_backend()}", f"{name} {SHAPE} {dtype}", mine, plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per side")
    repeats = parser.parse_args().repeats
    rows = [row(name, ours, theirs, dtype, repeats)
            for name, (ours, theirs, dtype) in CASES.items()]
    name, ours, theirs = BFLOAT16_CASE
    rows.append(row(name, ours, theirs, "bfloat16", repeats))
    print_rows(rows)


if __name__ == "__main__":
    main()
