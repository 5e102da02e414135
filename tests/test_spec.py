"""The spec's formulas and the exact numbers its distributions state."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import xavier_core as xc

FANS = xc.Fans(784, 256)


@pytest.mark.parametrize("gain", [0.0, 0.5, 1.0, 5.0 / 3, math.sqrt(2.0)])
def test_glorot_uniform_bound_is_the_paper_formula(gain: float) -> None:
    got = xc.glorot_uniform(gain).distribution_for(FANS).bound
    expected = gain * math.sqrt(6.0 / (784 + 256))
    assert got == pytest.approx(expected, rel=1e-15), f"got {got}, but should be {expected}"


@pytest.mark.parametrize("gain", [0.5, 1.0, 5.0 / 3])
def test_glorot_normal_std_bit_equals_torch_formula(gain: float) -> None:
    # torch: std = gain * math.sqrt(2.0 / float(fan_in + fan_out)); bound = math.sqrt(3.0) * std
    std = gain * math.sqrt(2.0 / float(784 + 256))
    assert xc.glorot_normal(gain).distribution_for(FANS).std == std
    assert xc.glorot_uniform(gain).distribution_for(FANS).bound == math.sqrt(3.0) * std


def test_truncated_normal_final_std_is_the_target() -> None:
    dist = xc.glorot_truncated_normal().distribution_for(FANS)
    target = math.sqrt(2.0 / (784 + 256))
    assert dist.std == pytest.approx(target, rel=1e-15)
    assert dist.scale == pytest.approx(target / 0.87962566103423978, rel=1e-15)
    assert dist.bound == pytest.approx(2.0 * dist.scale, rel=1e-15)


def test_truncated_std_factor_is_computed_bit_for_bit() -> None:
    assert xc.truncated_std_factor(2.0) == xc.TRUNCATED_STD_FACTOR == 0.87962566103423978


@pytest.mark.parametrize(
    ("make", "variance"),
    [
        (lambda: xc.glorot_uniform(), 2.0 / (784 + 256)),
        (lambda: xc.he("normal"), 2.0 / 784),
        (lambda: xc.lecun("uniform"), 1.0 / 784),
        (lambda: xc.VarianceScaling(1.0, "fan_out", "normal"), 1.0 / 256),
        (lambda: xc.VarianceScaling(1.0, "fan_geo_avg", "normal"), 1.0 / math.sqrt(784 * 256)),
        (lambda: xc.standard_uniform(), 1.0 / (3 * 784)),
    ],
    ids=["glorot", "he", "lecun", "fan_out", "fan_geo_avg", "standard"],
)
def test_one_code_path_for_the_family(make: Callable[[], xc.VarianceScaling],
                                      variance: float) -> None:
    # Specs are built in the test, not at collection, so that mutation testing sees them.
    got = make().distribution_for(FANS).variance
    assert got == pytest.approx(variance, rel=1e-14), f"got {got}, but should be {variance}"


def test_standard_init_is_uniform_one_over_sqrt_fan_in() -> None:
    bound = xc.standard_uniform().distribution_for(FANS).bound
    assert bound == pytest.approx(1.0 / math.sqrt(784), rel=1e-15)


def _numeric_moments(dist: xc.Distribution, lo: float, hi: float) -> tuple[float, float, float]:
    """Mean, E[w^2], E[w^4] from the CDF alone (midpoint rule on the CDF's increments)."""
    edges = np.linspace(lo, hi, 400_001)
    mass = np.diff(dist.cdf(edges))
    mid = (edges[1:] + edges[:-1]) / 2
    return float(mass @ mid), float(mass @ mid**2), float(mass @ mid**4)


@pytest.mark.parametrize(
    "dist",
    [xc.Uniform(0.3), xc.Normal(0.2), xc.TruncatedNormal(0.2), xc.TruncatedNormal(0.2, cut=3.0)],
    ids=["uniform", "normal", "truncated_normal", "truncated_normal-cut3"],
)
def test_stated_moments_agree_with_the_cdf(dist: xc.Distribution) -> None:
    reach = dist.bound if math.isfinite(dist.bound) else 12 * dist.std
    mean, second, fourth = _numeric_moments(dist, -reach, reach)
    assert abs(mean) < 1e-12
    assert second == pytest.approx(dist.variance, rel=1e-6)
    assert fourth == pytest.approx(dist.fourth_moment, rel=1e-6)
    assert dist.cdf(-reach) == pytest.approx(0.0, abs=1e-15)
    assert dist.cdf(reach) == pytest.approx(1.0, abs=1e-15)


def test_resolve_combines_fans_and_distribution() -> None:
    resolved = xc.glorot_uniform().resolve((64, 16, 3, 3), xc.TORCH)
    assert resolved.fans == (144, 576)
    assert resolved.bound == pytest.approx(math.sqrt(6.0 / 720))
    assert resolved.variance == pytest.approx(2.0 / 720)


def test_specs_are_immutable_values() -> None:
    assert xc.glorot_uniform(2.0) == xc.VarianceScaling(4.0, "fan_avg", "uniform")
    with pytest.raises(AttributeError):
        xc.glorot_uniform().scale = 3.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("dtype", "sampled_in"),
    [("float16", "float32"), ("bfloat16", "float32"), ("float32", "float32"),
     ("float64", "float64"), (np.float16, "float32"), (np.dtype("float64"), "float64"),
     ("torch.bfloat16", "float32")],
)
def test_sampling_dtype_policy(dtype: object, sampled_in: str) -> None:
    assert xc.sampling_dtype(dtype) == sampled_in


