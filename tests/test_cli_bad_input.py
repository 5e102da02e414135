"""Issue 16, the two commands: every argument is checked before anything runs (a bad one is
exit status 2 and one message naming the option, echoing the value, saying what is allowed),
and the results are written even when checks fail or a later stage crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xavier_conformance import checks, cli, runner
from xavier_conformance.mnist import cli as mnist_cli


def _payload(backend: object, device: str, *args: object) -> dict:
    return {"backend": getattr(backend, "name", backend), "device": device, "versions": {},
            "exit_status": 1, "checks": [{"case": "c", "name": "ks", "p_value": 0.0,
                                          "passed": False}], "tests": []}


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any run at all fails the test: the arguments must be refused first."""
    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("a run started although an argument is bad")

    monkeypatch.setattr(runner, "run_backend", refuse)
    monkeypatch.setattr(cli, "run_mnist", refuse)
    monkeypatch.setattr(mnist_cli, "run_stage", refuse)


def _bad(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    return {
        "seed-negative": (["--seed", "-1"], r"--seed must be an integer in [0, 2**32), "
                                            "got --seed=-1"),
        "seed-huge": (["--seed", str(2**64)], f"got --seed={2**64}"),
        "device-tpu": (["--devices", "tpu"], "--devices must be comma-separated from cpu, "
                                             "cuda, gpu"),
        "device-empty": (["--devices", "cpu,bogus"], "'bogus' is not a known device"),
        "numpy-on-gpu": (["--backends", "numpy", "--devices", "cuda"],
                         "numpy backend draws on the CPU only"),
        "json-missing-dir": (["--json", str(tmp_path / "no" / "r.json")], "--json must be a "
                             "file path in an existing, writable directory"),
        "json-is-dir": (["--json", str(tmp_path)], "it is a directory"),
        "out-dir-under-file": (["--mnist", "quick", "--out-dir", str(afile / "sub")],
                               f"{afile} is not a directory"),
    }


@pytest.mark.parametrize("case", list(_bad(Path("/tmp"))))
def test_conformance_refuses_bad_arguments_before_running(
        case: str, tmp_path: Path, nothing_runs: None, capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected = _bad(tmp_path)[case]
    assert cli.main(["--backends", "numpy", *argv]) == 2
    err = capsys.readouterr().err
    assert f"xavier-conformance: error: {expected}" in err or expected in err, err


def test_cuda_unavailable_is_refused_up_front(nothing_runs: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert cli.main(["--backends", "torch", "--devices", "cuda"]) == 2
    assert "torch cannot use 'cuda' on this machine" in capsys.readouterr().err


def test_missing_conformance_extra_gives_the_pip_command(
        monkeypatch: pytest.MonkeyPatch, nothing_runs: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(checks, "SUITE_MODULES", ("pytest", "pytest_surely_absent_xyz"))
    assert cli.main(["--backends", "numpy"]) == 2
    err = capsys.readouterr().err
    assert "pytest_surely_absent_xyz" in err, err
    assert "pip install 'xavier-init[conformance]'" in err, err


def test_results_are_written_when_checks_fail(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setattr(runner, "run_backend", _payload)
    out = tmp_path / "r.json"
    assert cli.main(["--backends", "numpy", "--json", str(out)]) == 1
    assert json.loads(out.read_text())["backends"][0]["backend"] == "numpy"


def test_results_so_far_survive_a_crash_of_the_mnist_stage(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run_backend", _payload)
    monkeypatch.setattr(cli, "run_mnist", crash)
    out = tmp_path / "r.json"
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["--backends", "numpy", "--json", str(out), "--mnist", "quick",
                  "--out-dir", str(tmp_path / "reports")])
    assert json.loads(out.read_text())["backends"][0]["backend"] == "numpy"


@pytest.mark.parametrize("argv, expected", [
    (["--seeds", "0,-1"], r"--seeds must be an integer in [0, 2**32), got --seeds=-1"),
    (["--json", "/nonexistent-xyz/r.json"], "--json must be a file path"),
    (["--plot", "/nonexistent-xyz/c.png"], "--plot must be a file path"),
    (["--out-dir", "/dev/null/sub"], "--out-dir must be a writable directory"),
], ids=["seed-negative", "json", "plot", "out-dir"])
def test_mnist_command_refuses_bad_arguments_before_running(
        argv: list[str], expected: str, nothing_runs: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert mnist_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err


@pytest.mark.parametrize("value", [-1, 2**32, True, 1.0, "3"])
def test_check_seed_refuses(value: object) -> None:
    with pytest.raises(ValueError, match=r"must be an integer in \[0, 2\*\*32\)"):
        checks.check_seed(value)
