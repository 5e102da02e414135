"""Helpers shared by the Keras adapter tests (imported by name: tests/keras is on sys.path)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import xavier_core as xc
from xavier_adapters.keras.sampling import to_numpy
from xavier_conformance import stats

BACKEND = keras.config.backend()


def numpy_of(values: Any) -> np.ndarray:
    """A backend tensor or Keras variable as numpy in its own dtype (bfloat16 via ml_dtypes)."""
    values = keras.ops.convert_to_tensor(values)
    dtype = xc.dtype_name(values.dtype)
    if dtype not in xc.FLOAT_DTYPES:  # an integer count or a quantized kernel
        return keras.ops.convert_to_numpy(values)
    return to_numpy(values, dtype)


def assert_matches(values: Any, distribution: xc.Distribution, context: str) -> None:
    """Bounds and reach (bounded laws), mean, variance and Kolmogorov-Smirnov of ``values``."""
    for result in stats.check_sample(numpy_of(values), distribution):
        assert result.passed, f"{result.describe()} [{BACKEND}, {context}]"


def assert_contract(model: Any, report: xc.InitReport, context: str) -> None:
    """One record per variable of ``model.weights`` (non-trainable included), each in one of the
    contract's states, and every drawn variable passing the statistics against its record."""
    paths = [v.path for v in model.weights]
    names = [r.name for r in report]
    assert sorted(names) == sorted(paths) and len(set(names)) == len(names), (
        f"got records {names}, but should be one per variable {paths} [{context}]")
    for record in report:
        assert record.state in xc.STATES, f"got state {record.state!r} [{context}, {record}]"
    variables = {v.path: v for v in model.weights}
    for record in report.by_state("drawn"):
        assert_matches(variables[record.name], record.distribution, f"{context}, {record.name}")
