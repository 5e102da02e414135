"""Issue 16, property-based, JAX: the initializer factories and their init functions fed random
wrong axes, dtypes, gains, keys, shapes and shardings raise only XavierError or TypeError
(per-example deadline); accepted input gives finite weights with the stated statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from property_strategies import (
    PROPERTY_SETTINGS,
    assert_stated_statistics,
    call_safely,
    junk,
    numbers,
)

import xavier_core as xc
from xavier_adapters import jax as xj

axes = st.one_of(junk, st.integers(-4, 4), st.just(np.int64(0)),
                 st.lists(st.integers(-4, 4), max_size=2).map(tuple))
dtypes = st.one_of(st.none(), junk, st.sampled_from(["float32", "bfloat16", "float16", "int32",
                                                     jax.numpy.float32]))
shapes = st.one_of(junk, st.sampled_from([(64, 48), (3, 3, 8, 16), (40,), (0, 3), (-1, 2)]))


@PROPERTY_SETTINGS
@given(in_axis=axes, out_axis=axes, dtype=dtypes,
       gain=st.one_of(st.floats(0.0, 10.0), numbers, junk), shape=shapes,
       key=st.one_of(junk, st.integers(0, 3).map(jax.random.key)),
       factory=st.sampled_from(["glorot_uniform", "glorot_normal"]))
def test_initializers_raise_only_clear_errors_or_draw_the_law(
        in_axis: Any, out_axis: Any, dtype: Any, gain: Any, shape: Any, key: Any,
        factory: str) -> None:
    ok, init = call_safely(getattr(xj, factory), in_axis, out_axis, dtype=dtype, gain=gain)
    if not ok:
        return
    ok, values = call_safely(init, key, shape)
    if ok:
        spec = (xc.glorot_uniform if factory == "glorot_uniform" else xc.glorot_normal)(gain)
        layout = xc.Layout(in_axis=in_axis, out_axis=out_axis)
        law = spec.resolve(tuple(shape), layout).distribution
        assert_stated_statistics(np.asarray(values, dtype=np.float64), law,
                                 f"{factory} {shape} {dtype} gain={gain}")
