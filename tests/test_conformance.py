"""The conformance command: report, JSON, exit status, and missing backends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import xavier_core as xc
from xavier_conformance import backends, cli, report, runner


def test_numpy_backend_passes_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    code = cli.main(["--backends", "numpy", "--json", str(out)])
    payload = json.loads(out.read_text())["backends"][0]
    assert code == 0, report.headline([payload])
    names = {c["name"] for c in payload["checks"]}
    assert names >= {"bounds", "reach", "mean", "variance", "ks"}
    assert payload["versions"]["numpy"]
    assert not [t for t in payload["tests"] if t["outcome"] != "passed"]


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
