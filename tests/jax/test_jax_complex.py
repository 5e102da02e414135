"""Complex JAX weights: every initializer draws xavier_core.complex_law (two split keys, the
spec's part law), under jit too; JAX's own complex glorot_normal is 1.9 % high (caught)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance import stats

SHAPE = (256, 384)
FACTORIES = {
    "glorot_uniform": (xj.glorot_uniform, xc.glorot_uniform()),
    "glorot_normal": (xj.glorot_normal, xc.glorot_normal()),
    "glorot_truncated_normal": (xj.glorot_truncated_normal, xc.glorot_truncated_normal()),
    "he_uniform": (xj.he_uniform, xc.he("uniform")),
    "lecun_normal": (xj.lecun_normal, xc.lecun("normal")),
}


@pytest.mark.parametrize("dtype", xc.COMPLEX_DTYPES)
@pytest.mark.parametrize("name", FACTORIES)
def test_complex_draw_passes_every_check(name: str, dtype: str) -> None:
    factory, spec = FACTORIES[name]
    with jax.enable_x64(dtype == "complex128"):
        weight = factory()(jax.random.key(2), SHAPE, dtype)
        assert weight.dtype == jnp.dtype(dtype)
        values = np.asarray(weight)
    results = stats.check_complex_sample(values, spec.resolve(SHAPE).distribution)
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, f"{name}, {dtype}: {failed}"


def test_jit_same_values() -> None:
    init = xj.he_normal()
    eager = init(jax.random.key(0), (32, 16), "complex64")
    jitted = jax.jit(init, static_argnums=(1, 2))(jax.random.key(0), (32, 16), "complex64")
    assert jnp.array_equal(eager, jitted)


def test_jaxs_own_complex_truncated_normal_is_caught() -> None:
    shape = (1024, 1024)
    values = np.asarray(jax.nn.initializers.glorot_normal()(jax.random.key(0), shape,
                                                            jnp.complex64))
    abs2 = next(r for r in stats.check_complex_sample(
        values, xc.glorot_truncated_normal().resolve(shape).distribution) if r.name == "abs2")
    assert not abs2.passed, abs2.describe()
    assert 1.01 < abs2.statistic / abs2.expected < 1.03, abs2.describe()


def test_complex128_without_x64_is_a_clear_error() -> None:
    with jax.enable_x64(False), pytest.raises(xc.XavierError, match="dtype must be"):
        xj.glorot_uniform()(jax.random.key(0), (4, 4), "complex128")
