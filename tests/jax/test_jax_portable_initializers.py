"""JAX's ``key=PortableKey``: the xj initializers give the numpy reference's bits, on the case
matrix (dense, conv, transposed, grouped, packed, depthwise x float32/float16/bfloat16, float64
under x64), for uniform, normal and truncated normal, and any sharding gives the same bits.

Run under ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` for the 8-way shards."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_core import portable as xp

LAWS = {"uniform": xc.glorot_uniform, "normal": xc.glorot_normal,
        "truncated_normal": xc.glorot_truncated_normal}
CASES = {  # id: (shape, layout)
    "dense": ((784, 64), xc.CHANNELS_LAST),
    "conv-hwio": ((3, 3, 16, 64), xc.CHANNELS_LAST),
    "conv-torch-layout": ((64, 16, 3, 3), xc.TORCH),
    "transposed-keras": ((3, 3, 7, 5), xc.KERAS_TRANSPOSED),
    "grouped": ((3, 3, 8, 64), xc.CHANNELS_LAST.with_(groups=4)),
    "packed-lstm": ((16, 128), xc.CHANNELS_LAST.with_(blocks=4)),
    "depthwise": ((3, 3, 32, 1), xc.DEPTHWISE_CHANNELS_LAST),
}
DTYPES = ["float32", "float16", "bfloat16"] + (["float64"] if jax.config.jax_enable_x64 else [])


def _expected(law: str, shape: tuple[int, ...], layout: xc.Layout, dtype: str,
              key: xc.PortableKey) -> np.ndarray:
    distribution = LAWS[law]().resolve(shape, layout).distribution
    work = "float64" if dtype == "float64" else "float32"
    return xp.sample(key, distribution, shape, layout, work).astype(jnp.dtype(dtype))


def _mismatches(got: jax.Array, expected: np.ndarray) -> int:
    got_np = np.asarray(got)
    assert got_np.dtype == expected.dtype and got_np.shape == expected.shape
    width = {2: np.int16, 4: np.int32, 8: np.int64}[expected.dtype.itemsize]
    return int((got_np.view(width) != expected.view(width)).sum())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("law", LAWS)
def test_portable_key_is_the_numpy_reference(law: str, case: str, dtype: str) -> None:
    shape, layout = CASES[case]
    key = xc.PortableKey(2024)
    init = xj.Initializer(LAWS[law](), layout)
    got = init(key, shape, jnp.dtype(dtype))
    bad = _mismatches(got, _expected(law, shape, layout, dtype, key))
    assert bad == 0, f"got {bad} of {got.size} values differing from the numpy reference, " \
        f"but should be 0 [{law}-{case}-{dtype}]"


@pytest.mark.parametrize("law", LAWS)
def test_under_jit_and_public_names(law: str) -> None:
    key = xc.PortableKey(7)
    init = {"uniform": xj.glorot_uniform, "normal": xj.glorot_normal,
            "truncated_normal": xj.glorot_truncated_normal}[law]()
    got = jax.jit(lambda: init(key, (128, 256)))()
    assert _mismatches(got, _expected(law, (128, 256), xc.CHANNELS_LAST, "float32", key)) == 0


def test_anchor_dense_uniform_is_jax_random_uniform() -> None:
    key = xc.PortableKey(42)
    got = xj.glorot_uniform()(key, (784, 64))
    bound = xc.glorot_uniform().resolve((784, 64), xc.CHANNELS_LAST).distribution.bound
    expected = np.asarray(jax.random.uniform(jax.random.key(42), (784, 64), jnp.float32,
                                             -bound, bound))
    assert _mismatches(got, expected) == 0


@pytest.mark.parametrize("devices", [1, 2, 4, 8])
@pytest.mark.parametrize("case", ["dense", "conv-torch-layout"])
@pytest.mark.parametrize("law", LAWS)
def test_sharded_draw_is_the_unsharded_reference(law: str, case: str, devices: int) -> None:
    if len(jax.devices()) < devices:
        pytest.skip(f"needs {devices} devices: XLA_FLAGS=--xla_force_host_platform_device_count=8")
    shape, layout = CASES[case]
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:devices]), ("model",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("model", None))
    key = xc.PortableKey(9)
    got = xj.Initializer(LAWS[law](), layout)(key, shape, out_sharding=sharding)
    assert got.sharding.is_equivalent_to(sharding, len(shape))
    assert _mismatches(got, _expected(law, shape, layout, "float32", key)) == 0
    for shard in got.addressable_shards:  # each device holds its own block only
        assert shard.data.shape == (shape[0] // devices, *shape[1:])


@pytest.mark.parametrize("dtype", [jnp.complex64], ids=["complex64"])
def test_complex_dtype_with_a_portable_key_is_refused_clearly(dtype: object) -> None:
    with pytest.raises(xc.XavierError, match=r"^dtype must be a real floating dtype \(float16, "
                       r"bfloat16, float32, float64\) with a PortableKey, got dtype='complex64'; "
                       r"portable mode draws real weights only"):
        xj.glorot_uniform()(xc.PortableKey(0), (4, 4), dtype)
