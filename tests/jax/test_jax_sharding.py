"""Sharded init on JAX's own machinery: each shard built on its device, fans of the global shape,
values equal to the unsharded call's, for 1, 2, 4 and 8 shards.

Needs 8 devices: ``python tests/run.py jax`` sets
XLA_FLAGS=--xla_force_host_platform_device_count=8.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding, SingleDeviceSharding
from jax.sharding import PartitionSpec as P

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance import stats

SHAPE = (512, 1024)
FACTORIES = {
    "uniform": xj.glorot_uniform(),
    "normal": xj.glorot_normal(),
    "truncated_normal": xj.glorot_truncated_normal(),
}


class Split(NamedTuple):
    mesh_shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    spec: P


SPLITS = {
    "1-shard": Split((1,), ("x",), P(None, "x")),
    "2-shards-out": Split((2,), ("x",), P(None, "x")),
    "4-shards-in": Split((4,), ("x",), P("x", None)),
    "8-shards-out": Split((8,), ("x",), P(None, "x")),
    "2x4-shards-both": Split((2, 4), ("x", "y"), P("x", "y")),
}
AXIS_TYPES = {"explicit": AxisType.Explicit, "auto": AxisType.Auto}


@pytest.fixture(scope="module", autouse=True)
def eight_devices() -> None:
    count = jax.device_count()
    if count < 8:
        pytest.fail(f"got {count} JAX device(s), but the sharding tests need 8: run them with "
                    "`python tests/run.py jax`, which sets "
                    "XLA_FLAGS=--xla_force_host_platform_device_count=8 before JAX starts")


def _sharding(split: Split, axis_type: str) -> NamedSharding:
    devices = int(np.prod(split.mesh_shape))
    mesh = jax.make_mesh(split.mesh_shape, split.axis_names, devices=jax.devices()[:devices],
                         axis_types=(AXIS_TYPES[axis_type],) * len(split.axis_names))
    return NamedSharding(mesh, split.spec)


def _context(sharding: NamedSharding) -> contextlib.AbstractContextManager:
    """Explicit axes need the mesh as context under jit, as jax.random's own out_sharding does."""
    explicit = sharding.mesh.axis_types[0] == AxisType.Explicit
    return jax.set_mesh(sharding.mesh) if explicit else contextlib.nullcontext()


def _sharded(init: xj.Initializer, sharding: NamedSharding, dtype: str = "float32") -> jax.Array:
    with _context(sharding):
        return jax.jit(lambda key: init(key, SHAPE, dtype, out_sharding=sharding))(
            jax.random.key(0))


def _unsharded(init: xj.Initializer, dtype: str = "float32") -> np.ndarray:
    return np.asarray(init(jax.random.key(0), SHAPE, dtype).astype(jnp.float32))


@pytest.mark.parametrize("axis_type", AXIS_TYPES)
@pytest.mark.parametrize("split_id", SPLITS)
@pytest.mark.parametrize("factory_id", FACTORIES)
def test_sharded_equals_unsharded(factory_id: str, split_id: str, axis_type: str) -> None:
    init, split = FACTORIES[factory_id], SPLITS[split_id]
    sharding = _sharding(split, axis_type)
    weight = _sharded(init, sharding)
    context = f"[{factory_id}, {split_id}, {axis_type}]"
    assert weight.sharding.is_equivalent_to(sharding, len(SHAPE)), (
        f"got {weight.sharding}, but should be {sharding} {context}")
    np.testing.assert_array_equal(np.asarray(weight), _unsharded(init), err_msg=context)


@pytest.mark.parametrize("axis_type", AXIS_TYPES)
@pytest.mark.parametrize("split_id", ["2-shards-out", "8-shards-out", "2x4-shards-both"])
def test_each_shard_is_built_on_its_device(split_id: str, axis_type: str) -> None:
    sharding = _sharding(SPLITS[split_id], axis_type)
    shards = int(np.prod(SPLITS[split_id].mesh_shape))
    weight = _sharded(xj.glorot_truncated_normal(), sharding)
    devices = {shard.device for shard in weight.addressable_shards}
    local = sharding.shard_shape(SHAPE)
    assert len(devices) == shards, f"got {len(devices)} devices, but should be {shards}"
    assert all(s.data.shape == local for s in weight.addressable_shards)
    # The compiled per-device program holds the local shape only: no global-size buffer and no
    # communication, so no device ever holds the whole weight.
    with _context(sharding):
        init = xj.glorot_truncated_normal()
        program = jax.jit(lambda key: init(key, SHAPE, out_sharding=sharding)).lower(
            jax.random.key(0)).compile().as_text()
    assert f"[{SHAPE[0]},{SHAPE[1]}]" not in program, "a device builds the global-size weight"
    for collective in ("all-gather", "all-reduce", "all-to-all", "collective-permute"):
        assert collective not in program, f"got {collective} in the program, but should be none"


