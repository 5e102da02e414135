"""``from xavier_adapters import keras as initializers`` replaces ``keras.initializers``.

Every public name of keras.initializers exists here with a compatible signature; He and LeCun
draw the spec's law; VarianceScaling has Keras' public attributes; seeding, cloning, string
identifiers and rank 0/1 shapes behave as Keras' own random initializer tests expect, on the
current Keras backend (run under each of tensorflow, jax, torch).
"""

from __future__ import annotations

import inspect
import math
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras_helpers import BACKEND, assert_matches, numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_adapters.keras import namespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from signatures import assert_compatible


def keras_public_names() -> list[str]:
    return sorted(name for name in dir(keras.initializers) if not name.startswith("_"))


def test_keras_surface_is_what_we_expect() -> None:
    assert keras_public_names() == sorted(namespace.OURS + namespace.KERAS_OWN)


@pytest.mark.parametrize("name", keras_public_names())
def test_every_keras_name_exists_with_a_compatible_signature(name: str) -> None:
    assert name in xk.__all__, f"got no xavier_adapters.keras.{name}, but keras has it"
    ours, theirs = getattr(xk, name), getattr(keras.initializers, name)
    if inspect.isclass(theirs):
        assert inspect.isclass(ours) and issubclass(ours, keras.initializers.Initializer)
        ours, theirs = ours.__init__, theirs.__init__
    assert_compatible(inspect.signature(ours), inspect.signature(theirs), name)


@pytest.mark.parametrize("name", namespace.KERAS_OWN)
def test_the_rest_is_keras_own_object(name: str) -> None:
    assert getattr(xk, name) is getattr(keras.initializers, name)


FAMILY = {
    "HeUniform": (xk.HeUniform, xc.he("uniform")),
    "HeNormal": (xk.HeNormal, xc.he("normal")),
    "HeTruncatedNormal": (xk.HeTruncatedNormal, xc.he("truncated_normal")),
    "LecunUniform": (xk.LecunUniform, xc.lecun("uniform")),
    "LecunNormal": (xk.LecunNormal, xc.lecun("normal")),
    "LecunTruncatedNormal": (xk.LecunTruncatedNormal, xc.lecun("truncated_normal")),
}


@pytest.mark.parametrize("name", FAMILY)
def test_family_draws_the_spec(name: str) -> None:
    cls, spec = FAMILY[name]
    shape = (3, 3, 48, 96)
    assert_matches(cls(seed=5)(shape), spec.resolve(shape).distribution, name)


@pytest.mark.parametrize(("ours", "theirs"), [("HeUniform", "HeUniform"),
                                               ("HeTruncatedNormal", "HeNormal"),
                                               ("LecunUniform", "LecunUniform"),
                                               ("LecunTruncatedNormal", "LecunNormal")])
def test_same_law_as_keras(ours: str, theirs: str) -> None:
    shape = (256, 384)
    values = getattr(keras.initializers, theirs)(seed=3)(shape)
    assert_matches(values, FAMILY[ours][1].resolve(shape).distribution, f"keras {theirs}")


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 250), ("fan_out", 200)])
def test_variance_scaling_public_attributes_and_std(mode: str, fan: int) -> None:
    init = xk.VarianceScaling(scale=2.0, seed=1234, mode=mode, distribution="normal")
    assert (init.scale, init.mode, init.distribution, init.seed) == (2.0, mode, "normal", 1234)
    values = init((250, 200))
    assert tuple(values.shape) == (250, 200)
    assert_matches(values, xc.Normal(math.sqrt(2.0 / fan)), mode)
    clone = xk.VarianceScaling.from_config(init.get_config())
    assert clone.get_config() == init.get_config()


@pytest.mark.parametrize("cls", [xk.GlorotUniform, xk.HeNormal, xk.LecunUniform],
                         ids=lambda c: c.__name__)
def test_family_has_keras_attributes(cls: type) -> None:
    init, spec = cls(seed=3), xc.VarianceScaling()
    assert init.seed == 3 and init.mode in xc.MODES and init.scale > 0
    assert init.distribution in xc.DISTRIBUTIONS and spec.distribution == "truncated_normal"


