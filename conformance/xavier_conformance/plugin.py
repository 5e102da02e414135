"""The pytest plugin behind the suite: options, the backend's sampler, and the JSON results.

Options (or environment variables): ``--xavier-backend`` (``XAVIER_BACKEND``, default numpy),
``--xavier-device`` (``XAVIER_DEVICE``, default cpu), ``--xavier-seed``, ``--xavier-json PATH``,
``--xavier-quick`` (one statistical case per weight, see :func:`cases.cases_for`).
The suite runs one backend per pytest process; ``xavier-conformance`` starts one per backend.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from xavier_conformance import backends, cases, native, stats

_RESULTS = pytest.StashKey[list]()
_OUTCOMES = pytest.StashKey[list]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xavier-conformance")
    group.addoption("--xavier-backend", default=os.environ.get("XAVIER_BACKEND", "numpy"),
                    help=f"one of {', '.join(backends.BACKENDS)} (default numpy)")
    group.addoption("--xavier-device", default=os.environ.get("XAVIER_DEVICE", "cpu"),
                    help="cpu (default), cuda or gpu")
    group.addoption("--xavier-seed", type=int, default=0, help="base seed (default 0)")
    group.addoption("--xavier-json", default=None, help="write the results to this JSON file")
    group.addoption("--xavier-quick", action="store_true",
                    help="one statistical case per weight instead of the full matrix")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--xavier-backend")
    backend = backends.get_backend(name)
    missing = backend.missing_modules()
    if missing:
        raise pytest.UsageError(f"backend {name!r} needs {', '.join(missing)}, which is not "
                                f"installed; {backend.install_hint}")
    config.stash[_RESULTS] = []
    config.stash[_OUTCOMES] = []
    config.addinivalue_line("markers", "backend(*names): run only for these backends")
    config.pluginmanager.register(_Collector(config), "xavier-conformance-collector")


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> backends.Backend:
    """The backend under test."""
    return backends.get_backend(pytestconfig.getoption("--xavier-backend"))


@pytest.fixture(scope="session")
def device(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--xavier-device"))


@pytest.fixture(scope="session")
def base_seed(pytestconfig: pytest.Config) -> int:
    return int(pytestconfig.getoption("--xavier-seed"))


@pytest.fixture(scope="session")
def sampler(backend: backends.Backend) -> backends.Sampler:
    """The backend's sampler, its framework imported once for the session."""
    return backends.load_sampler(backend)


@pytest.fixture
def record(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Call ``record(case_id, results)`` to put check results into the JSON report."""
    store = request.config.stash[_RESULTS]

    def add(case_id: str, results: list[stats.CheckResult]) -> None:
        for result in results:
            store.append({"test": request.node.nodeid, "case": case_id, **asdict(result)})

    return add


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backend = backends.get_backend(metafunc.config.getoption("--xavier-backend"))
    if "case" in metafunc.fixturenames:
        matrix = cases.cases_for(backend.layout, backend.dtypes,
                                 quick=metafunc.config.getoption("--xavier-quick"))
        metafunc.parametrize("case", matrix, ids=[f"{backend.name}-{c.id}" for c in matrix])
    if "native_row" in metafunc.fixturenames and backend.name in native.MODULES:
        found = native.rows_for(backend.name, metafunc.config.getoption("--xavier-seed"))
        metafunc.parametrize("native_row", found, ids=[f"{backend.name}-{r.id}" for r in found])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``backend(name, ...)`` run only for those backends; others are deselected."""
    name = config.getoption("--xavier-backend")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        (keep if marker is None or name in marker.args else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _versions(backend: backends.Backend) -> dict[str, str]:
    """Versions as the imported modules state them (tensorflow-cpu installs "tensorflow")."""
    found = {}
    for name in sorted({"numpy", "scipy", *backend.modules}):
        module = sys.modules.get(name)
        found[name] = getattr(module, "__version__", None) or "not imported"
    found["xavier-init"] = importlib.metadata.version("xavier-init")
    found["python"] = platform.python_version()
    return found


class _Collector:
    """Collects every test's outcome and writes the JSON results at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            message = str(report.longrepr).splitlines()[-1] if report.longrepr else ""
            self.config.stash[_OUTCOMES].append({"test": report.nodeid, "phase": "collect",
                                                 "outcome": "failed", "message": message})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            message = str(report.longrepr).splitlines()[-1] if report.longrepr else ""
            self.config.stash[_OUTCOMES].append({"test": report.nodeid, "phase": report.when,
                                                 "outcome": report.outcome, "message": message})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        path = self.config.getoption("--xavier-json")
        if not path:
            return
        backend = backends.get_backend(self.config.getoption("--xavier-backend"))
        payload = {
            "backend": backend.name,
            "device": self.config.getoption("--xavier-device"),
            "versions": _versions(backend),
            "exit_status": int(exitstatus),
            "checks": self.config.stash[_RESULTS],
            "tests": self.config.stash[_OUTCOMES],
        }
        Path(path).write_text(json.dumps(payload, indent=1))
