"""The Keras initializers draw exactly the spec's distribution, on the current Keras backend.

Each sample passes the bounds, reach, mean, variance and Kolmogorov-Smirnov checks of
xavier_conformance.stats (false-alarm rate 1e-6 each) against the spec's exact CDF; seeds are
fixed. float16/bfloat16 are sampled in float32 and cast once; float64 is sampled in float64.
"""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras_helpers import BACKEND, assert_matches, numpy_of

import xavier_core as xc
from xavier_adapters import keras as xk
from xavier_adapters.keras.initializers import layout_config

KERNELS = {
    "dense-784x128": ((784, 128), xc.CHANNELS_LAST),
    "conv2d-3x3x64x128": ((3, 3, 64, 128), xc.CHANNELS_LAST),
    "conv1d-5x96x128": ((5, 96, 128), xc.CHANNELS_LAST),
    "conv2d-transpose-3x3x128x64": ((3, 3, 128, 64), xc.KERAS_TRANSPOSED),
    "stacked-6x96x128": ((6, 96, 128), xc.Layout(in_axis=1, out_axis=2, batch_axis=0)),
}
INITIALIZERS = {
    "uniform": (xk.GlorotUniform, xc.glorot_uniform),
    "normal": (xk.GlorotNormal, xc.glorot_normal),
    "truncated_normal": (xk.GlorotTruncatedNormal, xc.glorot_truncated_normal),
}


def _jax_x64() -> bool:
    if BACKEND != "jax":
        return False
    import jax

    return bool(jax.config.read("jax_enable_x64"))


JAX_X64 = _jax_x64()


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("kind", INITIALIZERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_matches_spec(kernel: str, kind: str, dtype: str) -> None:
    shape, layout = KERNELS[kernel]
    cls, spec = INITIALIZERS[kind]
    seed = sum(map(ord, f"{kernel}{kind}{dtype}"))
    values = cls(seed=seed, **layout_config(layout))(shape, dtype=dtype)
    assert tuple(values.shape) == shape, f"got shape {tuple(values.shape)}, but should be {shape}"
    assert xc.dtype_name(values.dtype) == dtype, f"got {values.dtype}, but should be {dtype}"
    assert_matches(values, spec().resolve(shape, layout).distribution, f"{kernel}, {kind}, {dtype}")


@pytest.mark.parametrize("gain", [0.5, 5 / 3], ids=["gain-0.5", "gain-tanh"])
def test_gain_scales_the_spread(gain: float) -> None:
    shape = (784, 128)
    values = xk.GlorotTruncatedNormal(seed=11, gain=gain)(shape)
    distribution = xc.glorot_truncated_normal(gain).resolve(shape).distribution
    assert_matches(values, distribution, f"gain {gain}")


@pytest.mark.parametrize("spec_id", ["he-uniform", "lecun-normal", "fan-geo-avg-truncated"])
def test_variance_scaling_family_matches_spec(spec_id: str) -> None:
    spec = {"he-uniform": xc.he("uniform"), "lecun-normal": xc.lecun("normal"),
            "fan-geo-avg-truncated": xc.VarianceScaling(1.0, "fan_geo_avg")}[spec_id]
    shape = (3, 3, 64, 32)
    values = xk.from_spec(spec, seed=5)(shape)
    assert_matches(values, spec.resolve(shape).distribution, spec_id)


def test_truncated_normal_stays_within_the_cut_at_scale() -> None:
    # Keras' torch backend returns an untruncated value for ~4.3e-6 of a truncated_normal draw
    # (some 18 here); the adapter redraws them. On every backend: hard bound, and reached.
    shape = (2048, 2048)
    values = xk.GlorotTruncatedNormal(seed=2)(shape)
    assert_matches(values, xc.glorot_truncated_normal().resolve(shape).distribution, "2048x2048")


def test_bfloat16_is_sampled_in_float32_then_cast_once() -> None:
    shape = (4096, 4096)
    bits = numpy_of(xk.GlorotUniform(seed=0)(shape, dtype="bfloat16")).view(np.uint16)
    distinct = np.unique(bits).size  # bit patterns: sorting bfloat16 itself is slow in numpy
    assert distinct > 1000, f"got {distinct} distinct bfloat16 values, but should be > 1000"
    same_draw = keras.ops.cast(xk.GlorotUniform(seed=0)(shape, dtype="float32"), "bfloat16")
    np.testing.assert_array_equal(bits, numpy_of(same_draw).view(np.uint16))


@pytest.mark.parametrize(
    ("policy", "kernel_dtype"),
    [("bfloat16", "bfloat16"), ("float16", "float16"), ("mixed_bfloat16", "float32"),
     ("mixed_float16", "float32")],
)
def test_dtype_policies_get_the_float32_draw(policy: str, kernel_dtype: str) -> None:
    layer = keras.layers.Dense(256, dtype=policy, kernel_initializer=xk.GlorotNormal(seed=4))
    layer.build((None, 512))
    kernel = numpy_of(layer.kernel)
    assert kernel.dtype.name == kernel_dtype, f"got {kernel.dtype}, but should be {kernel_dtype}"
    float32_draw = numpy_of(xk.GlorotNormal(seed=4)((512, 256), dtype="float32"))
    np.testing.assert_array_equal(kernel, float32_draw.astype(kernel.dtype))


@pytest.mark.skipif(BACKEND == "jax" and not JAX_X64,
                    reason="JAX 64-bit mode is off here: see the jax float64 tests below")
def test_float64_is_sampled_in_float64() -> None:
    shape = (256, 256)
    values = numpy_of(xk.GlorotNormal(seed=1)(shape, dtype="float64"))
    assert values.dtype == np.float64, f"got {values.dtype}, but should be float64"
    assert not np.array_equal(values, values.astype(np.float32).astype(np.float64)), (
        "got float32-representable values, but float64 should be sampled in float64")
    assert_matches(values, xc.glorot_normal().resolve(shape).distribution, "float64")


@pytest.mark.skipif(BACKEND != "jax" or JAX_X64, reason="JAX backend with 64-bit mode off only")
def test_float64_without_jax_x64_is_a_clear_error() -> None:
    with pytest.raises(xc.XavierError, match="JAX_ENABLE_X64=1"):
        xk.GlorotUniform(seed=1)((8, 8), dtype="float64")


@pytest.mark.skipif(BACKEND != "jax", reason="JAX backend only")
def test_float64_with_jax_x64_is_sampled_in_float64() -> None:
    code = (
        "import numpy as np\n"
        "import xavier_core as xc\n"
        "from xavier_adapters import keras as xk\n"
        "values = xk.sample(xc.glorot_normal(), (256, 256), xc.CHANNELS_LAST, 'float64', 1)\n"
        "print(values.dtype, np.array_equal(values, values.astype(np.float32).astype(float)))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            check=True, timeout=300)
    assert result.stdout.split()[-2:] == ["float64", "False"], (
        f"got {result.stdout.strip()!r}, but should be 'float64 False' (float64 draws)")


def test_sample_is_the_conformance_entry_point() -> None:
    shape, spec = (784, 128), xc.glorot_truncated_normal()
    values = xk.sample(spec, shape, xc.CHANNELS_LAST, "bfloat16", 3, "cpu")
    assert isinstance(values, np.ndarray), f"got {type(values)}, but should be a numpy array"
    assert values.dtype.name == "bfloat16", f"got {values.dtype}, but should be bfloat16"
    direct = numpy_of(xk.from_spec(spec, seed=3)(shape, dtype="bfloat16"))
    np.testing.assert_array_equal(values, direct)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: xk.GlorotUniform()((8, 8), dtype="int32"),
                     "dtype must be a floating dtype", id="int-dtype"),
        # rank 0/1 with the default axes take Keras' fans (test_keras_namespace); axes that do
        # not fit are still an error
        pytest.param(lambda: xk.GlorotUniform(in_axis=-2, out_axis=0)((8,)),
                     "rank 0/1 weights need explicit axes", id="rank-1-axes-that-do-not-fit"),
        pytest.param(lambda: xk.GlorotUniform(gain=-1.0), "gain must be a finite number >= 0",
                     id="negative-gain"),
        pytest.param(lambda: xk.VarianceScaling(distribution="untruncated_normal"),
                     "'normal' here is untruncated", id="keras-distribution-name"),
        pytest.param(lambda: xk.VarianceScaling(mode="fan_sum"), "mode must be one of",
                     id="bad-mode"),
        pytest.param(lambda: xk.GlorotNormal(in_axis="0")((8, 8)),
                     "in_axis must be an int or a sequence of ints", id="string-axis"),
        pytest.param(lambda: xk.GlorotNormal(in_axis=0, out_axis=0)((8, 8)),
                     "in_axis and out_axis must not share an axis", id="overlapping-axes"),
        pytest.param(lambda: xk.GlorotNormal(groups=3)((3, 3, 4, 8)),
                     "groups must be a divisor of the out-axis size 8", id="groups-not-dividing"),
    ],
)
def test_bad_input_is_a_xavier_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(xc.XavierError) as caught:
        call()
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"