@pytest.mark.parametrize("name", FAMILY)
def test_seeding_and_cloning_as_keras(name: str) -> None:
    cls = FAMILY[name][0]
    seeded = cls(seed=1337)
    first = numpy_of(seeded((25, 20)))
    np.testing.assert_array_equal(first, numpy_of(seeded((25, 20))))
    np.testing.assert_array_equal(first, numpy_of(cls.from_config(seeded.get_config())((25, 20))))
    generator = cls(seed=keras.random.SeedGenerator(1337))
    assert not np.array_equal(numpy_of(generator((25, 20))), numpy_of(generator((25, 20))))
    unseeded = cls()
    clone = cls.from_config(unseeded.get_config())
    assert not np.array_equal(numpy_of(unseeded((25, 20))), numpy_of(clone((25, 20))))


@pytest.mark.parametrize("name", ["he_normal", "HeNormal", "lecun_uniform", "glorot_uniform",
                                  "variance_scaling", "he_truncated_normal"])
def test_get_resolves_our_names_to_ours(name: str) -> None:
    found = xk.get(name)
    assert type(found).__module__ == "xavier_adapters.keras.initializers", \
        f"got {type(found)}, but should be ours [{name}]"


def test_get_falls_back_to_keras() -> None:
    assert xk.get(None) is None
    assert isinstance(xk.get("zeros"), keras.initializers.Zeros)
    assert isinstance(xk.get("xavier_init>HeNormal"), xk.HeNormal)
    with pytest.raises(ValueError):
        xk.get("typo")


@pytest.mark.parametrize("name", FAMILY)
def test_serialize_deserialize_round_trip(name: str) -> None:
    init = FAMILY[name][0](seed=7, in_axis=0, out_axis=1)
    back = xk.deserialize(xk.serialize(init))
    assert type(back) is type(init) and back.get_config() == init.get_config()
    keras_back = keras.initializers.deserialize(xk.serialize(init))
    assert type(keras_back) is type(init)


@pytest.mark.parametrize("cls", [xk.GlorotUniform, xk.HeUniform, xk.LecunUniform],
                         ids=lambda c: c.__name__)
def test_rank_one_uses_keras_fans_n_n(cls: type) -> None:
    values = cls(seed=0)((4096,))
    spec = cls(seed=0).spec
    assert_matches(values, spec.distribution_for(xc.Fans(4096, 4096)), "rank 1")
    theirs = getattr(keras.initializers, cls.__name__)(seed=0)((4096,))
    assert float(np.abs(numpy_of(theirs)).max()) <= spec.distribution_for(xc.Fans(4096, 4096)).bound


def test_rank_zero_uses_keras_fans_one_one() -> None:
    value = numpy_of(xk.HeUniform(seed=0)(()))
    assert value.shape == () and abs(float(value)) <= math.sqrt(6.0)


def test_dense_bias_initializer_builds() -> None:
    layer = keras.layers.Dense(64, kernel_initializer=xk.HeNormal(seed=0),
                               bias_initializer=xk.GlorotUniform(seed=1))
    layer.build((None, 32))
    bias = numpy_of(layer.bias)
    assert bias.shape == (64,) and np.abs(bias).max() <= math.sqrt(6 / 128)
    assert BACKEND in ("tensorflow", "jax", "torch")


def test_rank_one_with_explicit_axes_uses_them() -> None:
    values = numpy_of(xk.HeUniform(seed=0, in_axis=(), out_axis=0)((512,)))
    assert np.abs(values).max() <= math.sqrt(6.0)  # fan_in 1
    assert np.abs(values).max() > math.sqrt(6 / 512)


def test_complex_is_a_clear_error_on_keras() -> None:
    with pytest.raises(xc.XavierError, match="Keras' random ops have no complex dtypes"):
        xk.HeNormal(seed=0)((4, 4), dtype="complex64")
