"""Run the suite once per backend, each in its own pytest process, and collect the JSON results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xavier_core as xc
from xavier_conformance import backends

SUITE = Path(__file__).resolve().parent / "suite"


def choose_backends(requested: list[str] | None) -> tuple[list[backends.Backend], list[str]]:
    """The backends to run and a note per installed-or-not backend left out.

    Requested backends must all be installed (else a XavierError with the install hint); with no
    request, every installed backend runs and the others are reported with their hint.
    """
    if requested:
        chosen = [backends.get_backend(name) for name in requested]
        for backend in chosen:
            missing = backend.missing_modules()
            if missing:
                raise xc.XavierError(f"backend {backend.name!r} was requested but "
                                     f"{', '.join(missing)} is not installed; "
                                     f"{backend.install_hint}")
        return chosen, []
    chosen, notes = [], []
    for backend in backends.BACKENDS.values():
        missing = backend.missing_modules()
        if missing:
            notes.append(f"{backend.name}: skipped, {', '.join(missing)} not installed "
                         f"({backend.install_hint})")
        else:
            chosen.append(backend)
    return chosen, notes


def run_backend(backend: backends.Backend, device: str, seed: int = 0,
                verbose: bool = False, quick: bool = False) -> dict:
    """One pytest process for ``backend`` on ``device``; its JSON payload plus wall time.
    ``quick``: one statistical case per weight instead of the full matrix."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, "-m", "pytest", str(SUITE), "-q", "--rootdir", str(SUITE),
                   "-c", str(SUITE / "pytest.ini"), f"--xavier-backend={backend.name}",
                   f"--xavier-device={device}", f"--xavier-seed={seed}", f"--xavier-json={out}",
                   *(["--xavier-quick"] if quick else [])]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **backend.env}
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=not verbose, text=True)
        seconds = time.perf_counter() - start
        if out.exists():
            payload = json.loads(out.read_text())
        else:
            tail = "\n".join((done.stdout or "").splitlines()[-15:] + (done.stderr or "")
                             .splitlines()[-5:])
            payload = {"backend": backend.name, "device": device, "versions": {},
                       "exit_status": done.returncode, "checks": [], "tests": [],
                       "crash": tail or f"pytest exited with {done.returncode}"}
    payload["seconds"] = round(seconds, 2)
    return payload