def test_rank_1_weight_with_explicit_axes() -> None:
    values = xk.GlorotUniform(seed=2, in_axis=(), out_axis=0)((4096,))
    assert_matches(values, xc.glorot_uniform().resolve((4096,), xc.Layout(in_axis=(), out_axis=0))
                   .distribution, "rank-1")


def test_multi_head_attention_kernels_get_their_einsum_fans() -> None:
    # EinsumDense passes its equation's input_axes/output_axes to a VarianceScaling initializer.
    layer = keras.layers.MultiHeadAttention(4, 16, kernel_initializer=xk.GlorotUniform(seed=6))
    layer.build((None, 5, 64), (None, 5, 64))
    distribution = xc.glorot_uniform().distribution_for(xc.Fans(64, 64))
    for projection in ("query", "key", "value", "output"):
        kernel = getattr(layer, f"_{projection}_dense").kernel
        assert_matches(kernel, distribution, f"MultiHeadAttention {projection} {kernel.shape}")


def test_explicit_layout_wins_over_the_axes_einsum_dense_sets() -> None:
    # Per-head weights (heads, in, out): a batch axis the user names. EinsumDense would read the
    # shared h axis as an output axis, fans (64, 1024); the explicit layout says (64, 256).
    layer = keras.layers.EinsumDense("bhc,hcd->bhd", output_shape=(4, 256))
    layer.kernel_initializer = xk.GlorotUniform(seed=0, in_axis=1, out_axis=2, batch_axis=0)
    layer.build((None, 4, 64))
    expected = xc.glorot_uniform().distribution_for(xc.Fans(64, 256))
    assert_matches(layer.kernel, expected, "EinsumDense with an explicit layout")


def test_keras_input_and_output_axes_must_name_every_axis() -> None:
    values = xk.GlorotNormal(seed=3, input_axes=[0, 1], output_axes=[2])((4, 16, 64))
    assert_matches(values, xc.glorot_normal().distribution_for(xc.Fans(64, 64)), "keras axes")
    with pytest.raises(xc.XavierError, match="must name every axis of the weight"):
        xk.GlorotNormal(input_axes=[0], output_axes=[2])((4, 16, 64))
    with pytest.raises(xc.XavierError, match="must be given together"):
        xk.GlorotNormal(input_axes=[0])
