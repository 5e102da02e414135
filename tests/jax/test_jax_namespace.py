"""``from xavier_adapters import jax as initializers`` replaces ``from jax.nn import initializers``.

Every public name of jax.nn.initializers exists here with a compatible signature; he_*, lecun_*
and the xavier_*/kaiming_* aliases draw the spec's law (statistics), keep JAX's shape and dtype
contract over the shapes and dtypes of JAX's own initializer tests, take multi and batch axes, run
under jit and with out_sharding; the rest are JAX's own objects.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters.jax import namespace
from xavier_conformance import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from signatures import assert_compatible


def jax_public_names() -> list[str]:
    module = jax.nn.initializers
    return sorted(name for name in dir(module) if not name.startswith("_")
                  and getattr(getattr(module, name), "__module__", "").startswith("jax"))


def test_jax_surface_is_what_we_expect() -> None:
    assert jax_public_names() == sorted(namespace.OURS + namespace.JAX_OWN)


@pytest.mark.parametrize("name", jax_public_names())
def test_every_jax_name_exists_with_a_compatible_signature(name: str) -> None:
    assert name in xj.__all__, f"got no xavier_adapters.jax.{name}, but jax.nn.initializers has it"
    ours, theirs = getattr(xj, name), getattr(jax.nn.initializers, name)
    if inspect.isclass(theirs):  # the Initializer protocol: compare what a call takes
        ours, theirs = ours.__call__, theirs.__call__
    assert_compatible(inspect.signature(ours), inspect.signature(theirs), name)


@pytest.mark.parametrize("name", namespace.JAX_OWN)
def test_the_rest_is_jaxs_own_object(name: str) -> None:
    assert getattr(xj, name) is getattr(jax.nn.initializers, name)


# name: (factory, the spec it draws)
FAMILY: dict[str, tuple[Callable[..., xj.Initializer], xc.VarianceScaling]] = {
    "he_uniform": (xj.he_uniform, xc.he("uniform")),
    "he_normal": (xj.he_normal, xc.he("normal")),
    "he_truncated_normal": (xj.he_truncated_normal, xc.he("truncated_normal")),
    "kaiming_uniform": (xj.kaiming_uniform, xc.he("uniform")),
    "kaiming_normal": (xj.kaiming_normal, xc.he("normal")),
    "lecun_uniform": (xj.lecun_uniform, xc.lecun("uniform")),
    "lecun_normal": (xj.lecun_normal, xc.lecun("normal")),
    "lecun_truncated_normal": (xj.lecun_truncated_normal, xc.lecun("truncated_normal")),
    "xavier_uniform": (xj.xavier_uniform, xc.glorot_uniform()),
    "xavier_normal": (xj.xavier_normal, xc.glorot_normal()),
}


@pytest.mark.parametrize("name", FAMILY)
def test_family_draws_the_spec(name: str) -> None:
    factory, spec = FAMILY[name]
    shape = (3, 3, 48, 96)  # HWIO: fan_in 432, fan_out 864
    weight = np.asarray(factory()(jax.random.key(len(name)), shape))
    for result in stats.check_sample(weight, spec.resolve(shape).distribution):
        assert result.passed, f"{result.describe()} [{name}]"


@pytest.mark.parametrize(("ours", "theirs"), [("he_uniform", "he_uniform"),
                                               ("he_truncated_normal", "he_normal"),
                                               ("lecun_uniform", "lecun_uniform"),
                                               ("lecun_truncated_normal", "lecun_normal")])
def test_same_law_as_jax(ours: str, theirs: str) -> None:
    # JAX's own draw passes our law's checks: the same distribution (not the same bits).
    shape = (256, 384)
    weight = np.asarray(getattr(jax.nn.initializers, theirs)()(jax.random.key(7), shape))
    law = FAMILY[ours][1].resolve(shape).distribution
    for result in stats.check_sample(weight, law):
        assert result.passed, f"{result.describe()} [jax {theirs} vs our {ours}]"


JAX_TEST_SHAPES = [(2, 2), (2, 3), (3, 2), (2, 3, 4), (4, 3, 2), (2, 3, 4, 5)]


SHAPE_DTYPE_CASES = [(shape, "float32") for shape in JAX_TEST_SHAPES] + [
    ((2, 3), "bfloat16"), ((4, 3, 2), "float16"), ((3, 2), "complex64")]


@pytest.mark.parametrize(("shape", "dtype"), SHAPE_DTYPE_CASES,
                         ids=[f"{'x'.join(map(str, s))}-{d}" for s, d in SHAPE_DTYPE_CASES])
@pytest.mark.parametrize("name", FAMILY)
def test_shape_and_dtype_at_call_and_at_construction(name: str, shape: tuple[int, ...],
                                                     dtype: str) -> None:
    factory = FAMILY[name][0]
    at_call = factory()(jax.random.key(0), shape, dtype)
    provided = factory(dtype=dtype)(jax.random.key(0), shape)
    for value in (at_call, provided):
        assert value.shape == shape and value.dtype == jnp.dtype(dtype), \
            f"got {value.shape} {value.dtype}, but should be {shape} {dtype} [{name}]"
    assert jnp.array_equal(at_call, provided)


def test_multi_axis_and_batch_axis() -> None:
    shape = (2, 3, 4, 5)
    multi = xj.he_normal(in_axis=(0, 1), out_axis=(-2, -1))(jax.random.key(0), shape)
    batch = xj.lecun_uniform(in_axis=0, out_axis=(2, 3), batch_axis=1)(jax.random.key(0), shape)
    assert multi.shape == batch.shape == shape
    assert float(jnp.abs(batch).max()) <= math.sqrt(3 / 2)  # fan_in = 2 per batch entry


def test_rank_one_is_a_value_error_naming_the_axis() -> None:
    with pytest.raises(ValueError, match="in_axis must be"):
        xj.he_uniform()(jax.random.key(0), (5,))


@pytest.mark.parametrize("name", FAMILY)
def test_jit_gives_the_same_values(name: str) -> None:
    init = FAMILY[name][0]()
    eager = init(jax.random.key(3), (64, 32))
    jitted = jax.jit(init, static_argnums=(1,))(jax.random.key(3), (64, 32))
    assert jnp.array_equal(eager, jitted)


@pytest.mark.skipif(len(jax.devices()) < 8, reason="needs XLA_FLAGS="
                    "--xla_force_host_platform_device_count=8 (python tests/run.py jax)")
@pytest.mark.parametrize("name", ["he_normal", "lecun_uniform", "kaiming_uniform"])
def test_out_sharding_equals_the_unsharded_values(name: str) -> None:
    mesh = jax.make_mesh((8,), ("x",))
    sharding = NamedSharding(mesh, P(None, "x"))
    init = FAMILY[name][0]()
    with jax.set_mesh(mesh):
        sharded = jax.jit(lambda key: init(key, (128, 256), out_sharding=sharding))(
            jax.random.key(1))
    assert sharded.sharding.is_equivalent_to(sharding, 2)
    np.testing.assert_array_equal(np.asarray(sharded),
                                  np.asarray(init(jax.random.key(1), (128, 256))))
