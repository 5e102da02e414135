"""Mutation testing of xavier_core and the adapters with mutmut, outside CI.

    python tests/mutation.py                 # every target: core, torch, jax, keras
    python tests/mutation.py core torch      # some targets
    python tests/mutation.py --report        # only print the scores of the last runs
    python tests/mutation.py --retest core   # rerun only the last run's survivors (new tests)

Needs mutmut: ``pip install -c .ci/constraints.txt -e '.[mutation]'`` (not part of CI). One
worker by default (``MUTATION_WORKERS=N`` for more); run it under ``nice`` on a shared machine.
Scores and the survivors explained: ``docs/mutation.md``.

Each target mutates some modules and runs, per mutant, only the tests that called the mutated
function (mutmut records which tests reach which function, then forks one worker per mutant):

- core: ``xavier_core`` and ``xavier_adapters.numpy`` against the core unit tests;
- torch, jax, keras: that adapter against its own tests (Keras under the jax backend).

mutmut needs the import path to equal the file path from its working directory, so each target
is staged flat in ``build/mutation/<target>`` (``xavier_core/``, ``xavier_adapters/``,
``xavier_conformance/``, ``tests/``); mutants and results stay there between runs, and a rerun
tests only what changed. The last lines per target are its score, e.g.
``core: 1021 killed of 1052 (97.1 %), 31 survived, 0 without tests``; ``mutmut results`` inside the
staged folder lists the survivors and ``mutmut show NAME`` shows one. mutmut mutates the bodies of
functions and methods only (module constants and decorated functions are left alone), and
docstring examples are not run (mutmut copies each function per mutant, docstring included).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "mutation"
PACKAGES = {"xavier_core": ROOT / "xavier_core",
            "xavier_adapters": ROOT / "adapters" / "xavier_adapters",
            "xavier_conformance": ROOT / "conformance" / "xavier_conformance"}


@dataclass(frozen=True)
class Target:
    """Which modules to mutate, the tests that judge them, and the environment they need."""

    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    isolation: str = "fork"


# Tests that start subprocesses (they import the unmutated checkout) or train are left out.
TARGETS = {
    "core": Target(
        mutate=("xavier_core/*", "xavier_adapters/numpy.py"),
        tests=("tests/test_fans.py", "tests/test_fans_properties.py", "tests/test_gain.py",
               "tests/test_spec.py", "tests/test_errors.py", "tests/test_rules.py",
               "tests/test_einsum_layout.py", "tests/test_numpy_adapter.py",
               "tests/test_stats.py", "tests/test_record.py", "tests/test_rules_policies.py",
               "tests/test_entry_points.py", "tests/diagnostics/test_diag_core.py"),
    ),
    "torch": Target(
        mutate=("xavier_adapters/torch/*",),
        tests=("tests/torch",),
        env={"OMP_NUM_THREADS": "1"},
        isolation="forkserver",
    ),
    "jax": Target(
        mutate=("xavier_adapters/jax/*",),
        tests=("tests/jax",),
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=8", "OMP_NUM_THREADS": "1"},
        isolation="forkserver",
    ),
    "keras": Target(
        mutate=("xavier_adapters/keras/*",),
        tests=("tests/keras",),
        env={"KERAS_BACKEND": "jax", "OMP_NUM_THREADS": "1"},
        isolation="forkserver",
    ),
}


def _toml_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def stage(name: str, target: Target) -> Path:
    """``build/mutation/<name>``: the packages flat, the tests, and mutmut's configuration.

    Files are refreshed from the checkout; mutmut's own ``mutants/`` folder is kept, so that a
    rerun retests only the functions that changed.
    """
    folder = STAGE / name
    folder.mkdir(parents=True, exist_ok=True)
    for package, source in {**PACKAGES, "tests": ROOT / "tests"}.items():
        shutil.copytree(source, folder / package, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "README.md", folder / "README.md")  # some tests read it
    (folder / "pyproject.toml").write_text(f"""\
[tool.pytest.ini_options]
addopts = "-p no:cacheprovider"
markers = ["slow: trains a model or samples at scale"]

[tool.mutmut]
source_paths = {_toml_list(list(PACKAGES))}
only_mutate = {_toml_list(target.mutate)}
also_copy = ["README.md"]
pytest_add_cli_args_test_selection = {_toml_list(target.tests)}
pytest_add_cli_args = ["-m", "not slow"]
process_isolation = "{target.isolation}"
use_git_change_detection = false
""")
    return folder


def score(folder: Path) -> dict[str, int] | None:
    """killed, survived, ... of the last run in ``folder`` (from mutmut export-cicd-stats)."""
    stats = folder / "mutants" / "mutmut-cicd-stats.json"
    return json.loads(stats.read_text()) if stats.exists() else None


def describe(name: str, stats: dict[str, int] | None) -> str:
    if stats is None:
        return f"{name}: not run yet"
    judged = stats["killed"] + stats["survived"] + stats["timeout"] + stats["suspicious"]
    killed = stats["killed"] + stats["timeout"]
    share = 100.0 * killed / judged if judged else 0.0
    return (f"{name}: {killed} killed of {judged} ({share:.1f} %), {stats['survived']} survived, "
            f"{stats['no_tests']} without tests")


def survivors(folder: Path, env: dict[str, str]) -> list[str]:
    """The mutants of the last run in ``folder`` that survived or had no test."""
    listed = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=folder, env=env,
                            capture_output=True, text=True, check=True).stdout
    return [line.split(":")[0].strip() for line in listed.splitlines()
            if line.rstrip().endswith(("survived", "no tests"))]


def run(name: str, target: Target, max_children: int, retest: bool = False) -> int:
    folder = stage(name, target)
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", **target.env})
    print(f"\n=== {name}: mutating {', '.join(target.mutate)} in {folder}", flush=True)
    # A rerun tests only mutants without a result; --retest names the survivors to test again.
    again = survivors(folder, env) if retest else []
    if retest and not again:
        print(f"{name}: no survivors to retest", flush=True)
        return 0
    code = subprocess.call([*mutmut, "run", "--max-children", str(max_children), *again],
                           cwd=folder, env=env)
    subprocess.call([*mutmut, "export-cicd-stats"], cwd=folder, env=env,
                    stdout=subprocess.DEVNULL)
    return code


def main(argv: list[str]) -> int:
    import importlib.util

    if importlib.util.find_spec("mutmut") is None:
        print("mutmut is not installed: pip install -c .ci/constraints.txt -e '.[mutation]'",
              file=sys.stderr)
        return 2
    report_only = "--report" in argv
    chosen = [a for a in argv if not a.startswith("--")] or list(TARGETS)
    unknown = [c for c in chosen if c not in TARGETS]
    if unknown:
        print(f"unknown target(s) {unknown}; choose from {list(TARGETS)}", file=sys.stderr)
        return 2
    max_children = int(os.environ.get("MUTATION_WORKERS", "1"))
    retest = "--retest" in argv
    codes = [] if report_only else [run(n, TARGETS[n], max_children, retest) for n in chosen]
    print()
    for name in chosen:
        print(describe(name, score(STAGE / name)))
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
