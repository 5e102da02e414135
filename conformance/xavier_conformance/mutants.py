"""Deliberately wrong initializers: the suite must catch every one of them.

Each mutant is a plausible bug, seen in the wild or one typo away, drawn with the numpy
reference sampler and judged against the CORRECT spec for its case. A suite that lets one pass
has no teeth for that bug (complex ones are judged by ``stats.check_complex_sample``). Each
names the checks that catch it (``caught_by``, all others pass), and every check is the only
catcher of some mutant, except the mean (:data:`NO_SOLE_CATCH`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import xavier_core as xc
from xavier_adapters import numpy as xnp

Draw = Callable[[np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Mutant:
    """A wrong sampler for one weight, and the spec it claims to implement."""

    name: str
    bug: str
    spec: xc.VarianceScaling
    shape: tuple[int, ...]
    layout: xc.Layout
    draw: Draw
    caught_by: tuple[str, ...]
    """The checks of :func:`stats.check_sample` that fail on it, whatever the seed."""
    may_also_fail: tuple[str, ...] = ()
    """Checks whose verdict on it depends on the seed: a mutant that draws with several times
    the spec's variance spreads the sample mean as widely, and the mean check (its tolerance
    set by the spec's variance) then fails on some seeds; a normal judged as a uniform spreads
    mean(w^2) 1.6 times the tolerance the uniform's fourth moment sets. Every other check
    passes."""
    shards: tuple[int, ...] | None = None

    @property
    def truth(self) -> xc.Distribution:
        """The distribution the spec demands for this weight."""
        return self.spec.resolve(self.shape, self.layout, shards=self.shards).distribution


NO_SOLE_CATCH = {
    "mean": "a bug that moves the mean and leaves the second moment alone flips signs, and KS "
            "sees the flipped mass m while the mean sees m times the distance moved; for the "
            "mean alone to catch it, values beyond about 3.75 std must flip, which takes some "
            "10^8 values to see. A plain shift is caught by both (mean from 4.9 / sqrt(n) std, "
            "KS from 6.7 / sqrt(n)): the mean check names it, KS alone would not.",
}
"""Checks that are not the only catcher of any mutant, and why."""

DENSE = (784, 128)
WIDE = (1024, 1024)
STRIDED_CONV1D = (255, 512, 3)
"""torch Conv1d 512->255, k3, stride 2: stride-aware fan_out = 255 * 3 / 2 = 382.5."""
TORCH_CONV = (64, 16, 3, 3)
TORCH_GROUPED = (64, 8, 3, 3)
TORCH_LSTM = (128, 16)
LOCAL_SHARD = (784, 16)


def _drawing(distribution: xc.Distribution, shape: tuple[int, ...], dtype: str = "float32") -> Draw:
    return lambda rng: xnp.sample(distribution, shape, rng=rng, dtype=dtype)


def _wrong_fans(spec: xc.VarianceScaling, fans: xc.Fans, shape: tuple[int, ...]) -> Draw:
    return _drawing(spec.distribution_for(fans), shape)


def _bf16_sampled_in_bf16(bound: float, shape: tuple[int, ...]) -> Draw:
    # jax.random.uniform in bfloat16 fills 7 mantissa bits: 128 levels in [0, 1).
    def draw(rng: np.random.Generator) -> np.ndarray:
        levels = rng.integers(0, 128, size=shape) / 128.0
        return (levels * 2.0 * bound - bound).astype(xnp.numpy_dtype("bfloat16"))

    return draw


def _shifted(distribution: xc.Distribution, shape: tuple[int, ...], by: float) -> Draw:
    return lambda rng: xnp.sample(distribution, shape, rng=rng) + np.float32(by)


def _last_column_scaled(distribution: xc.Distribution, shape: tuple[int, ...],
                        by: float) -> Draw:
    def draw(rng: np.random.Generator) -> np.ndarray:
        values = xnp.sample(distribution, shape, rng=rng)
        values[..., -1] *= np.float32(by)
        return values

    return draw


COMPLEX_PARTS_WRONG = ("real.bounds", "real.variance", "real.ks", "imag.bounds", "imag.variance",
                       "imag.ks", "abs2")
"""What a complex law with both parts too wide fails: each part's bounds, variance and KS, and
E|w|^2 (the checks of :func:`stats.check_complex_sample`)."""


def _complex_parts(part: xc.Distribution, shape: tuple[int, ...], same: bool = False) -> Draw:
    """complex64 from parts drawn from ``part`` (the same values in both when ``same``)."""
    def draw(rng: np.random.Generator) -> np.ndarray:
        real = xnp.sample(part, shape, rng=rng)
        imag = real if same else xnp.sample(part, shape, rng=rng)
        return (real + 1j * imag).astype(np.complex64)

    return draw


JAX_COMPLEX_TRUNCATION = 0.95311164380491208
"""The constant JAX divides its complex truncated normal by (the std of a complex normal with
unit variance and modulus cut at 2 would need another; E|w|^2 comes out 1.9 % high)."""


def _jax_complex_truncated(std: float, shape: tuple[int, ...]) -> Draw:
    """JAX's complex truncated normal: modulus of a unit complex normal cut at 2 by inverse CDF,
    a uniform phase, times std / 0.9531..."""
    def draw(rng: np.random.Generator) -> np.ndarray:
        t = -np.expm1(-4.0) * rng.random(shape)
        modulus = np.sqrt(-np.log1p(-t))
        phase = 2.0 * np.pi * rng.random(shape)
        values = modulus * np.exp(1j * phase) * (std / JAX_COMPLEX_TRUNCATION)
        return values.astype(np.complex64)

    return draw


def build_mutants() -> list[Mutant]:
    """The catalogue: every entry fails exactly its ``caught_by`` checks of
    :func:`stats.check_sample` (the numpy draws are seeded by the test)."""
    uniform, normal = xc.glorot_uniform(), xc.glorot_normal()
    truncated = xc.glorot_truncated_normal()
    dense_fans = xc.CHANNELS_LAST.fans(DENSE)
    s = normal.std(dense_fans)
    a = uniform.distribution_for(dense_fans).bound
    wide_bound = uniform.resolve(WIDE).bound
    he_normal = xc.he("normal")
    cl = xc.CHANNELS_LAST
    return [
        Mutant("variance-off-5pct", "std computed for 1.05x the variance", normal, WIDE, cl,
               _drawing(xc.Normal(normal.resolve(WIDE).std * 1.05**0.5), WIDE),
               ("variance", "ks")),
        Mutant("one-unit-4x-std", "one output unit of 128 drawn with 4x the std", normal,
               DENSE, cl, _last_column_scaled(xc.Normal(s), DENSE, 4.0), ("variance",)),
        Mutant("bound-off-3pct", "uniform bound 3% short", uniform, DENSE, cl,
               _drawing(xc.Uniform(a * 0.97), DENSE), ("reach", "variance", "ks")),
        Mutant("bias-counted-as-input", "fan_in + 1, as if the bias were an input", uniform,
               DENSE, cl, _wrong_fans(uniform, xc.Fans(dense_fans.fan_in + 1,
                                                       dense_fans.fan_out), DENSE), ("reach",)),
        Mutant("fractional-fan-floored", "stride-aware fan_out 382.5 truncated to 382",
               uniform, STRIDED_CONV1D, xc.TORCH.with_(strides=(2,)),
               _wrong_fans(uniform, xc.Fans(1536, 382), STRIDED_CONV1D), ("bounds",)),
        Mutant("truncation-correction-missing", "truncated normal without the /0.8796 rescale",
               truncated, DENSE, cl, _drawing(xc.TruncatedNormal(s * xc.TRUNCATED_STD_FACTOR),
                                              DENSE), ("reach", "variance", "ks")),
        Mutant("receptive-field-ignored", "conv fans without the 3x3 kernel", uniform,
               TORCH_CONV, xc.TORCH, _wrong_fans(uniform, xc.Fans(16, 64), TORCH_CONV),
               ("bounds", "variance", "ks"), may_also_fail=("mean",)),
        Mutant("fans-swapped-under-fan-in", "He (fan_in) reading fan_out", he_normal, DENSE, cl,
               _wrong_fans(he_normal, xc.Fans(dense_fans.fan_out, dense_fans.fan_in), DENSE),
               ("variance", "ks"), may_also_fail=("mean",)),
        Mutant("groups-ignored", "grouped conv treated as dense (groups=4)", uniform,
               TORCH_GROUPED, xc.TORCH.with_(groups=4),
               _wrong_fans(uniform, xc.TORCH.fans(TORCH_GROUPED), TORCH_GROUPED),
               ("reach", "variance", "ks")),
        Mutant("packed-blocks-ignored", "LSTM gates as one (4H, in) weight", uniform,
               TORCH_LSTM, xc.TORCH.with_(blocks=4),
               _wrong_fans(uniform, xc.TORCH.fans(TORCH_LSTM), TORCH_LSTM),
               ("reach", "variance", "ks")),
        Mutant("bf16-sampled-in-bf16", "uniform drawn with bfloat16's 128 levels", uniform,
               WIDE, cl, _bf16_sampled_in_bf16(wide_bound, WIDE), ("mean", "ks")),
        Mutant("shard-local-fans", "fans of the local shard (1/8 of the out axis)", uniform,
               LOCAL_SHARD, cl, _wrong_fans(uniform, cl.fans(LOCAL_SHARD), LOCAL_SHARD),
               ("bounds", "variance", "ks"), shards=(1, 8)),
        Mutant("mean-shifted-0.05std", "every value offset by 0.05 std", normal, DENSE, cl,
               _shifted(xc.Normal(s), DENSE, 0.05 * s), ("mean", "ks")),
        Mutant("normal-where-uniform-named", "right variance, wrong law", uniform, DENSE, cl,
               _drawing(xc.Normal(a / 3**0.5), DENSE), ("bounds", "ks"),
               may_also_fail=("variance",)),
        Mutant("truncation-at-3std", "truncated at 3 std (variance still right)", truncated,
               DENSE, cl, _drawing(xc.TruncatedNormal(s, cut=3.0), DENSE), ("bounds", "ks")),
        Mutant("truncated-where-normal-named", "Keras' silent 'normal' -> truncated", normal,
               DENSE, cl, _drawing(xc.TruncatedNormal(s), DENSE), ("ks",)),
        Mutant("gain-ignored", "tanh gain 5/3 dropped", xc.glorot_uniform(5.0 / 3), DENSE, cl,
               _drawing(xc.Uniform(a), DENSE), ("reach", "variance", "ks")),
        Mutant("complex-real-law-in-both-parts", "each part of a complex weight drawn from the "
               "real law (torch's uniform_ on complex: E|w|^2 twice the target)", uniform, DENSE,
               cl, _complex_parts(xc.Uniform(a), DENSE), COMPLEX_PARTS_WRONG,
               may_also_fail=("real.mean", "imag.mean")),
        Mutant("complex-jax-truncation-constant", "JAX's complex truncated normal: modulus cut, "
               "divided by 0.9531 (E|w|^2 1.9 % high)", truncated, WIDE, cl,
               _jax_complex_truncated(truncated.resolve(WIDE).std, WIDE),
               COMPLEX_PARTS_WRONG),
        Mutant("complex-parts-correlated", "the same values in the real and imaginary parts",
               normal, DENSE, cl, _complex_parts(xc.Normal(s / 2**0.5), DENSE, same=True),
               ("correlation",)),
    ]
