"""Run the whole test suite: one pytest process per group, since KERAS_BACKEND is fixed at import.

    python tests/run.py                 # every group
    python tests/run.py core keras-jax  # some groups
    python tests/run.py -- -x -q        # extra pytest arguments after --

Exits non-zero when any test fails, a group errors, or a group runs no test at all; the last
line is the total, e.g. ``tests: 412 passed, 0 failed, 3 skipped``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TESTS = Path(__file__).resolve().parent
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


def run_group(name: str, extra: list[str]) -> tuple[int, dict[str, int]]:
    paths, env = GROUPS[name]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *paths, f"--junitxml={report}", *extra]
        print(f"\n=== {name}: {' '.join(command[3:])}", flush=True)
        code = subprocess.call(command, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if report.exists():
            for suite in ET.parse(report).getroot().iter("testsuite"):
                for key in counts:
                    counts[key] += int(suite.get(key, 0))
    return code, counts


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    chosen = (argv[: argv.index("--")] if "--" in argv else argv) or list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        print(f"unknown group(s) {unknown}; choose from {list(GROUPS)}", file=sys.stderr)
        return 2
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    broken = []
    for name in chosen:
        code, counts = run_group(name, extra)
        failed = counts["failures"] + counts["errors"]
        totals["failed"] += failed
        totals["skipped"] += counts["skipped"]
        totals["passed"] += counts["tests"] - failed - counts["skipped"]
        if code != 0 or counts["tests"] == 0:
            broken.append(f"{name} (pytest exit {code}, {counts['tests']} tests)")
    if broken:
        print(f"\nfailed groups: {', '.join(broken)}")
    print(f"tests: {totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped")
    return 1 if broken or totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
