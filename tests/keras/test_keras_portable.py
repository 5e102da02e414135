"""Keras initializers with ``seed=PortableKey``: the numpy reference's values bit for bit on the
current backend (3 laws x dense/conv/transposed x float32/bfloat16), the same on every call, and
a config round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters.keras import initializers as ki
from xavier_core import portable as xp

KEY = xc.PortableKey(5)
CASES = {"dense": ((32, 16), {}), "conv": ((3, 3, 4, 8), {}),
         "transposed": ((3, 3, 8, 4), {"in_axis": -1, "out_axis": -2, "transposed": True})}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "GlorotTruncatedNormal"])
def test_portable_seed_gives_the_numpy_reference(name: str, case: str, dtype: str) -> None:
    shape, axes = CASES[case]
    init = getattr(ki, name)(seed=KEY, **axes)
    got = keras.ops.convert_to_numpy(keras.ops.cast(init(shape, dtype), "float32"))
    law = init.spec.resolve(shape, init.layout).distribution
    want = xp.sample(KEY, law, shape, init.layout)
    if dtype == "bfloat16":
        import ml_dtypes

        want = want.astype(ml_dtypes.bfloat16).astype(np.float32)
    differ = int((got != want).sum())
    assert differ == 0, f"got {differ} values differing from the numpy reference, but should " \
        f"be 0 [{keras.config.backend()}-{name}-{case}-{dtype}]"


def test_same_values_every_call_and_config_round_trip() -> None:
    init = ki.GlorotUniform(seed=KEY)
    first = keras.ops.convert_to_numpy(init((8, 8)))
    np.testing.assert_array_equal(first, keras.ops.convert_to_numpy(init((8, 8))))
    again = ki.GlorotUniform.from_config(init.get_config())
    assert again.seed == KEY
    np.testing.assert_array_equal(first, keras.ops.convert_to_numpy(again((8, 8))))


def test_init_model_with_a_key_equals_torch_init_model() -> None:
    torch = pytest.importorskip("torch")
    from xavier_adapters import keras as xk
    from xavier_adapters import torch as xt

    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3)])
    xk.init_model(model, seed=KEY)
    twin = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    xt.init_model(twin, generator=KEY)
    for layer, linear in zip(model.layers, (twin[0], twin[2]), strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel),
                                      linear.weight.detach().numpy().T)
