"""Keras ``seed=PortableKey`` beyond float32/bfloat16: float16 and float64 weights, a conv stored
torch-style (``in_axis=1, out_axis=0``: the counters run in canonical order, so it holds the
HWIO kernel's values transposed) and the He/LeCun classes, bit for bit the numpy reference."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters.keras import initializers as ki
from xavier_core import portable as xp

KEY = xc.PortableKey(77)
CASES = {"dense": ((64, 48), {}), "conv-hwio": ((3, 3, 8, 16), {}),
         "conv-torch-layout": ((16, 8, 3, 3), {"in_axis": 1, "out_axis": 0})}
DTYPES = ["float16"] + ([] if keras.config.backend() == "jax" else ["float64"])


def _reference(init: ki.VarianceScaling, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    law = init.spec.resolve(shape, init.layout).distribution
    return xp.sample(KEY, law, shape, init.layout, "float64" if dtype == "float64" else "float32")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "GlorotTruncatedNormal",
                                  "HeNormal", "LecunUniform"])
def test_portable_seed_matrix(name: str, case: str, dtype: str) -> None:
    shape, axes = CASES[case]
    init = getattr(ki, name)(seed=KEY, **axes)
    got = keras.ops.convert_to_numpy(init(shape, dtype))
    want = _reference(init, shape, dtype).astype(dtype)
    assert got.dtype == np.dtype(dtype)
    differ = int((got != want).sum())
    assert differ == 0, f"got {differ} of {got.size} values differing from the numpy reference, " \
        f"but should be 0 [{keras.config.backend()}-{name}-{case}-{dtype}]"


def test_torch_layout_holds_the_hwio_values() -> None:
    hwio = keras.ops.convert_to_numpy(ki.GlorotNormal(seed=KEY)((3, 3, 8, 16)))
    torch_style = ki.GlorotNormal(seed=KEY, in_axis=1, out_axis=0)((16, 8, 3, 3))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(torch_style).transpose(2, 3, 1, 0),
                                  hwio)
