"""An installed wheel, in a fresh virtual environment and away from the checkout, runs the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_installed_wheel_runs_the_conformance_suite(tmp_path: Path) -> None:
    # Away from the checkout: a PYTHONPATH pointing at it would hide the wheel's own files.
    clean = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
                    str(ROOT)], check=True)
    wheel = next(dist.glob("xavier_init-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-c",
                    str(ROOT / ".ci" / "constraints.txt"), f"{wheel}[conformance]"], check=True,
                   env=clean)
    done = subprocess.run([str(venv / "bin" / "xavier-conformance"), "--backends", "numpy"],
                          cwd=tmp_path, capture_output=True, text=True, env=clean)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "overall: PASS" in done.stdout
    imported_from = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import xavier_conformance; print(xavier_conformance.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True, env=clean).stdout
    assert str(venv) in imported_from, f"got {imported_from}, but should be inside {venv}"
