"""The jax.nn.initializers-style factories draw exactly the spec's distribution.

Each sample passes the bounds, reach, mean, variance and Kolmogorov-Smirnov checks of
xavier_conformance.stats, each with false-alarm rate 1e-6; seeds are fixed.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters import numpy as xnp
from xavier_conformance import stats

# id: (shape, axes for the factory, the same layout for the spec)
SHAPES = {
    "dense-512x256": ((512, 256), {}, xc.CHANNELS_LAST),
    "conv2d-hwio-3x3x64x128": ((3, 3, 64, 128), {}, xc.CHANNELS_LAST),
    "custom-axes-stacked-8x128x96": (
        (8, 128, 96), {"in_axis": 1, "out_axis": 2, "batch_axis": 0},
        xc.Layout(in_axis=1, out_axis=2, batch_axis=0),
    ),
    "custom-axes-heads-256x8x64": (
        (256, 8, 64), {"in_axis": 0, "out_axis": (1, 2)}, xc.Layout(in_axis=0, out_axis=(1, 2)),
    ),
}
TANH = xc.calculate_gain("tanh")
# id: (factory with its keyword arguments, the spec it must draw)
FACTORIES: dict[str, tuple[Callable[..., xj.Initializer], dict, xc.VarianceScaling]] = {
    "uniform": (xj.glorot_uniform, {}, xc.glorot_uniform()),
    "normal": (xj.glorot_normal, {}, xc.glorot_normal()),
    "truncated_normal": (xj.glorot_truncated_normal, {}, xc.glorot_truncated_normal()),
    "uniform-gain-tanh": (xj.glorot_uniform, {"gain": TANH}, xc.glorot_uniform(TANH)),
}
DTYPES = ["float32", "bfloat16", "float16", "float64"]


def _draw(factory_id: str, shape_id: str, dtype: str) -> tuple[np.ndarray, xc.Distribution]:
    shape, axes, layout = SHAPES[shape_id]
    factory, options, spec = FACTORIES[factory_id]
    key = jax.random.key(sum(map(ord, f"{shape_id}{factory_id}{dtype}")))
    with jax.enable_x64(dtype == "float64"):
        weight = factory(**axes, **options)(key, shape, dtype)
    assert weight.shape == shape, f"got shape {weight.shape}, but should be {shape}"
    assert weight.dtype == jnp.dtype(dtype), f"got {weight.dtype}, but should be {dtype}"
    as_numpy = np.asarray(weight.astype(jnp.float32)) if dtype == "bfloat16" else np.asarray(weight)
    return as_numpy.astype(xnp.numpy_dtype(dtype)), spec.resolve(shape, layout).distribution


# Every layout in float32, every dtype on the dense layout: the dtype path does not see axes.
CASES = [(shape_id, factory_id, "float32") for shape_id in SHAPES for factory_id in FACTORIES] + [
    ("dense-512x256", factory_id, dtype) for factory_id in FACTORIES for dtype in DTYPES[1:]]


@pytest.mark.parametrize(("shape_id", "factory_id", "dtype"), CASES,
                         ids=["-".join(case) for case in CASES])
def test_sample_matches_spec(shape_id: str, factory_id: str, dtype: str) -> None:
    sample, distribution = _draw(factory_id, shape_id, dtype)
    for result in stats.check_sample(sample, distribution):
        assert result.passed, result.describe() + f" [jax, {shape_id}, {factory_id}, {dtype}]"


def test_normal_is_untruncated() -> None:
    # 1M draws of N(0, s^2): about 45,500 beyond 2 s; a truncated normal has none.
    weight = np.asarray(xj.glorot_normal()(jax.random.key(0), (1024, 1024)))
    std = xc.glorot_normal().resolve((1024, 1024)).std
    beyond = int(np.sum(np.abs(weight) > 2 * std))
    assert beyond > 40_000, f"got {beyond} values beyond 2 std, but should be about 45,500"


def test_matches_jax_variance_scaling_law() -> None:
    # Same law as jax.nn.initializers.glorot_normal (truncated), by the same statistics.
    shape = (512, 256)
    theirs = np.asarray(jax.nn.initializers.glorot_normal()(jax.random.key(3), shape))
    distribution = xc.glorot_truncated_normal().resolve(shape).distribution
    for result in stats.check_sample(theirs, distribution):
        assert result.passed, result.describe() + " [jax.nn.initializers.glorot_normal]"


@pytest.mark.parametrize("factory_id", FACTORIES)
def test_jit_gives_the_same_values(factory_id: str) -> None:
    factory, options, _ = FACTORIES[factory_id]
    init = factory(**options)
    key = jax.random.key(5)
    eager = init(key, (64, 32))
    jitted = jax.jit(init, static_argnums=(1, 2))(key, (64, 32), jnp.float32)
    np.testing.assert_array_equal(np.asarray(jitted), np.asarray(eager))


def test_same_key_same_values_other_key_other_values() -> None:
    init = xj.glorot_uniform()
    first, again = init(jax.random.key(1), (32, 16)), init(jax.random.key(1), (32, 16))
    other = init(jax.random.key(2), (32, 16))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_raw_uint32_keys_work() -> None:
    weight = xj.glorot_uniform()(jax.random.PRNGKey(0), (16, 8))
    assert weight.shape == (16, 8)


def test_bfloat16_has_thousands_of_distinct_values() -> None:
    key = jax.random.key(0)
    ours = xj.glorot_uniform()(key, (4096, 4096), jnp.bfloat16)
    distinct = np.unique(np.asarray(ours.astype(jnp.float32))).size
    assert distinct > 1000, f"got {distinct} distinct bfloat16 values, but should be > 1000"
    theirs = jax.nn.initializers.glorot_uniform()(key, (4096, 4096), jnp.bfloat16)
    sampled_in_bf16 = np.unique(np.asarray(theirs.astype(jnp.float32))).size
    assert sampled_in_bf16 < 200, f"got {sampled_in_bf16}, but JAX's own should give ~128"


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_low_precision_is_the_float32_draw_cast_once(dtype: str) -> None:
    key = jax.random.key(7)
    low = xj.glorot_truncated_normal()(key, (256, 128), dtype)
    full = xj.glorot_truncated_normal()(key, (256, 128), jnp.float32)
    np.testing.assert_array_equal(np.asarray(low), np.asarray(full.astype(dtype)))


def test_float64_is_sampled_in_float64() -> None:
    with jax.enable_x64(True):
        weight = np.asarray(xj.glorot_normal()(jax.random.key(1), (256, 256), jnp.float64))
    assert weight.dtype == np.float64
    assert not np.array_equal(weight, weight.astype(np.float32).astype(np.float64))


def test_default_dtype_follows_jax() -> None:
    assert xj.glorot_uniform()(jax.random.key(0), (4, 4)).dtype == jnp.float32
    with jax.enable_x64(True):
        assert xj.glorot_uniform()(jax.random.key(0), (4, 4)).dtype == jnp.float64


def test_factory_dtype_is_the_default_and_call_dtype_wins() -> None:
    init = xj.glorot_uniform(dtype=jnp.bfloat16)
    assert init(jax.random.key(0), (4, 4)).dtype == jnp.bfloat16
    assert init(jax.random.key(0), (4, 4), jnp.float16).dtype == jnp.float16


def test_is_a_jax_initializer_and_a_value() -> None:
    init = xj.glorot_uniform(in_axis=(0, 1), out_axis=[2])
    assert isinstance(init, jax.nn.initializers.Initializer)
    assert init == xj.glorot_uniform(in_axis=(0, 1), out_axis=(2,))
    assert hash(init) == hash(pickle.loads(pickle.dumps(init)))
    assert "fan_avg" in repr(init)


def test_variance_scaling_takes_jax_arguments() -> None:
    init = xj.variance_scaling(2.0, "fan_in", "normal", in_axis=1, out_axis=0)
    assert init.spec == xc.he("normal")
    assert init.layout.fans((64, 16, 3, 3)) == (144, 576)


def test_gain_zero_gives_zeros() -> None:
    weight = xj.glorot_uniform(gain=0.0)(jax.random.key(0), (8, 8))
    assert not np.any(np.asarray(weight))


def test_grouped_layout_through_initializer() -> None:
    # Flax Conv 32->64, k3, feature_group_count=4: kernel (3, 3, 8, 64), fans (72, 144).
    init = xj.Initializer(xc.glorot_uniform(), xc.CHANNELS_LAST.with_(groups=4))
    weight = np.asarray(init(jax.random.key(0), (3, 3, 8, 64)))
    bound = xc.glorot_uniform().resolve((3, 3, 8, 64), xc.CHANNELS_LAST.with_(groups=4)).bound
    assert bound == pytest.approx((6 / (72 + 144)) ** 0.5)
    assert 0.9 * bound < np.abs(weight).max() <= np.float32(bound)


def test_sample_for_the_conformance_suite() -> None:
    weight = xj.sample(xc.glorot_normal(), (784, 128), xc.CHANNELS_LAST, "bfloat16", 0)
    again = xj.sample(xc.glorot_normal(), (784, 128), xc.CHANNELS_LAST, "bfloat16", 0, "cpu")
    assert weight.dtype == jnp.bfloat16 and weight.shape == (784, 128)
    np.testing.assert_array_equal(np.asarray(weight), np.asarray(again))
    assert again.devices() == {jax.devices("cpu")[0]}


BAD_CALLS: dict[str, tuple[Callable[[], object], str]] = {
    "int-dtype": (lambda: xj.glorot_uniform()(jax.random.key(0), (4, 4), jnp.int32),
                  "dtype='int32'"),
    "unknown-dtype": (lambda: xj.glorot_normal()(jax.random.key(0), (4, 4), "float7"),
                      "dtype='float7'"),
    "float64-without-x64": (lambda: xj.glorot_normal()(jax.random.key(0), (4, 4), "float64"),
                            "jax_enable_x64"),
    "factory-int-dtype": (lambda: xj.glorot_uniform(dtype="int8"), "dtype='int8'"),
    "factory-unknown-dtype": (lambda: xj.glorot_uniform(dtype="half-ish"), "dtype='half-ish'"),
    "rank-one-default-axes": (lambda: xj.glorot_uniform()(jax.random.key(0), (5,)),
                              "in_axis=-2"),
    "zero-dimension": (lambda: xj.glorot_uniform()(jax.random.key(0), (0, 5)), "shape=(0, 5)"),
    "axes-overlap": (lambda: xj.glorot_uniform(in_axis=0, out_axis=0)(jax.random.key(0), (4, 4)),
                     "in_axis=0"),
    "gain-negative": (lambda: xj.glorot_normal(gain=-1.0), "gain=-1.0"),
    "mode-unknown": (lambda: xj.variance_scaling(1.0, "fan_sum", "normal"), "mode='fan_sum'"),
    "spec-not-a-spec": (lambda: xj.Initializer("glorot"), "spec='glorot'"),
}


@pytest.mark.parametrize("call, fragment", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_raises_named_error(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    assert fragment in str(caught.value), f"got {caught.value}, but should mention {fragment!r}"
