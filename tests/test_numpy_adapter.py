"""The numpy reference sampler draws exactly the spec's distribution.

Each sample passes the bounds, mean, variance and Kolmogorov-Smirnov checks of
xavier_conformance.stats, each with false-alarm rate 1e-6; seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import stats

SHAPES = {
    "dense-784x256": ((784, 256), xc.CHANNELS_LAST),
    "conv2d-hwio-3x3x64x128": ((3, 3, 64, 128), xc.CHANNELS_LAST),
    "conv3d-torch-32x16x3x3x3": ((32, 16, 3, 3, 3), xc.TORCH),
    "custom-axes-stacked": ((8, 128, 96), xc.Layout(in_axis=1, out_axis=2, batch_axis=0)),
}
SPECS = {
    "uniform": xc.glorot_uniform(),
    "normal": xc.glorot_normal(),
    "truncated_normal": xc.glorot_truncated_normal(),
    "uniform-gain-tanh": xc.glorot_uniform(gain=xc.calculate_gain("tanh")),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("spec_id", SPECS)
@pytest.mark.parametrize("shape_id", SHAPES)
def test_reference_sampler_matches_spec(shape_id: str, spec_id: str, dtype: str) -> None:
    shape, layout = SHAPES[shape_id]
    spec = SPECS[spec_id]
    seed = sum(map(ord, f"{shape_id}{spec_id}{dtype}"))
    sample = xnp.initialize(spec, shape, layout=layout, dtype=dtype, rng=seed)
    assert sample.shape == shape
    assert sample.dtype == xnp.numpy_dtype(dtype)
    distribution = spec.resolve(shape, layout).distribution
    for result in stats.check_sample(sample, distribution):
        assert result.passed, result.describe() + f" [{shape_id}, {spec_id}, {dtype}]"


def test_low_precision_is_sampled_in_float32_then_cast() -> None:
    # bfloat16 sampled directly would hold ~128 distinct values in a Glorot range.
    sample = xnp.glorot_uniform((4096, 4096), dtype="bfloat16", rng=0)
    distinct = np.unique(sample).size
    assert distinct > 1000, f"got {distinct} distinct values, but should be > 1000"
    same_stream = xnp.glorot_uniform((4096, 4096), dtype="float32", rng=0)
    np.testing.assert_array_equal(sample, same_stream.astype(sample.dtype))


def test_float64_is_sampled_in_float64() -> None:
    sample = xnp.glorot_normal((256, 256), dtype="float64", rng=1)
    assert sample.dtype == np.float64
    assert not np.array_equal(sample, sample.astype(np.float32).astype(np.float64))


def test_seed_reproduces_and_generator_advances() -> None:
    a = xnp.glorot_uniform((64, 32), rng=7)
    b = xnp.glorot_uniform((64, 32), rng=7)
    np.testing.assert_array_equal(a, b)
    generator = np.random.default_rng(7)
    c = xnp.glorot_uniform((64, 32), rng=generator)
    d = xnp.glorot_uniform((64, 32), rng=generator)
    assert not np.array_equal(c, d)


def test_extremes_are_reached_for_large_samples() -> None:
    sample = xnp.glorot_truncated_normal((1024, 1024), rng=3)
    bound = xc.glorot_truncated_normal().resolve((1024, 1024)).bound
    assert 0.999 * bound < np.abs(sample).max() <= bound


@pytest.mark.parametrize(
    ("wrapper", "spec"),
    [(xnp.glorot_uniform, xc.glorot_uniform), (xnp.glorot_normal, xc.glorot_normal),
     (xnp.glorot_truncated_normal, xc.glorot_truncated_normal)],
    ids=["uniform", "normal", "truncated_normal"],
)
def test_named_samplers_are_initialize_with_their_spec(wrapper, spec) -> None:  # type: ignore[no-untyped-def]
    # Defaults (gain 1, channels-last, float32) and every keyword passed through.
    shape = (16, 8, 3)
    plain = wrapper(shape, rng=3)
    assert plain.dtype == np.float32, f"got {plain.dtype}, but the default should be float32"
    np.testing.assert_array_equal(plain, xnp.initialize(spec(1.0), shape, rng=3))
    chosen = wrapper(shape, gain=2.5, layout=xc.TORCH, dtype="float64", rng=3)
    np.testing.assert_array_equal(
        chosen, xnp.initialize(spec(2.5), shape, layout=xc.TORCH, dtype="float64", rng=3))


# Survivors of mutation testing (tests/mutation.py core): which numpy stream each law reads.


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_uniform_and_normal_read_numpys_stream_in_the_sampling_dtype(dtype: str) -> None:
    work = np.dtype(xc.sampling_dtype(dtype))
    uniform = xnp.sample(xc.Uniform(0.5), (64, 32), rng=7, dtype=dtype)
    expected = (np.random.default_rng(7).random((64, 32), dtype=work) * 2.0 - 1.0) * 0.5
    np.testing.assert_array_equal(uniform, expected.astype(dtype))
    normal = xnp.sample(xc.Normal(0.25), (64, 32), rng=7, dtype=dtype)
    expected = np.random.default_rng(7).standard_normal((64, 32), dtype=work) * 0.25
    np.testing.assert_array_equal(normal, expected.astype(dtype))


def test_truncated_normal_keeps_numpys_first_draws_inside_the_cut() -> None:
    values = xnp.sample(xc.TruncatedNormal(1.0), (64, 32), rng=3, dtype="float32")
    dist = xc.TruncatedNormal(1.0)
    first = np.random.default_rng(3).standard_normal((64, 32), dtype=np.float32)
    inside = np.abs(first) <= dist.cut
    assert 0 < inside.sum() < inside.size
    np.testing.assert_array_equal(values[inside], (first * np.float32(dist.scale))[inside])


def test_a_missing_ml_dtypes_names_the_extra_that_installs_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    with pytest.raises(ImportError, match=r"xavier-init\[conformance\]"):
        xnp.numpy_dtype("bfloat16")


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "glorot_truncated_normal"])
@pytest.mark.parametrize("layout", [xc.CHANNELS_LAST, xc.TORCH], ids=["channels_last", "torch"])
def test_named_cached_calls_equal_initialize(name, layout) -> None:
    """The named samplers' cached distribution (#18) gives initialize's values bit for bit."""
    from xavier_adapters import numpy as xnp_module

    xnp_module._RESOLVED.clear()
    for shape in ((16, 16), (3, 3, 8, 4), (16, 16)):
        ours = getattr(xnp_module, name)(shape, gain=2.0, layout=layout, rng=5)
        spec = getattr(xc, name)(2.0)
        plain = xnp_module.initialize(spec, shape, layout=layout, rng=5)
        assert np.array_equal(ours, plain), f"{name} cached differs from initialize [{shape}]"
