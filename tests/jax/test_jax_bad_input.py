"""Issue 16's bad inputs to the JAX adapter: clear errors naming the argument.

Before the fix: ``in_axis=np.int64(0)`` raised TypeError "'numpy.int64' object is not iterable"
(None and 1.5 alike), ``out_sharding=P("model")`` without that mesh axis a KeyError, a spec
longer than the rank an AssertionError, and an overflowing gain drew inf.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax.sharding import AxisType
from jax.sharding import PartitionSpec as P

import xavier_core as xc
from xavier_adapters import jax as xj


def test_numpy_int_axes_are_axes() -> None:
    init = xj.glorot_uniform(in_axis=np.int64(0), out_axis=np.int32(1))
    expected = xj.glorot_uniform(in_axis=0, out_axis=1)(jax.random.key(0), (16, 8))
    assert np.array_equal(init(jax.random.key(0), (16, 8)), expected)


@pytest.mark.parametrize("axis", [None, 1.5, "0"], ids=repr)
def test_bad_axes_name_the_argument(axis: object) -> None:
    with pytest.raises(xc.XavierError, match=r"in_axis must be an int or a sequence of ints"):
        xj.glorot_uniform(in_axis=axis)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def mesh() -> jax.sharding.Mesh:
    return jax.make_mesh((2,), ("data",), axis_types=(AxisType.Explicit,))


def test_a_mesh_axis_the_mesh_lacks_is_named(mesh: jax.sharding.Mesh) -> None:
    with jax.set_mesh(mesh), pytest.raises(
            xc.XavierError, match=r"over the mesh's axes \['data'\].*'model' is not one of them"):
        xj.glorot_uniform()(jax.random.key(0), (8, 8), out_sharding=P("model"))


def test_a_partition_spec_without_a_mesh_says_so() -> None:
    with pytest.raises(xc.XavierError, match=r"a PartitionSpec needs jax.set_mesh"):
        xj.glorot_uniform()(jax.random.key(0), (8, 8), out_sharding=P("data"))


def test_a_spec_longer_than_the_rank_is_refused(mesh: jax.sharding.Mesh) -> None:
    with jax.set_mesh(mesh), pytest.raises(
            xc.XavierError, match=r"a spec of at most 2 entries, one per axis"):
        xj.glorot_uniform()(jax.random.key(0), (8, 8), out_sharding=P("data", None, None))


def test_an_overflowing_gain_is_refused_not_drawn_as_inf() -> None:
    with pytest.raises(xc.XavierError, match=r"at most 65504 to draw float16 weights"):
        xj.glorot_uniform(gain=1e6)(jax.random.key(0), (8, 8), "float16")
