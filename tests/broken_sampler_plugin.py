"""A pytest plugin for tests only: it breaks the sampler of the backends named in
``XAVIER_TEST_BROKEN_BACKENDS`` (comma-separated), in the conformance suite's own process.

Loaded into that process with ``PYTEST_PLUGINS=broken_sampler_plugin`` (and this folder on
``PYTHONPATH``), so that ``xavier-conformance`` can be watched failing on a backend as it would
on a real bug: the adapter's own ``sample`` entry point draws 1.1x too wide (a gain typo).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest

ENV_VAR = "XAVIER_TEST_BROKEN_BACKENDS"
FACTOR = 1.1


def _widened(sample: Any) -> Any:
    def broken(*args: Any, **kwargs: Any) -> Any:
        return sample(*args, **kwargs) * FACTOR

    return broken


def pytest_configure(config: pytest.Config) -> None:
    backend = config.getoption("--xavier-backend", default=None)
    if backend not in os.environ.get(ENV_VAR, "").split(","):
        return
    if backend == "numpy":
        module, name = importlib.import_module("xavier_adapters.numpy"), "initialize"
    else:  # the adapter entry point that backends.load_sampler calls
        module, name = importlib.import_module(f"xavier_adapters.{backend.split('-')[0]}"), "sample"
    setattr(module, name, _widened(getattr(module, name)))
