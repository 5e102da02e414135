"""Seeding: an int repeats, an unseeded instance never repeats, a SeedGenerator advances."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras_helpers import numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk

SHAPE = (64, 32)
CLASSES = {"uniform": xk.GlorotUniform, "normal": xk.GlorotNormal,
           "truncated_normal": xk.GlorotTruncatedNormal}


def _draw(initializer: keras.initializers.Initializer) -> np.ndarray:
    return numpy_of(initializer(SHAPE))


@pytest.mark.parametrize("kind", CLASSES)
def test_int_seed_gives_the_same_values_on_every_call(kind: str) -> None:
    initializer = CLASSES[kind](seed=7)
    first = _draw(initializer)
    np.testing.assert_array_equal(first, _draw(initializer), err_msg="second call, same instance")
    np.testing.assert_array_equal(first, _draw(CLASSES[kind](seed=7)), err_msg="new instance")
    assert not np.array_equal(first, _draw(CLASSES[kind](seed=8))), (
        "got the same values for seeds 7 and 8, but should differ")


@pytest.mark.parametrize("kind", CLASSES)
def test_unseeded_instance_shared_by_two_layers_gives_two_kernels(kind: str) -> None:
    shared = CLASSES[kind]()
    first = keras.layers.Dense(32, kernel_initializer=shared)
    second = keras.layers.Dense(32, kernel_initializer=shared)
    first.build((None, 64))
    second.build((None, 64))
    assert first.kernel_initializer is shared and second.kernel_initializer is shared
    assert not np.array_equal(numpy_of(first.kernel), numpy_of(second.kernel)), (
        "got identical kernels from a shared unseeded initializer, but should differ")


def test_unseeded_instance_is_reproducible_after_set_random_seed() -> None:
    def two_draws() -> tuple[np.ndarray, np.ndarray]:
        keras.utils.set_random_seed(1234)
        initializer = xk.GlorotUniform()
        return _draw(initializer), _draw(initializer)

    first_run, second_run = two_draws(), two_draws()
    assert not np.array_equal(*first_run), "got a repeat within a run, but draws should differ"
    for call, (a, b) in enumerate(zip(first_run, second_run, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"call {call} after set_random_seed(1234)")


def test_seed_generator_advances_and_replays() -> None:
    initializer = xk.GlorotNormal(seed=keras.random.SeedGenerator(3))
    first, second = _draw(initializer), _draw(initializer)
    assert not np.array_equal(first, second), "got a repeat, but a SeedGenerator should advance"
    replay = xk.GlorotNormal(seed=keras.random.SeedGenerator(3))
    np.testing.assert_array_equal(first, _draw(replay), err_msg="first draw of the same seed")
    np.testing.assert_array_equal(second, _draw(replay), err_msg="second draw of the same seed")


@pytest.mark.parametrize(
    "seed", [pytest.param("3", id="string"), pytest.param(1.5, id="float"),
             pytest.param(True, id="bool"), pytest.param(np.random.default_rng(0), id="numpy-rng"),
             pytest.param({"seed": 3}, id="dict-not-a-seed-generator")],
)
def test_bad_seed_is_a_xavier_error(seed: object) -> None:
    with pytest.raises(xc.XavierError) as caught:
        xk.GlorotUniform(seed=seed)  # type: ignore[arg-type]
    message = "seed must be an int, a keras.random.SeedGenerator or None"
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"


def test_numpy_int_seed_is_an_int_seed() -> None:
    np.testing.assert_array_equal(_draw(xk.GlorotUniform(seed=np.int64(5))),
                                  _draw(xk.GlorotUniform(seed=5)))


def _two_dense_model() -> keras.Model:
    return keras.Sequential([keras.Input((32,)), keras.layers.Dense(32), keras.layers.Dense(32)])


def test_init_model_int_seed_repeats_and_kernels_differ() -> None:
    model = _two_dense_model()
    xk.init_model(model, seed=9)
    first = [numpy_of(layer.kernel) for layer in model.layers]
    assert not np.array_equal(*first), "got equal kernels for two same-shaped layers"
    xk.init_model(model, seed=9)
    for index, layer in enumerate(model.layers):
        np.testing.assert_array_equal(first[index], numpy_of(layer.kernel),
                                      err_msg=f"layer {index} after a second init_model(seed=9)")


def test_init_model_unseeded_gives_fresh_kernels() -> None:
    model = _two_dense_model()
    xk.init_model(model)
    before = numpy_of(model.layers[0].kernel)
    xk.init_model(model)
    assert not np.array_equal(before, numpy_of(model.layers[0].kernel)), (
        "got the same kernel from two unseeded init_model calls, but should differ")