def test_fans_are_those_of_the_global_shape() -> None:
    # 8 shards on the out axis: local (512, 128) would give Var = 2 / 640, global 2 / 1536.
    weight = np.asarray(_sharded(xj.glorot_normal(), _sharding(SPLITS["8-shards-out"], "auto")))
    global_law = xc.glorot_normal().resolve(SHAPE).distribution
    for result in stats.check_sample(weight, global_law):
        assert result.passed, result.describe() + " [8 shards, global fans]"
    per_shard = xc.glorot_normal().resolve(SHAPE, shards=(1, 8)).distribution
    assert not stats.check_variance(weight, per_shard).passed


@pytest.mark.parametrize("axis_type", AXIS_TYPES)
def test_bfloat16_sharded_equals_unsharded(axis_type: str) -> None:
    sharding = _sharding(SPLITS["8-shards-out"], axis_type)
    weight = _sharded(xj.glorot_uniform(), sharding, "bfloat16")
    assert weight.dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(weight.astype(jnp.float32)),
                                  _unsharded(xj.glorot_uniform(), "bfloat16"))


def test_partition_spec_under_a_mesh_context() -> None:
    mesh = jax.make_mesh((8,), ("x",), axis_types=(AxisType.Explicit,))
    init = xj.glorot_uniform()
    with jax.set_mesh(mesh):
        weight = jax.jit(lambda key: init(key, SHAPE, out_sharding=P("x", None)))(
            jax.random.key(0))
    assert weight.sharding.spec == P("x", None)
    np.testing.assert_array_equal(np.asarray(weight), _unsharded(init))


@pytest.mark.parametrize("factory_id", FACTORIES)
def test_mixed_explicit_and_auto_axes(factory_id: str) -> None:
    # 'x' (Explicit) goes to jax.random's out_sharding, 'y' (Auto) to the partitioner of jit.
    mesh = jax.make_mesh((2, 4), ("x", "y"), axis_types=(AxisType.Explicit, AxisType.Auto))
    sharding, init = NamedSharding(mesh, P("x", "y")), FACTORIES[factory_id]
    weight = _sharded(init, sharding)
    assert weight.sharding.is_equivalent_to(sharding, len(SHAPE)), f"got {weight.sharding}"
    assert weight.addressable_shards[0].data.shape == (256, 256)
    np.testing.assert_array_equal(np.asarray(weight), _unsharded(init))


def test_any_other_sharding_goes_to_the_partitioner() -> None:
    init = xj.glorot_uniform()
    target = SingleDeviceSharding(jax.devices()[3])
    weight = jax.jit(lambda key: init(key, SHAPE, out_sharding=target))(jax.random.key(0))
    assert weight.devices() == {jax.devices()[3]}, f"got {weight.devices()}"
    np.testing.assert_array_equal(np.asarray(weight), _unsharded(init))


def test_manual_axes_are_refused() -> None:
    mesh = jax.make_mesh((8,), ("m",), axis_types=(AxisType.Manual,))
    with pytest.raises(xc.XavierError, match="out_sharding must be a sharding over Explicit or"):
        xj.glorot_uniform()(jax.random.key(0), SHAPE, out_sharding=NamedSharding(mesh, P("m")))


def test_eager_call_is_sharded_too() -> None:
    sharding = _sharding(SPLITS["8-shards-out"], "auto")
    weight = xj.glorot_normal()(jax.random.key(0), SHAPE, out_sharding=sharding)
    assert weight.sharding.is_equivalent_to(sharding, len(SHAPE))
    np.testing.assert_array_equal(np.asarray(weight), _unsharded(xj.glorot_normal()))


@pytest.mark.parametrize("axis_type", AXIS_TYPES)
def test_flax_nnx_with_partitioning(axis_type: str) -> None:
    # Flax's own sharding annotation around our initializer, under nnx.jit and the mesh.
    from flax import nnx

    sharding = _sharding(SPLITS["8-shards-out"], axis_type)
    init = nnx.with_partitioning(xj.glorot_uniform(), (None, "x"))
    with jax.set_mesh(sharding.mesh):
        layer = nnx.jit(lambda: nnx.Linear(512, 1024, kernel_init=init, rngs=nnx.Rngs(0)))()
    kernel = layer.kernel[...]
    assert kernel.sharding.is_equivalent_to(sharding, 2), f"got {kernel.sharding}"
    plain = nnx.Linear(512, 1024, kernel_init=xj.glorot_uniform(), rngs=nnx.Rngs(0))
    np.testing.assert_array_equal(np.asarray(kernel), np.asarray(plain.kernel[...]))
