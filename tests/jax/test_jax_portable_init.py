"""JAX initializers with a ``PortableKey``: the numpy reference's values bit for bit, in every
layout, law and dtype (bfloat16/float16 through float32), unsharded and sharded over 1/2/4/8
devices (Explicit and Auto mesh axes)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import xavier_core as xc
from xavier_adapters.jax import initializers as ji
from xavier_core import portable as xp

KEY = xc.PortableKey(7)
INITS = ["glorot_uniform", "glorot_normal", "glorot_truncated_normal"]
CASES = {
    "dense": ((64, 32), {}),
    "conv": ((3, 3, 8, 16), {}),
    "torch-layout": ((16, 8, 3, 3), {"in_axis": 1, "out_axis": 0}),
    "depthwise": ((3, 3, 8, 2), {"in_axis": (), "out_axis": -1, "batch_axis": -2}),
}


def reference(init: ji.Initializer, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    law = init.spec.resolve(shape, init.layout).distribution
    return xp.sample(KEY, law, shape, init.layout).astype(jnp.dtype(dtype))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", INITS)
def test_portable_key_gives_the_numpy_reference(name: str, case: str, dtype: str) -> None:
    shape, axes = CASES[case]
    init = getattr(ji, name)(**axes)
    got = np.asarray(init(KEY, shape, dtype))
    want = reference(init, shape, dtype)
    assert got.dtype == want.dtype
    differ = int((got.astype(np.float32) != want.astype(np.float32)).sum())
    assert differ == 0, f"got {differ} values differing from the numpy reference, but should " \
        f"be 0 [{name}-{case}-{dtype}]"


@pytest.mark.parametrize("axis_type", [AxisType.Explicit, AxisType.Auto], ids=["explicit", "auto"])
@pytest.mark.parametrize("devices", [1, 2, 4, 8])
@pytest.mark.parametrize("name", INITS)
def test_sharded_portable_draw_equals_the_unsharded_one(name: str, devices: int,
                                                        axis_type: AxisType) -> None:
    mesh = jax.make_mesh((devices,), ("x",), axis_types=(axis_type,),
                         devices=jax.devices()[:devices])
    init = getattr(ji, name)()
    sharding = NamedSharding(mesh, P(None, "x"))
    with jax.set_mesh(mesh):
        got = jax.jit(lambda: init(KEY, (32, 64), out_sharding=sharding))()
    np.testing.assert_array_equal(np.asarray(got), reference(init, (32, 64), "float32"))
    if axis_type == AxisType.Explicit:  # Auto: the partitioner picks the output sharding
        assert got.sharding.spec == sharding.spec


def test_jitted_call_equals_eager() -> None:
    init = ji.glorot_normal()
    eager = init(KEY, (16, 16))
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda: init(KEY, (16, 16)))()),
                                  np.asarray(eager))
