"""Run the whole test suite: one pytest process per group, since KERAS_BACKEND is fixed at import.

    python tests/run.py                 # every group
    python tests/run.py core keras-jax  # some groups
    python tests/run.py -- -x -q        # extra pytest arguments after --
    python tests/run.py --jobs 1        # one group at a time (default: 2 at once)

Exits non-zero when any test fails, a group errors, or a group runs no test at all; the last
line is the total, e.g. ``tests: 412 passed, 0 failed, 3 skipped``.

Every docstring example of xavier_core, xavier_adapters and xavier_conformance runs as a doctest
in the group whose framework it needs (:func:`doctest_files`): a module whose path names keras
runs under each Keras backend, one naming jax in the jax group, every other one in core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PACKAGES = (ROOT / "xavier_core", ROOT / "adapters" / "xavier_adapters",
            ROOT / "conformance" / "xavier_conformance")
SUITE = ROOT / "conformance" / "xavier_conformance" / "suite"
KERAS_BACKENDS = ("tensorflow", "jax", "torch")
# A group is one pytest process: its paths and the environment it needs.
GROUPS: dict[str, tuple[list[str], dict[str, str]]] = {
    "core": ([str(TESTS), f"--ignore={TESTS / 'keras'}", f"--ignore={TESTS / 'jax'}"], {}),
    # 8 host devices for the sharding tests; XLA reads the flag once, at backend start.
    "jax": ([str(TESTS / "jax")], {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}),
    **{
        f"keras-{backend}": ([str(TESTS / "keras")], {"KERAS_BACKEND": backend})
        for backend in KERAS_BACKENDS
    },
}


def framework_of(path: Path) -> str | None:
    """``keras`` or ``jax`` when a part of the path names it (``keras/``, ``probes/jax.py``,
    ``train_keras.py``), else None: the framework a module's examples need their group for."""
    words = {word for part in path.relative_to(ROOT).with_suffix("").parts
             for word in part.split("_")}
    return next((name for name in ("keras", "jax") if name in words), None)


def doctest_files(group: str) -> list[str]:
    """The package modules with a docstring example (``>>>``) that run in ``group``.

    The suite's own test modules are left out: they are tests, not documentation, and their
    conftest would load the conformance plugin into the group's process.
    """
    wanted = "keras" if group.startswith("keras-") else "jax" if group == "jax" else None
    found = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            if SUITE in path.parents or ">>>" not in path.read_text(encoding="utf-8"):
                continue
            if framework_of(path) == wanted:
                found.append(str(path))
    return found


@dataclass
class Outcome:
    """What one group's pytest process gave: its exit code, its counts and its output."""

    name: str
    code: int
    counts: dict[str, int]
    output: str


def _command(name: str, report: Path, extra: list[str]) -> tuple[list[str], str]:
    paths, _ = GROUPS[name]
    doctests = doctest_files(name)
    command = [sys.executable, "-m", "pytest", *paths, f"--junitxml={report}", *extra]
    shown = " ".join(command[3:])
    if doctests:
        command[3:3] = ["--doctest-modules", *doctests]
        shown = f"--doctest-modules <{len(doctests)} modules> {shown}"
    return command, f"=== {name}: {shown}"


def _counts(report: Path) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        for suite in ET.parse(report).getroot().iter("testsuite"):
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return counts


def run_group(name: str, extra: list[str], capture: bool = False) -> Outcome:
    """One group's pytest process; its output streams through, or is captured when several
    groups run at once (then printed whole when the group ends, so groups never interleave)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **GROUPS[name][1]}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command, header = _command(name, report, extra)
        if not capture:
            print(f"\n{header}", flush=True)
            return Outcome(name, subprocess.call(command, env=env), _counts(report), "")
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace")
        return Outcome(name, done.returncode, _counts(report), f"\n{header}\n{done.stdout}")


def _jobs(argv: list[str]) -> tuple[int, list[str]]:
    """``--jobs N`` (or ``XAVIER_TEST_JOBS``; default 2): how many groups run at once."""
    jobs = os.environ.get("XAVIER_TEST_JOBS", "2")
    if "--jobs" in argv:
        at = argv.index("--jobs")
        jobs, argv = (argv[at + 1] if at + 1 < len(argv) else ""), argv[:at] + argv[at + 2:]
    if not jobs.isdigit() or int(jobs) < 1:
        raise SystemExit(f"--jobs must be a positive int, got --jobs {jobs!r}")
    return int(jobs), argv


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    jobs, chosen = _jobs(argv[: argv.index("--")] if "--" in argv else argv)
    chosen = chosen or list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        print(f"unknown group(s) {unknown}; choose from {list(GROUPS)}", file=sys.stderr)
        return 2
    if jobs == 1 or len(chosen) == 1:
        outcomes = [run_group(name, extra) for name in chosen]
    else:
        # Longest first (GROUPS is in that order), so the long pole starts at once.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            running = [pool.submit(run_group, name, extra, True) for name in chosen]
            outcomes = []
            for future in as_completed(running):
                outcomes.append(future.result())
                print(outcomes[-1].output, end="", flush=True)
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    broken = []
    for outcome in outcomes:
        counts = outcome.counts
        failed = counts["failures"] + counts["errors"]
        totals["failed"] += failed
        totals["skipped"] += counts["skipped"]
        totals["passed"] += counts["tests"] - failed - counts["skipped"]
        if outcome.code != 0 or counts["tests"] == 0:
            broken.append(f"{outcome.name} (pytest exit {outcome.code}, {counts['tests']} tests)")
    if broken:
        print(f"\nfailed groups: {', '.join(broken)}")
    print(f"tests: {totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped")
    return 1 if broken or totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
