"""Issue 16's bad inputs to the Keras adapter, on every backend: clear errors naming the argument.

Before the fix: seed=-1 and seed=2**64 raised OverflowError on the JAX backend (and were
accepted elsewhere), ``input_axes=5`` a TypeError "'int' object is not iterable", and a gain
whose weights overflow float16 drew inf.
"""

from __future__ import annotations

import keras
import pytest

import xavier_core as xc
from xavier_adapters import keras as xk


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64], ids=repr)
def test_int_seeds_outside_uint32_are_refused_on_every_backend(seed: int) -> None:
    message = rf"seed must be an int in \[0, 2\*\*32\).*got seed={seed}"
    with pytest.raises(xc.XavierError, match=message):
        xk.GlorotUniform(seed=seed)


@pytest.mark.parametrize("seed", [0, 2**32 - 1])
def test_int_seeds_at_the_edges_draw(seed: int) -> None:
    kernel = keras.ops.convert_to_numpy(xk.GlorotUniform(seed=seed)((8, 8)))
    assert kernel.shape == (8, 8) and float(abs(kernel).max()) > 0


@pytest.mark.parametrize("axes", [5, "01", [0.5]], ids=repr)
def test_keras_axes_must_be_sequences_of_ints(axes: object) -> None:
    message = r"input_axes must be a sequence of ints .*, got input_axes="
    with pytest.raises(TypeError, match=message):
        xk.VarianceScaling(input_axes=axes, output_axes=[1])  # type: ignore[arg-type]


def test_a_kernel_that_would_overflow_its_dtype_is_refused() -> None:
    with pytest.raises(xc.XavierError, match=r"at most 65504 to draw float16 weights"):
        xk.GlorotUniform(gain=1e6, seed=0)((8, 8), dtype="float16")


def test_init_model_refuses_an_overflowing_kernel_before_writing_any() -> None:
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8),
                              keras.layers.Dense(8, dtype="float16")])
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.weights]
    with pytest.raises(xc.XavierError, match=r"at most 65504 to draw float16"):
        xk.init_model(model, gain=3e5, seed=0)
    after = [keras.ops.convert_to_numpy(v) for v in model.weights]
    assert all((a == b).all() for a, b in zip(before, after, strict=True))
