"""Sharded Flax init: ``xj.with_partitioning`` builds each shard on its device (Flax's own
``nnx.with_partitioning`` calls ``kernel_init`` without ``out_sharding``: a global-size buffer on
every device), and ``init_params`` keeps every leaf's sharding (nnx under an explicit mesh, an
abstract nnx model from ``nnx.eval_shape``, linen params placed on an Auto mesh).

Needs 8 devices: ``python tests/run.py jax`` sets
XLA_FLAGS=--xla_force_host_platform_device_count=8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as linen
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters.jax import with_partitioning
from xavier_conformance import stats

pytestmark = pytest.mark.skipif(jax.device_count() < 8, reason="needs 8 devices: run under "
                                "XLA_FLAGS=--xla_force_host_platform_device_count=8")

SHAPE = (256, 512)


def explicit_mesh() -> jax.sharding.Mesh:
    return jax.make_mesh((2, 4), ("data", "model"), axis_types=(AxisType.Explicit,) * 2)


def largest_shard(array: jax.Array) -> int:
    return max(shard.data.size for shard in array.addressable_shards)


def raw_value(made: object) -> jax.Array:
    """The array an initializer wrapped by with_partitioning returned, before Flax reshards it."""
    return made.raw_value  # type: ignore[attr-defined]


@pytest.mark.parametrize("wrap", [nnx.with_partitioning, with_partitioning],
                         ids=["flax-with_partitioning", "xj-with_partitioning"])
def test_what_the_initializer_builds(wrap) -> None:
    """Flax's wrapper gets a replicated global array from the initializer (the gap); ours gets
    each device's quarter, the same values as the unsharded draw."""
    with jax.set_mesh(explicit_mesh()):
        made = raw_value(wrap(xj.glorot_uniform(), (None, "model"))(
            jax.random.key(0), SHAPE, jnp.float32))
    unsharded = xj.glorot_uniform()(jax.random.key(0), SHAPE)
    assert np.array_equal(np.asarray(made), np.asarray(unsharded))
    if wrap is nnx.with_partitioning:
        assert largest_shard(made) == made.size  # the global-size buffer on every device
    else:
        assert made.sharding.spec == P(None, "model")
        assert largest_shard(made) == made.size // 4, (
            f"a device built {largest_shard(made)} values, but should build its shard's "
            f"{made.size // 4}")


@pytest.mark.parametrize("distribution", ["uniform", "normal", "truncated_normal"])
def test_nnx_linear_sharded_kernel_follows_the_global_law(distribution) -> None:
    init = xj.Initializer(xc.glorot(distribution), xc.Layout(in_axis=-2, out_axis=-1))
    with jax.set_mesh(explicit_mesh()):
        layer = nnx.Linear(*SHAPE, kernel_init=with_partitioning(init, ("data", "model")),
                           rngs=nnx.Rngs(0))
    kernel = layer.kernel.get_value()
    assert kernel.sharding.spec == P("data", "model")
    law = xc.glorot(distribution).distribution_for(xc.Fans(*SHAPE))
    for result in stats.check_sample(np.asarray(kernel), law):
        assert result.passed, f"{result.describe()} [nnx.Linear{SHAPE} on a 2x4 mesh]"


def test_logical_axis_rules_are_resolved_like_flax() -> None:
    rules = (("embed", None), ("mlp", "model"))
    with jax.set_mesh(explicit_mesh()):
        made = raw_value(with_partitioning(xj.glorot_uniform(), ("embed", "mlp"),
                                           sharding_rules=rules)(jax.random.key(0), SHAPE))
    assert made.sharding.spec == P(None, "model")
    assert largest_shard(made) == made.size // 4


def test_an_initializer_without_out_sharding_is_wrapped_as_flax_wraps_it() -> None:
    def custom(key: jax.Array, shape: tuple[int, ...], dtype: object = jnp.float32) -> jax.Array:
        return jax.random.normal(key, shape, dtype) * 0.01

    with jax.set_mesh(explicit_mesh()):
        layer = nnx.Linear(*SHAPE, kernel_init=with_partitioning(custom, (None, "model")),
                           rngs=nnx.Rngs(0))
    assert layer.kernel.get_value().sharding.spec == P(None, "model")