@pytest.mark.parametrize("distribution", ["uniform", "normal", "truncated_normal"])
def test_gain_zero_is_a_point_mass_at_zero(distribution: str) -> None:
    dist = xc.glorot(distribution, gain=0.0).distribution_for(FANS)
    assert dist.variance == 0.0
    np.testing.assert_array_equal(dist.cdf([-1e-9, 0.0, 1e-9]), [0.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("make", "fields"),
    [
        (lambda: xc.glorot_uniform(), (1.0, "fan_avg", "uniform")),
        (lambda: xc.glorot_normal(), (1.0, "fan_avg", "normal")),
        (lambda: xc.glorot_truncated_normal(), (1.0, "fan_avg", "truncated_normal")),
        (lambda: xc.glorot_truncated_normal(2.0), (4.0, "fan_avg", "truncated_normal")),
        (lambda: xc.he(), (2.0, "fan_in", "truncated_normal")),
        (lambda: xc.he("uniform"), (2.0, "fan_in", "uniform")),
        (lambda: xc.lecun(), (1.0, "fan_in", "truncated_normal")),
        (lambda: xc.lecun("normal"), (1.0, "fan_in", "normal")),
        (lambda: xc.standard_uniform(), (1.0 / 3.0, "fan_in", "uniform")),
    ],
    ids=["glorot_uniform", "glorot_normal", "glorot_truncated_normal", "glorot_truncated-gain-2",
         "he-default", "he-uniform", "lecun-default", "lecun-normal", "standard_uniform"],
)
def test_named_specs_and_their_defaults(make: Callable[[], xc.VarianceScaling],
                                        fields: tuple[float, str, str]) -> None:
    # He and LeCun default to a truncated normal, as jax.nn.initializers and Keras do.
    spec = make()
    got = (spec.scale, spec.mode, spec.distribution)
    assert got == fields, f"got (scale, mode, distribution) {got}, but should be {fields}"


# Survivors of mutation testing (tests/mutation.py core): the CDFs' edges and dtypes.


@pytest.mark.parametrize(
    "make",
    [lambda: xc.Uniform(0.3), lambda: xc.Normal(0.2), lambda: xc.TruncatedNormal(0.2),
     lambda: xc.TruncatedNormal(0.2, cut=3.0)],
    ids=["uniform", "normal", "truncated_normal", "truncated_normal-cut3"],
)
def test_cdf_is_within_0_and_1_far_out_and_computed_in_float64(
        make: Callable[[], xc.Distribution]) -> None:
    dist = make()
    far = 10.0 * (dist.bound if math.isfinite(dist.bound) else 10 * dist.std)
    low, high = dist.cdf([-far, far])
    assert 0.0 <= low <= 1e-15 and 1.0 - 1e-15 <= high <= 1.0, f"got {low}, {high}"
    points = np.linspace(-0.5, 0.5, 101, dtype=np.float32)
    np.testing.assert_array_equal(dist.cdf(points), dist.cdf(points.astype(np.float64)))
    assert dist.cdf(points).dtype == np.float64


def test_standard_normal_cdf_of_float32_is_computed_in_float64() -> None:
    points = np.linspace(-3, 3, 61, dtype=np.float32)
    got = xc.distributions.standard_normal_cdf(points)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, xc.distributions.standard_normal_cdf(points.astype(float)))


@pytest.mark.parametrize("cut", [0.5, 1.0, 3.0])
def test_truncation_cuts_below_one_are_allowed(cut: float) -> None:
    dist = xc.TruncatedNormal(std=1.0, cut=cut)
    assert dist.bound == pytest.approx(cut * dist.scale)


def test_glorot_defaults_to_uniform_with_gain_one() -> None:
    assert xc.glorot() == xc.glorot_uniform() == xc.VarianceScaling(1.0, "fan_avg", "uniform")


@pytest.mark.parametrize(("make", "law"), [
    (lambda: xc.glorot_uniform(), xc.Uniform), (lambda: xc.glorot_normal(), xc.Normal),
    (lambda: xc.glorot_truncated_normal(), xc.TruncatedNormal)], ids=["uniform", "normal", "tn"])
def test_each_distribution_name_gives_its_own_law(make: Callable[[], xc.VarianceScaling],
                                                  law: type) -> None:
    got = make().distribution_for(FANS)
    assert type(got) is law, f"got {type(got).__name__}, but should be {law.__name__}"


def test_resolve_keeps_the_shape_and_reads_global_fans_from_shards() -> None:
    resolved = xc.glorot_uniform().resolve((4, 8), shards=(2, 1))
    assert resolved.shape == (4, 8)
    assert resolved.fans == xc.Fans(8, 8), f"got {resolved.fans}: the global shape is (8, 8)"


def test_an_object_numpy_cannot_read_is_named_by_its_text() -> None:
    class TorchLikeDtype:  # torch dtypes have no .name and numpy does not know them
        def __str__(self) -> str:
            return "torch.float16"

    assert xc.dtype_name(TorchLikeDtype()) == "float16"
    assert xc.sampling_dtype(TorchLikeDtype()) == "float32"


def test_scale_that_is_not_a_number_is_a_named_error() -> None:
    with pytest.raises(xc.XavierError, match=r"^scale must be a finite number >= 0, got "
                                             r"scale='2'$"):
        xc.VarianceScaling(scale="2")  # type: ignore[arg-type]
