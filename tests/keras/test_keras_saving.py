"""Config round trip, .keras save and load, and string lookup of the registered classes."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from keras_helpers import numpy_of

from xavier_adapters import keras as xk

INITIALIZERS = {
    "uniform-defaults": lambda: xk.GlorotUniform(),
    "uniform-seed-gain": lambda: xk.GlorotUniform(seed=3, gain=5 / 3),
    "normal-transposed-axes": lambda: xk.GlorotNormal(seed=1, in_axis=-1, out_axis=-2),
    "truncated-normal-seed-generator": lambda: xk.GlorotTruncatedNormal(
        seed=keras.random.SeedGenerator(4, name="init_seeds")),
    "variance-scaling-tuple-axes": lambda: xk.VarianceScaling(
        2.0, "fan_in", "normal", seed=0, in_axis=(0, 1), out_axis=2, batch_axis=()),
    "variance-scaling-blocks": lambda: xk.VarianceScaling(
        1.0, "fan_geo_avg", "uniform", in_axis=-2, out_axis=-1, blocks=4),
    "uniform-keras-axes": lambda: xk.GlorotUniform(seed=2, input_axes=[0], output_axes=[1, 2]),
}


@pytest.mark.parametrize("case", INITIALIZERS)
def test_config_round_trip_through_json(case: str) -> None:
    initializer = INITIALIZERS[case]()
    config = json.loads(json.dumps(initializer.get_config()))
    rebuilt = type(initializer).from_config(config)
    assert rebuilt.get_config() == initializer.get_config(), (
        f"got {rebuilt.get_config()}, but should be {initializer.get_config()} [{case}]")
    assert rebuilt.spec == initializer.spec and rebuilt.layout == initializer.layout, case


@pytest.mark.parametrize("case", INITIALIZERS)
def test_serialize_and_deserialize_by_registered_name(case: str) -> None:
    initializer = INITIALIZERS[case]()
    serialized = json.loads(json.dumps(keras.initializers.serialize(initializer)))
    assert serialized["registered_name"] == f"xavier_init>{type(initializer).__name__}", (
        f"got {serialized['registered_name']!r}, but should name the xavier_init package")
    rebuilt = keras.initializers.deserialize(serialized)
    assert type(rebuilt) is type(initializer), (
        f"got {type(rebuilt)}, but should be {type(initializer)}")
    assert rebuilt.get_config() == initializer.get_config(), case


def test_int_seeded_clone_draws_the_same_values() -> None:
    initializer = xk.GlorotUniform(seed=12, gain=2.0)
    np.testing.assert_array_equal(numpy_of(initializer((16, 8))),
                                  numpy_of(initializer.clone()((16, 8))))


@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "GlorotTruncatedNormal",
                                  "VarianceScaling"])
def test_string_lookup(name: str) -> None:
    found = keras.initializers.get(f"xavier_init>{name}")
    assert type(found) is getattr(xk, name), f"got {type(found)}, but should be xk.{name}"
    layer = keras.layers.Dense(4, kernel_initializer=f"xavier_init>{name}")
    assert type(layer.kernel_initializer) is getattr(xk, name), (
        f"got {type(layer.kernel_initializer)}, but should be xk.{name}")


def test_keras_file_reloads_with_the_same_initializers(tmp_path: Path) -> None:
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6, 12)),
        layers.Dense(8, kernel_initializer=xk.GlorotUniform(seed=3, gain=5 / 3), name="uniform"),
        layers.Dense(8, kernel_initializer=xk.GlorotNormal(), name="normal"),
        layers.Dense(8, kernel_initializer=xk.GlorotTruncatedNormal(
            seed=keras.random.SeedGenerator(4)), name="truncated"),
        layers.Conv1DTranspose(4, 3, kernel_initializer=xk.GlorotNormal(
            seed=1, in_axis=-1, out_axis=-2), name="transposed"),
        layers.Conv1D(4, 3, kernel_initializer=xk.VarianceScaling(
            2.0, "fan_in", "normal", in_axis=(0, 1), out_axis=2), name="he_normal"),
    ])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for original, reloaded in zip(model.layers, loaded.layers, strict=True):
        init, init_back = original.kernel_initializer, reloaded.kernel_initializer
        assert type(init_back) is type(init), (
            f"got {type(init_back)}, but should be {type(init)} [{original.name}]")
        assert init_back.get_config() == init.get_config(), (
            f"got {init_back.get_config()}, but should be {init.get_config()} [{original.name}]")
        np.testing.assert_array_equal(numpy_of(original.kernel), numpy_of(reloaded.kernel),
                                      err_msg=original.name)
