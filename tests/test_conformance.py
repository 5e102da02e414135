"""The conformance command: report, JSON, exit status, and missing backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import xavier_core as xc
from xavier_conformance import backends, cli, report, runner, stats

TESTS = Path(__file__).resolve().parent
SUITE_TESTS = {"numpy": {"test_statistics", "test_teeth"},
               "torch": {"test_statistics", "test_native_fans", "test_native_torch"}}
"""The suite's test modules each backend must run (the others: statistics and native fans)."""


def _run_quick(backend: str, tmp_path: Path) -> tuple[int, dict]:
    out = tmp_path / "results.json"
    code = cli.main(["--backends", backend, "--quick", "--json", str(out)])
    return code, json.loads(out.read_text())["backends"][0]


@pytest.mark.parametrize("name", list(backends.BACKENDS))
def test_every_backend_passes_the_quick_suite(name: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # Each backend in its own process with its own adapter: statistics of one case per weight
    # (transposed, grouped and stacked layouts among them), its native layers' fans, and for
    # numpy the teeth and calibration of the checks themselves.
    backend = backends.get_backend(name)
    if backend.missing_modules():
        pytest.skip(f"{name} is not installed: {backend.install_hint}")
    code, payload = _run_quick(name, tmp_path)
    assert code == 0, report.headline([payload])
    assert "overall: PASS" in capsys.readouterr().out
    assert {c["name"] for c in payload["checks"]} >= set(stats.CHECKS)
    ran = {t["test"].split(".py::")[0] for t in payload["tests"]}
    expected = SUITE_TESTS.get(name, {"test_statistics", "test_native_fans"})
    assert ran == expected, f"got suite modules {sorted(ran)}, but should be {sorted(expected)}"
    assert all(t["outcome"] == "passed" for t in payload["tests"])
    framework = backend.modules[-1]
    assert payload["versions"][framework] != "not imported", (
        f"got {framework} not imported in the {name} run, but its sampler should use it")


def test_a_broken_backend_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # torch's own adapter entry point draws 1.1x too wide, in the suite's child process only.
    monkeypatch.setenv("PYTEST_PLUGINS", "broken_sampler_plugin")
    monkeypatch.setenv("XAVIER_TEST_BROKEN_BACKENDS", "torch")
    paths = [str(TESTS), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    code, payload = _run_quick("torch", tmp_path)
    printed = capsys.readouterr().out
    assert code == 1, f"got exit {code}, but a failing backend should give 1"
    assert "overall: FAIL" in printed and "HEADLINE\n" in printed, printed
    failed = {t["test"] for t in payload["tests"] if t["outcome"] == "failed"}
    statistical = {t["test"] for t in payload["tests"] if "test_statistics" in t["test"]}
    assert failed == statistical, (f"got failures {sorted(failed)}, but should be exactly the "
                                   f"statistical cases {sorted(statistical)}")
    assert all(f"FAILED {test}" in printed for test in failed), printed


def test_requested_backend_that_is_missing_fails_with_install_hint(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ghost = backends.Backend("torch", ("torch_surely_absent",), "torch", xc.TORCH)
    monkeypatch.setitem(backends.BACKENDS, "torch", ghost)
    assert cli.main(["--backends", "torch"]) == 2
    assert "pip install 'xavier-init[torch]'" in capsys.readouterr().err


def test_missing_backend_is_skipped_with_hint_when_not_requested(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = backends.Backend("torch", ("torch_surely_absent",), "torch", xc.TORCH)
    monkeypatch.setitem(backends.BACKENDS, "torch", ghost)
    chosen, notes = runner.choose_backends(None)
    assert "torch" not in [b.name for b in chosen]
    assert any("xavier-init[torch]" in note for note in notes)


def test_unknown_backend_is_a_named_error() -> None:
    with pytest.raises(xc.XavierError, match="backend='tensorflw'"):
        runner.choose_backends(["tensorflw"])


def test_report_headline_names_differences_between_backends() -> None:
    def payload(name: str, passed: bool) -> dict:
        check = {"case": "float16-uniform-dense", "name": "ks", "p_value": 0.5, "passed": passed}
        return {"backend": name, "device": "cpu", "versions": {}, "exit_status": int(not passed),
                "checks": [check], "tests": []}

    lines = report.headline([payload("numpy", True), payload("jax", False)])
    assert lines == ["DIFFERS float16-uniform-dense ks: passes on numpy; fails on jax"]


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "xavier_conformance", "--help"],
                          capture_output=True, text=True, check=True)
    assert "xavier-conformance" in done.stdout


@pytest.mark.slow
def test_mnist_stage_runs_from_the_conformance_command(tmp_path: Path) -> None:
    passed, record = cli.run_mnist("quick", ["numpy", "jax"], tmp_path)
    assert passed, record
    assert [b["backend"] for b in record["backends"]] == ["jax"]  # numpy trains nothing
    assert {p.name for p in tmp_path.iterdir()} == {"mnist-quick.json", "mnist-quick.txt",
                                                    "mnist-quick.png"}