def _nnx_mlp(sharded: bool = True) -> nnx.Module:
    def part(init: Callable[..., jax.Array], spec: tuple[str | None, ...]) -> Callable[..., Any]:
        return with_partitioning(init, spec) if sharded else init

    kernel, zeros = nnx.initializers.lecun_normal(), nnx.initializers.zeros
    rngs = nnx.Rngs(0)
    return nnx.Sequential(
        nnx.Linear(64, 256, kernel_init=part(kernel, (None, "model")),
                   bias_init=part(zeros, ("model",)), rngs=rngs),
        nnx.Linear(256, 64, kernel_init=part(kernel, ("model", None)), rngs=rngs))


def _leaves(tree: object) -> dict[str, jax.Array]:
    state = nnx.state(tree, nnx.Param)
    return {"/".join(map(str, path)): leaf.get_value()
            for path, leaf in nnx.to_flat_state(state)}


@pytest.mark.parametrize("abstract", [False, True], ids=["built", "eval_shape"])
def test_init_params_keeps_nnx_leaf_shardings(abstract) -> None:
    with jax.set_mesh(explicit_mesh()):
        model = nnx.eval_shape(_nnx_mlp) if abstract else _nnx_mlp()
        before = {name: leaf.sharding.spec for name, leaf in _leaves(model).items()}
        new, report = xj.init_params(model, jax.random.key(1))
        after = _leaves(new)
    assert {name: leaf.sharding.spec for name, leaf in after.items()} == before
    assert any(spec != P() and spec != P(None, None) for spec in before.values())
    unsharded, _ = xj.init_params(_nnx_mlp(sharded=False), jax.random.key(1))
    for name, leaf in _leaves(unsharded).items():
        assert np.array_equal(np.asarray(after[name]), np.asarray(leaf)), name
    drawn = [record.name for record in report.by_state("drawn")]
    assert sorted(drawn) == sorted(name for name in after if name.endswith("kernel"))
    for name in drawn:
        assert largest_shard(after[name]) == after[name].size // 4, name


def test_init_params_keeps_linen_leaf_shardings_on_an_auto_mesh() -> None:
    mesh = jax.make_mesh((2, 4), ("data", "model"), axis_types=(AxisType.Auto,) * 2)
    model = linen.Dense(256)
    x = jnp.ones((1, 64))
    params = model.init(jax.random.key(0), x)
    placed = jax.device_put(params, {"params": {
        "kernel": NamedSharding(mesh, P(None, "model")), "bias": NamedSharding(mesh, P("model"))}})
    new, _ = xj.init_params(placed, jax.random.key(1), model=model, args=(x,))
    plain, _ = xj.init_params(params, jax.random.key(1), model=model, args=(x,))
    for name in ("kernel", "bias"):
        assert new["params"][name].sharding == placed["params"][name].sharding, name
        assert np.array_equal(np.asarray(new["params"][name]), np.asarray(plain["params"][name]))


def test_init_params_keeps_equinox_leaf_shardings() -> None:
    import equinox as eqx

    mesh = jax.make_mesh((2, 4), ("data", "model"), axis_types=(AxisType.Auto,) * 2)
    layer = eqx.nn.Linear(64, 256, key=jax.random.key(0))  # weight (out, in), bias (out,)
    placed = eqx.tree_at(lambda m: (m.weight, m.bias), layer, (
        jax.device_put(layer.weight, NamedSharding(mesh, P("model", None))),
        jax.device_put(layer.bias, NamedSharding(mesh, P("model")))))
    new, _ = xj.init_params(placed, jax.random.key(1))
    plain, _ = xj.init_params(layer, jax.random.key(1))
    for name in ("weight", "bias"):
        got, want = getattr(new, name), getattr(plain, name)
        assert got.sharding.is_equivalent_to(getattr(placed, name).sharding, got.ndim), (
            f"{name}: got {got.sharding}, but should be {getattr(placed, name).sharding}")
        assert np.array_equal(np.asarray(got), np.asarray(want)), name
