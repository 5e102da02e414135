"""The MNIST stage: every backend trains the seed's model in its own process, then is judged.

Each backend runs in a fresh interpreter (``python -m xavier_conformance.mnist.worker``), since
``KERAS_BACKEND`` is fixed when Keras is first imported; backends run one after another so that
they do not compete for the CPU. The data are located (and downloaded, if needed) once, here,
before any worker starts.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import xavier_conformance
from xavier_conformance.mnist.backends import ALL_BACKENDS, BACKENDS
from xavier_conformance.mnist.data import find_mnist
from xavier_conformance.mnist.results import TIERS, BackendResult, StageResult
from xavier_core.errors import bad_argument

DEFAULT_THREADS = 1
"""Intra-op threads per worker. A batch-32 MLP gains little from more; one thread keeps the
results independent of the machine's core count, and keeps torch's spinning thread pool from
slowing down by 5-10x when other processes share the CPU."""


def _package_roots() -> list[str]:
    """The folders that hold xavier_core, xavier_adapters and xavier_conformance."""
    import xavier_adapters
    import xavier_core

    packages = (xavier_core, xavier_adapters, xavier_conformance)
    return list(dict.fromkeys(str(Path(p.__path__[0]).parent) for p in packages))


def worker_env(backend: str, threads: int | None = DEFAULT_THREADS) -> dict[str, str]:
    """The environment of ``backend``'s worker: ours, plus its Keras backend, the import path
    and, unless ``threads`` is None, the intra-op thread count of torch and TensorFlow."""
    path = os.pathsep.join([*_package_roots(), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path, **BACKENDS[backend][1]}
    if threads is not None:
        env |= {"OMP_NUM_THREADS": str(threads), "TF_NUM_INTRAOP_THREADS": str(threads)}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_backend(backend: str, epochs: int, seeds: Sequence[int], data_dir: Path,
                workdir: Path, threads: int | None = DEFAULT_THREADS) -> BackendResult:
    """Train ``backend`` in a worker process; its runs, or the error that stopped it."""
    out = workdir / f"{backend}.json"
    command = [sys.executable, "-m", "xavier_conformance.mnist.worker", "--backend", backend,
               "--epochs", str(epochs), "--seeds", *map(str, seeds), "--data-dir", str(data_dir),
               "--out", str(out)]
    start = time.perf_counter()
    code = subprocess.call(command, env=worker_env(backend, threads), stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    if not out.exists():
        return BackendResult(backend, error=f"worker exited with status {code} and no result",
                             wall_seconds=wall)
    return BackendResult.from_json(json.loads(out.read_text()), wall_seconds=wall)


def _check_backends(backends: Iterable[str]) -> tuple[str, ...]:
    chosen = (backends.split(",") if isinstance(backends, str) else list(backends))
    unknown = [b for b in chosen if b not in BACKENDS]
    if unknown or not chosen:
        raise bad_argument("backends", chosen, f"a non-empty list from {', '.join(BACKENDS)}")
    return tuple(dict.fromkeys(chosen))


def _check_seeds(seeds: Iterable[int]) -> tuple[int, ...]:
    chosen = tuple(seeds)
    if not chosen or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                             for s in chosen):
        raise bad_argument("seeds", chosen, "a non-empty sequence of integers >= 0")
    return chosen


def machine(threads: int | None) -> dict[str, object]:
    """Where and how the stage ran: platform, CPU count, Python, intra-op threads per worker."""
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "threads": threads}


def run_stage(
    backends: Iterable[str] | str = ALL_BACKENDS,
    tier: str = "quick",
    seeds: Iterable[int] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    threads: int | None = DEFAULT_THREADS,
    on_backend: Callable[[BackendResult], object] | None = None,
) -> StageResult:
    """Train the seed's MNIST model on each backend and judge the results against ``tier``.

    Args:
      backends: names from :data:`ALL_BACKENDS` (a list, or one comma-separated string).
      tier: ``"quick"`` (1 epoch, seed 0) or ``"full"`` (10 epochs, seeds 0 to 4).
      seeds: overrides the tier's seeds (more seeds, a tighter mean).
      data_dir: where the MNIST files are; default as :func:`~.data.find_mnist`.
      out_dir: if given, ``mnist-{tier}.json``, ``.txt`` (the table) and ``.png`` (the curves)
        are written there.
      threads: intra-op threads of torch and TensorFlow in each worker (``OMP_NUM_THREADS``,
        ``TF_NUM_INTRAOP_THREADS``); None leaves the frameworks' defaults. XLA picks its own.
      on_backend: called with each backend's result as soon as its worker ends.

    Returns:
      A :class:`~.results.StageResult`; ``.passed`` and ``.failures()`` give the verdict.

    Raises:
      XavierError: an unknown backend or tier, bad seeds, or no MNIST data.

    Example:
      >>> result = run_stage(["torch", "jax"], tier="quick")      # doctest: +SKIP
      >>> result.passed, [round(b.mean_final, 4) for b in result.backends]   # doctest: +SKIP
      (True, [0.9605, 0.9612])
    """
    chosen = _check_backends(backends)
    if tier not in TIERS:
        raise bad_argument("tier", tier, f"one of {', '.join(TIERS)}")
    spec = TIERS[tier]
    run_seeds = spec.seeds if seeds is None else _check_seeds(seeds)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise bad_argument("threads", threads, "a positive integer or None")
    directory = find_mnist(data_dir).resolve()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xavier-mnist-") as workdir:
        results = []
        for backend in chosen:
            results.append(run_backend(backend, spec.epochs, run_seeds, directory, Path(workdir),
                                       threads))
            if on_backend is not None:
                on_backend(results[-1])
    result = StageResult(spec, run_seeds, tuple(results), time.perf_counter() - start,
                         machine(threads))
    if out_dir is not None:
        save_outputs(result, Path(out_dir))
    return result


def save_outputs(result: StageResult, out_dir: Path) -> list[Path]:
    """Write the JSON record, the table and the curves of ``result`` into ``out_dir``."""
    from xavier_conformance.mnist.report import render, save_plot

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"mnist-{result.tier.name}"
    paths = [stem.with_suffix(".json"), stem.with_suffix(".txt"), stem.with_suffix(".png")]
    paths[0].write_text(json.dumps(result.to_json(), indent=1))
    paths[1].write_text(render(result) + "\n")
    save_plot(result, paths[2])
    return paths
