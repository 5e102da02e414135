"""Portable mode, core: keys, counters over the canonical index space, shards, the float laws.

The numpy reference (:func:`xavier_core.portable.sample`) is checked against values JAX gives
(hard-coded here: tests/jax/test_jax_portable.py compares with JAX itself), against itself under
other layouts and shardings, and against the spec's exact laws (Kolmogorov-Smirnov, moments).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import erfinv as exact_erfinv

import xavier_core as xc
from xavier_core import portable as xp

KEY = xc.PortableKey(0)
LAWS = {
    "uniform": xc.Uniform(bound=0.25),
    "normal": xc.Normal(std=0.5),
    "truncated_normal": xc.TruncatedNormal(std=0.5),
}


@pytest.mark.parametrize(("seed", "words"), [
    (0, (0, 0)), (7, (0, 7)), (-1, (0, 0xFFFFFFFF)), (2**32 + 5, (1, 5)),
])
def test_key_from_seed_as_jax_random_key(seed: int, words: tuple[int, int]) -> None:
    assert xc.PortableKey(seed).words == words


def test_fold_in_and_split_as_jax() -> None:
    # jax.random.key_data(jax.random.fold_in(jax.random.key(0), 7)) and split(key(3), 3).
    assert KEY.fold_in(7).words == (2716826189, 292468403)
    assert [k.words for k in xc.PortableKey(0).split(3)] == [
        (1797259609, 2579123966), (928981903, 3453687069), (4146024105, 2718843009)]


def test_bits_as_jax_random_bits() -> None:
    # jax.random.bits(jax.random.key(0), (4,), jnp.uint32)
    x0, x1 = xp.random_bits(xp.NUMPY_OPS, KEY, (4,))
    assert ((x0 ^ x1).view(np.uint32)).tolist() == [4070199207, 4202968722, 1427181096,
                                                    2012915765]


@pytest.mark.parametrize("bad", [1.5, True, 2**64, -(2**31) - 1, "0"])
def test_bad_seed_is_refused(bad: object) -> None:
    with pytest.raises(xc.XavierError, match="seed must be an int in"):
        xc.PortableKey(bad)  # type: ignore[arg-type]


def test_bad_fold_in_data_is_refused() -> None:
    with pytest.raises(xc.XavierError, match=r"data must be an int in \[0, 2\*\*32\), got data=-1"):
        KEY.fold_in(-1)


def test_keys_compare_by_words_and_repr() -> None:
    assert xc.PortableKey(5) == xc.PortableKey.from_words(0, 5)
    assert repr(xc.PortableKey(5)) == "PortableKey(5)"
    assert repr(KEY.fold_in(1)).startswith("PortableKey.from_words(")


def test_model_level_key_is_two_fold_ins() -> None:
    assert KEY.for_tensor(3, 1) == KEY.fold_in(3).fold_in(1)


@pytest.mark.parametrize(("layout", "rank", "order"), [
    (xc.CHANNELS_LAST, 2, (0, 1)),
    (xc.CHANNELS_LAST, 4, (0, 1, 2, 3)),
    (xc.TORCH, 2, (1, 0)),
    (xc.TORCH, 4, (2, 3, 1, 0)),
    (xc.TORCH_TRANSPOSED, 4, (2, 3, 0, 1)),
    (xc.KERAS_TRANSPOSED, 4, (0, 1, 3, 2)),
    (xc.DEPTHWISE_CHANNELS_LAST, 4, (0, 1, 2, 3)),
], ids=["dense", "hwio", "torch-linear", "torch-conv", "torch-transposed", "keras-transposed",
        "keras-depthwise"])
def test_canonical_axes(layout: xc.Layout, rank: int, order: tuple[int, ...]) -> None:
    assert xp.canonical_axes(layout, rank) == order


@pytest.mark.parametrize("distribution", list(LAWS), ids=list(LAWS))
@pytest.mark.parametrize(("torch_shape", "torch_layout", "keras_axes", "keras_layout"), [
    ((64, 16), xc.TORCH, (1, 0), xc.CHANNELS_LAST),
    ((8, 4, 3, 3), xc.TORCH, (2, 3, 1, 0), xc.CHANNELS_LAST),
    ((4, 8, 3, 3), xc.TORCH_TRANSPOSED, (2, 3, 1, 0), xc.KERAS_TRANSPOSED),
    ((16, 2, 3, 3), xc.TORCH.with_(groups=4), (2, 3, 1, 0), xc.CHANNELS_LAST.with_(groups=4)),
    ((12, 5), xc.TORCH.with_(blocks=4), (1, 0), xc.CHANNELS_LAST.with_(blocks=4)),
], ids=["dense", "conv", "transposed", "grouped", "packed"])
def test_torch_and_keras_layouts_hold_the_same_values(
    distribution: str, torch_shape: tuple[int, ...], torch_layout: xc.Layout,
    keras_axes: tuple[int, ...], keras_layout: xc.Layout,
) -> None:
    keras_shape = tuple(torch_shape[a] for a in keras_axes)
    law = LAWS[distribution]
    torch_w = xp.sample(KEY, law, torch_shape, torch_layout)
    keras_w = xp.sample(KEY, law, keras_shape, keras_layout)
    np.testing.assert_array_equal(torch_w.transpose(keras_axes), keras_w)


def test_torch_depthwise_equals_keras_depthwise() -> None:
    # torch Conv2d(8, 16, 3, groups=8) (16, 1, 3, 3), out o = c * 2 + m; Keras (3, 3, 8, 2).
    torch_w = xp.sample(KEY, LAWS["uniform"], (16, 1, 3, 3), xc.TORCH.with_(groups=8))
    keras_w = xp.sample(KEY, LAWS["uniform"], (3, 3, 8, 2), xc.DEPTHWISE_CHANNELS_LAST)
    np.testing.assert_array_equal(torch_w.transpose(2, 3, 1, 0).reshape(3, 3, 8, 2), keras_w)


@pytest.mark.parametrize("distribution", list(LAWS), ids=list(LAWS))
@pytest.mark.parametrize("count", [1, 2, 4, 8])
@pytest.mark.parametrize("axis", [0, 1])
def test_a_shard_is_the_slice_of_the_full_draw(distribution: str, count: int, axis: int) -> None:
    shape = (16, 24)
    full = xp.sample(KEY, LAWS[distribution], shape, xc.TORCH)
    shards = [1, 1]
    shards[axis] = count
    for at in range(count):
        position = [0, 0]
        position[axis] = at
        indices = xp.shard_indices(shape, shards, position)
        block = xp.sample(KEY, LAWS[distribution], shape, xc.TORCH, indices=indices)
        np.testing.assert_array_equal(block, full[np.ix_(*indices)])


def test_uneven_and_strided_indices() -> None:
    full = xp.sample(KEY, LAWS["normal"], (10, 7))
    rows, cols = np.array([9, 0, 4]), np.arange(1, 7, 2)
    np.testing.assert_array_equal(
        xp.sample(KEY, LAWS["normal"], (10, 7), indices=[rows, cols]), full[np.ix_(rows, cols)])


def test_counters_past_2_to_the_32_carry_into_the_high_word() -> None:
    # 2^33 elements: only a few rows are computed, against scalar threefry of (hi, lo).
    shape = (2**17, 2**16)
    rows, cols = np.array([0, 2**16 - 1, 2**16, 2**17 - 1]), np.array([0, 1, 2**16 - 1])
    x0, x1 = xp.random_bits(xp.NUMPY_OPS, KEY, shape, indices=[rows, cols])
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            index = int(r) * 2**16 + int(c)
            words = xp._threefry_words(KEY.words, index >> 32, index & xp.MASK32)
            assert (int(x0[i, j]) & xp.MASK32, int(x1[i, j]) & xp.MASK32) == words, (r, c)


def test_indices_out_of_range_are_refused() -> None:
    with pytest.raises(xc.XavierError, match=r"indices\[1\] must be global indices in \[0, 7\)"):
        xp.sample(KEY, LAWS["normal"], (10, 7), indices=[np.arange(2), np.array([7])])


def test_bad_sampling_dtype_is_refused() -> None:
    with pytest.raises(xc.XavierError, match="dtype must be 'float32' or 'float64'"):
        xp.sample(KEY, LAWS["normal"], (2, 2), dtype="float16")


def test_uniform_float32_is_the_exact_rounding_of_the_jax_formula() -> None:
    # jax.random.uniform: k 2^-23 * 2a - a, fused into one FMA: exact in float64, rounded once.
    shape, bound = (257, 129), 0.0759
    x0, x1 = xp.random_bits(xp.NUMPY_OPS, KEY, shape)
    k = ((x0 ^ x1).view(np.uint32) >> 9).astype(np.float64)
    a = np.float64(np.float32(bound))
    expected = (k * 2.0**-23 * (2 * a) - a).astype(np.float32)
    np.testing.assert_array_equal(xp.sample(KEY, xc.Uniform(bound), shape), expected)


def test_uniform_float64_uses_52_bits() -> None:
    values = xp.sample(KEY, xc.Uniform(1.0), (4096,), dtype="float64")
    assert values.dtype == np.float64
    off_float32_grid = np.mean(values.astype(np.float32).astype(np.float64) != values)
    assert off_float32_grid > 0.99, f"got {off_float32_grid}, but should be > 0.99"
    top = (xp.random_bits(xp.NUMPY_OPS, KEY, (4096,))[0].view(np.uint32) >> 31).astype(int)
    expected = np.where(top == 1, 1.0, -1.0)
    np.testing.assert_array_equal(np.sign(values), expected)  # the top bit is x0's


def test_erfinv_is_within_4_ulp() -> None:
    x = np.linspace(-1 + 2**-23, 1 - 2**-23, 400_001).astype(np.float32)
    got = xp.erfinv(xp.NUMPY_OPS, x).astype(np.float64)
    exact = exact_erfinv(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    worst = float(np.max(np.abs(got - exact) / ulp))
    assert worst <= 4.0, f"got {worst} ulp, but should be <= 4 [erfinv on (-1, 1)]"


def test_log_is_within_1_5e_7_or_1_5_ulp() -> None:
    t = np.geomspace(2.0**-24, 1.0, 100_001).astype(np.float32)
    exact = np.log(t.astype(np.float64))
    error = np.abs(xp.log_f32(xp.NUMPY_OPS, t).astype(np.float64) - exact)
    allowed = np.maximum(1e-7, np.spacing(np.abs(exact).astype(np.float32)))
    worst = float(np.max(error / allowed))
    assert worst <= 1.5, f"got {worst} x the allowed error, but should be <= 1.5"


@pytest.mark.parametrize("distribution", list(LAWS), ids=list(LAWS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_portable_draws_follow_the_spec_law(distribution: str, dtype: str) -> None:
    law = LAWS[distribution]
    values = xp.sample(xc.PortableKey(11), law, (512, 512), dtype=dtype).astype(np.float64)
    assert np.abs(values).max() <= law.bound
    n = values.size
    assert abs(values.mean()) < 5 * law.std / math.sqrt(n)
    variance_error = math.sqrt((law.fourth_moment - law.variance**2) / n)
    assert abs(values.var() - law.variance) < 5 * variance_error
    assert stats.kstest(values.ravel(), law.cdf).pvalue > 1e-3


def test_truncated_normal_reaches_its_bound() -> None:
    law = LAWS["truncated_normal"]
    values = xp.sample(KEY, law, (1024, 1024))
    assert np.abs(values).max() > 0.999 * law.bound


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_numpy_adapter_takes_a_portable_key_as_rng(dtype: str) -> None:
    from xavier_adapters import numpy as xnp

    got = xnp.glorot_normal((16, 8, 3, 3), layout=xc.TORCH, dtype=dtype, rng=KEY)
    law = xc.glorot_normal().resolve((16, 8, 3, 3), xc.TORCH).distribution
    work = "float64" if dtype == "float64" else "float32"
    np.testing.assert_array_equal(got, xp.sample(KEY, law, (16, 8, 3, 3), xc.TORCH, work)
                                  .astype(dtype))
