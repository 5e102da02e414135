"""Issue 16, property-based, Keras (each backend): the initializer classes fed random wrong
seeds, gains, shapes, dtypes and configs raise only XavierError or TypeError (per-example
deadline); accepted input gives finite weights with the stated statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from keras_helpers import numpy_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from property_strategies import (
    PROPERTY_SETTINGS,
    assert_stated_statistics,
    call_safely,
    junk,
    numbers,
)

import xavier_core as xc
from xavier_adapters import keras as xk

CLASSES = {"uniform": (xk.GlorotUniform, xc.glorot_uniform),
           "normal": (xk.GlorotNormal, xc.glorot_normal)}


@PROPERTY_SETTINGS
@given(kind=st.sampled_from(sorted(CLASSES)),
       seed=st.one_of(st.none(), junk, st.integers(-5, 2**65)),
       gain=st.one_of(st.floats(0.0, 10.0), numbers, junk),
       shape=st.one_of(junk, st.sampled_from([(64, 48), (3, 3, 8, 16), (0, 4), (-1, 3)])),
       dtype=st.one_of(st.none(), junk, st.sampled_from(["float32", "float16", "int32"])))
def test_initializers_raise_only_clear_errors_or_draw_the_law(
        kind: str, seed: Any, gain: Any, shape: Any, dtype: Any) -> None:
    cls, spec_of = CLASSES[kind]
    ok, initializer = call_safely(cls, gain=gain, seed=seed)
    if not ok:
        return
    ok, config = call_safely(initializer.get_config)
    assert ok and cls.from_config(config).get_config() == config, config
    ok, values = call_safely(initializer, shape, dtype=dtype)
    if ok:
        law = spec_of(gain).resolve(tuple(shape), xc.CHANNELS_LAST).distribution
        assert_stated_statistics(np.asarray(numpy_of(values), dtype=np.float64), law,
                                 f"{kind} {shape} {dtype} gain={gain} seed={seed}")
