"""Timing helpers shared by the benchmark scripts: medians of repeats, ratios side by side."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def median_seconds(run: Callable[[], object], repeats: int = 15, warmup: int = 2) -> float:
    """Median wall time of ``run()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(ours: Callable[[], object], theirs: Callable[[], object], repeats: int = 15,
            warmup: int = 2) -> tuple[float, float]:
    """Median times of two callables, interleaved so that machine noise hits both alike."""
    for _ in range(warmup):
        ours()
        theirs()
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        for run, times in ((ours, ours_times), (theirs, theirs_times)):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(theirs_times)


def print_rows(rows: Sequence[tuple[str, str, float, float]]) -> None:
    """Print (backend, case, ours, theirs) rows with the ratio ours / theirs."""
    header = f"{'backend':<18} {'case':<44} {'ours ms':>9} {'theirs ms':>10} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for backend, case, ours, theirs in rows:
        print(f"{backend:<18} {case:<44} {ours * 1e3:9.4f} {theirs * 1e3:10.4f} "
              f"{ours / theirs:6.3f}")
