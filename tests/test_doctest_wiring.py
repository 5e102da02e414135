"""Every docstring example of the packages runs in CI, in the group whose framework it needs.

``tests/run.py`` adds ``--doctest-modules`` and the modules with examples to each group; these
tests pin down which module lands where, that none is left out, and that an example is skipped
only where it would train MNIST for minutes.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_runner():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("xavier_tests_run", ROOT / "tests" / "run.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


RUN = _load_runner()
SKIPPED_EXAMPLES = {
    "conformance/xavier_conformance/mnist/__init__.py": "trains MNIST (tests/mnist runs it)",
    "conformance/xavier_conformance/mnist/stage.py": "trains MNIST (tests/mnist runs it)",
}
"""The only modules allowed a ``# doctest: +SKIP``, and why."""


def _relative(paths: list[str]) -> set[str]:
    return {Path(p).relative_to(ROOT).as_posix() for p in paths}


def _with_examples() -> set[str]:
    found = set()
    for package in RUN.PACKAGES:
        for path in package.rglob("*.py"):
            if RUN.SUITE not in path.parents and ">>>" in path.read_text(encoding="utf-8"):
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_every_module_with_an_example_runs_in_some_group() -> None:
    covered = set().union(*(_relative(RUN.doctest_files(g)) for g in RUN.GROUPS))
    missing = sorted(_with_examples() - covered)
    assert not missing, f"got modules whose examples no group runs: {missing}, but should be none"


@pytest.mark.parametrize(
    ("module", "groups"),
    [
        ("xavier_core/fans.py", {"core"}),
        ("adapters/xavier_adapters/numpy.py", {"core"}),
        ("adapters/xavier_adapters/torch/sampling.py", {"core"}),
        ("adapters/xavier_adapters/probes/torch.py", {"core"}),
        ("conformance/xavier_conformance/experiment/figures.py", {"core"}),
        ("adapters/xavier_adapters/jax/initializers.py", {"jax"}),
        ("adapters/xavier_adapters/probes/jax.py", {"jax"}),
        ("adapters/xavier_adapters/keras/initializers.py",
         {"keras-tensorflow", "keras-jax", "keras-torch"}),
        ("adapters/xavier_adapters/probes/keras.py",
         {"keras-tensorflow", "keras-jax", "keras-torch"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(sorted(value)),
)
def test_examples_run_where_their_framework_is(module: str, groups: set[str]) -> None:
    got = {g for g in RUN.GROUPS if module in _relative(RUN.doctest_files(g))}
    assert got == groups, f"got {module} in groups {sorted(got)}, but should be {sorted(groups)}"


def test_an_example_is_skipped_only_where_it_trains_mnist() -> None:
    skipping = {module for module in _with_examples()
                if re.search(r"doctest:\s*\+SKIP", (ROOT / module).read_text(encoding="utf-8"))}
    unexplained = sorted(skipping - set(SKIPPED_EXAMPLES))
    assert not unexplained, (f"got '+SKIP' examples in {unexplained}, but should be only in "
                             f"{sorted(SKIPPED_EXAMPLES)}: examples must run")
