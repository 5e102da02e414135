"""The stage: its arguments, its worker processes, and the quick tier itself (slow, in CI).

The quick tier trains every backend for one epoch (seed 0) in its own process; each must reach
95.5% test accuracy and the backends must agree within 1.0 point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from xavier_conformance.mnist import ALL_BACKENDS, FILES, StageResult, run_stage
from xavier_conformance.mnist import cli as mnist_cli
from xavier_conformance.mnist import worker as mnist_worker
from xavier_core import XavierError

BAD_ARGUMENTS = {
    "unknown-backend": ({"backends": ["torch", "mxnet"]}, "backends must be a non-empty list"),
    "empty-backends": ({"backends": []}, "got backends=[]"),
    "unknown-tier": ({"tier": "medium"}, "tier must be one of quick, full, got tier='medium'"),
    "negative-seed": ({"seeds": [0, -1]}, "seeds=(0, -1)"),
    "no-seeds": ({"seeds": []}, "seeds must be a non-empty sequence"),
    "zero-threads": ({"threads": 0}, "threads must be a positive integer or None, got threads=0"),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_bad_argument_is_refused_before_training(case: str, mnist_dir: Path) -> None:
    kwargs, expected = BAD_ARGUMENTS[case]
    with pytest.raises(XavierError, match=re.escape(expected)):
        run_stage(**{"data_dir": mnist_dir, **kwargs})


def test_missing_data_is_refused_before_any_worker(tmp_path: Path) -> None:
    with pytest.raises(XavierError, match="data_dir must be a directory"):
        run_stage(["torch"], data_dir=tmp_path / "nowhere")


def test_worker_failure_is_reported_not_raised(copy_of: Callable[..., Path],
                                               tmp_path: Path) -> None:
    # A corrupt file passes the parent's existence check; the worker's SHA-256 check fails.
    labels = FILES["test_labels"].name
    corrupt = copy_of(tamper={labels: lambda d: d[:8] + bytes([9 - d[8]]) + d[9:]})
    seen = []
    result = run_stage(["jax"], data_dir=corrupt, out_dir=tmp_path / "out", on_backend=seen.append)
    assert seen == list(result.backends), "on_backend should see each backend's result"
    assert not result.passed
    [failure] = result.failures()
    assert failure.startswith("jax: XavierError: ") and "is corrupt" in failure, failure
    record = json.loads((tmp_path / "out" / "mnist-quick.json").read_text())
    assert record["failures"] == [failure]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "mnist-quick.json", "mnist-quick.png", "mnist-quick.txt"]


def test_worker_refuses_a_wrong_keras_backend(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    out = tmp_path / "worker.json"
    code = mnist_worker.main(["--backend", "keras-jax", "--epochs", "1", "--seeds", "0",
                              "--out", str(out)])
    record = json.loads(out.read_text())
    assert code == 1
    assert record == {"backend": "keras-jax", "error": "RuntimeError: keras-jax needs "
                      "KERAS_BACKEND=jax, got KERAS_BACKEND='tensorflow'"}


@pytest.fixture(scope="module")
def quick_tier(mnist_dir: Path) -> StageResult:
    return run_stage(ALL_BACKENDS, tier="quick", data_dir=mnist_dir)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_quick_tier_backend_reaches_95_5_percent(backend: str, quick_tier: StageResult) -> None:
    [result] = [b for b in quick_tier.backends if b.backend == backend]
    assert result.error is None, f"got error {result.error!r}, but {backend} should train"
    assert [len(r.test_accuracy) for r in result.runs] == [1], "one seed, one epoch"
    assert result.mean_final >= 0.955, (
        f"got {result.mean_final:.2%} after one epoch, but should be >= 95.50% [{backend}]")


@pytest.mark.slow
def test_quick_tier_backends_agree_within_one_point(quick_tier: StageResult) -> None:
    assert quick_tier.spread <= 0.010, (
        f"got a spread of {quick_tier.spread * 100:.2f} points, but should be <= 1.00 "
        f"{[(b.backend, b.mean_final) for b in quick_tier.backends]}")
    assert quick_tier.passed, quick_tier.failures()


def test_cli_refuses_an_unknown_backend(mnist_dir: Path, capsys: pytest.CaptureFixture) -> None:
    code = mnist_cli.main(["--backends", "torch,mxnet", "--data-dir", str(mnist_dir)])
    assert code == 2
    assert "error: backends must be a non-empty list from torch" in capsys.readouterr().err


def test_cli_prints_the_verdict_and_writes_json_and_plot(copy_of: Callable[..., Path],
                                                         tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    labels = FILES["test_labels"].name
    corrupt = copy_of(tamper={labels: lambda d: d[:8] + bytes([9 - d[8]]) + d[9:]})
    code = mnist_cli.main(["--backends", "jax", "--data-dir", str(corrupt),
                           "--json", str(tmp_path / "out.json"), "--plot", str(tmp_path / "c.png")])
    captured = capsys.readouterr()
    assert code == 1, f"got exit {code}, but a failed stage should exit 1"
    assert "\nFAIL\n  jax: XavierError" in captured.out, captured.out
    assert "mnist: jax done in" in captured.err, captured.err
    assert json.loads((tmp_path / "out.json").read_text())["passed"] is False
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
