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
    contract's states, and every drawn variable passing the statistics against its record;
    those too small to catch a :data:`POWER` scale error alone pass them pooled too."""
    paths = [v.path for v in model.weights]
    names = [r.name for r in report]
    assert sorted(names) == sorted(paths) and len(set(names)) == len(names), (
        f"got records {names}, but should be one per variable {paths} [{context}]")
    for record in report:
        assert record.state in xc.STATES, f"got state {record.state!r} [{context}, {record}]"
    variables = {v.path: v for v in model.weights}
    families: dict[tuple, list[tuple[bool, str, np.ndarray, xc.Distribution]]] = {}
    for record in report.by_state("drawn"):
        values = numpy_of(variables[record.name])
        assert_matches(values, record.distribution, f"{context}, {record.name}")
        weak = stats.detectable_scale_error(record.distribution, values.size) > POWER
        family = (type(record.distribution), getattr(record.distribution, "cut", None))
        families.setdefault(family, []).append(
            (weak, record.name, *stats.standardized(values, record.distribution)))
    for members in families.values():
        weak = [member[1:] for member in members if member[0]]
        if weak:  # pooled together, or with their whole family when that is still too few
            pooled = weak if _figure(weak) <= POWER else [member[1:] for member in members]
            assert_pooled_have_power(pooled, context)


POWER = 0.10
"""The largest scale (std) error a model test may miss: a drawn variable too small to catch
it alone (:func:`xavier_conformance.stats.detectable_scale_error` above this) is judged again
pooled with the model's other such variables of its family (or, when those are still too
few, with every drawn variable of its family), each divided by its own scale."""


def _figure(members: list[tuple[str, np.ndarray, xc.Distribution]]) -> float:
    return stats.detectable_scale_error(members[0][2], sum(v.size for _, v, _ in members))


def assert_pooled_have_power(members: list[tuple[str, np.ndarray, xc.Distribution]],
                             context: str) -> None:
    """The standardized values of ``members`` (name, values, unit law) pass every check as one
    sample, and that sample is large enough to catch a scale error of :data:`POWER`."""
    names = [name for name, _, _ in members]
    pooled, unit = np.concatenate([values.ravel() for _, values, _ in members]), members[0][2]
    figure = stats.detectable_scale_error(unit, pooled.size)
    assert figure <= POWER, (
        f"got {pooled.size} values in the variables too small for the statistics {names}, "
        f"which catch only a {figure:.1%} scale error pooled, but should catch {POWER:.0%}: "
        f"enlarge them [{BACKEND}, {context}]")
    for result in stats.check_sample(pooled, unit):
        assert result.passed, (f"{result.describe()} [{BACKEND}, {context}, pooled "
                               f"{pooled.size} values of {names}]")
