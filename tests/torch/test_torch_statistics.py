"""Every torch initializer draws exactly the spec's distribution, on every dtype and device.

Kolmogorov-Smirnov against the spec's exact CDF (plus bounds, reach, mean and variance) for
random 2-D and 4-D shapes with and without gain, the kind of test PyTorch runs on its own init
(test/nn/test_init.py), but against xavier_core's numbers rather than another sampler's output.
Each check has false-alarm rate 1e-6 (xavier_conformance.stats); shapes and seeds are fixed.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from scipy import special
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt

INITIALIZERS = {
    "uniform": (xt.xavier_uniform_, xc.glorot_uniform),
    "normal": (xt.xavier_normal_, xc.glorot_normal),
    "truncated_normal": (xt.xavier_trunc_normal_, xc.glorot_truncated_normal),
}


def random_cases(rank: int, count: int, seed: int) -> dict[str, tuple[tuple[int, ...], float]]:
    """``count`` random shapes of ``rank``, each without gain and with a random gain in [0.5, 3)."""
    rng = np.random.default_rng(seed)
    cases = {}
    for _ in range(count):
        if rank == 2:
            shape = tuple(int(d) for d in rng.integers(50, 400, size=2))
        else:
            shape = tuple(int(d) for d in (*rng.integers(8, 64, size=2), *rng.integers(1, 6, 2)))
        gain = round(float(rng.uniform(0.5, 3.0)), 3)
        for g in (1.0, gain):
            cases[f"{rank}d-{'x'.join(map(str, shape))}-gain-{g:g}"] = (shape, g)
    return cases


CASES = {**random_cases(2, 3, seed=20), **random_cases(4, 3, seed=40)}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", INITIALIZERS)
def test_random_shapes_match_spec(name: str, case: str) -> None:
    init, spec = INITIALIZERS[name]
    shape, gain = CASES[case]
    generator = torch.Generator().manual_seed(zlib.crc32(case.encode()))
    weight = init(torch.empty(shape), gain, generator)
    assert_matches(weight, spec(gain).resolve(shape, xc.TORCH).distribution, f"{name}, {case}")


SPECS = {
    "glorot-uniform": xc.glorot_uniform(),
    "glorot-normal": xc.glorot_normal(),
    "glorot-truncated-normal": xc.glorot_truncated_normal(),
    "he-normal": xc.he("normal"),
    "lecun-truncated-normal": xc.lecun(),
}
LAYOUTS = {
    "linear-512x256": ((512, 256), xc.TORCH),
    "conv2d-groups4-64x8x3x3": ((64, 8, 3, 3), xc.TORCH.with_(groups=4)),
    "conv-transpose2d-32x64x3x3": ((32, 64, 3, 3), xc.TORCH_TRANSPOSED),
    "mha-in-proj-192x64": ((192, 64), xc.TORCH.with_(blocks=3)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("layout_id", LAYOUTS)
@pytest.mark.parametrize("spec_id", SPECS)
def test_sample_matches_spec(spec_id: str, layout_id: str, dtype: str) -> None:
    shape, layout = LAYOUTS[layout_id]
    seed = sum(map(ord, f"{spec_id}{layout_id}{dtype}"))
    weight = xt.sample(SPECS[spec_id], shape, layout, dtype, seed)
    assert weight.dtype == getattr(torch, dtype), f"got {weight.dtype}, but should be {dtype}"
    distribution = SPECS[spec_id].resolve(shape, layout).distribution
    assert_matches(weight, distribution, f"{spec_id}, {layout_id}, {dtype}")


def test_sample_is_deterministic() -> None:
    args = (xc.glorot_normal(), (128, 64), xc.TORCH, "bfloat16")
    first, second = xt.sample(*args, seed=1), xt.sample(*args, seed=1)
    assert torch.equal(first, second), "got different values for the same seed"
    assert not torch.equal(first, xt.sample(*args, seed=2)), "got equal values for seeds 1, 2"


def distinct_bfloat16_values(tensor: torch.Tensor) -> int:
    """How many different values a bfloat16 ``tensor`` holds (a histogram of its bit patterns)."""
    bits = tensor.view(torch.int16).flatten().int() + 2**15
    return int((torch.bincount(bits, minlength=2**16) > 0).sum())


@pytest.mark.parametrize("name", INITIALIZERS)
def test_bfloat16_is_drawn_in_float32_and_cast_once(name: str) -> None:
    spec = INITIALIZERS[name][1]()
    weight = xt.sample(spec, (4096, 4096), xc.TORCH, "bfloat16", seed=0)
    distinct = distinct_bfloat16_values(weight)
    assert distinct > 1000, f"got {distinct} distinct bfloat16 values, but should be > 1000"
    float32 = xt.sample(spec, (4096, 4096), xc.TORCH, "float32", seed=0)
    assert torch.equal(weight, float32.to(torch.bfloat16)), \
        f"got a bfloat16 draw that is not the float32 draw cast once [{name}]"


def test_float64_is_drawn_in_float64() -> None:
    weight = xt.sample(xc.glorot_normal(), (256, 256), xc.TORCH, "float64", seed=1)
    assert not torch.equal(weight, weight.float().double()), \
        "got float64 values that are all float32 numbers, but should be drawn in float64"


def test_truncation_recipe_is_the_inverse_cdf() -> None:
    # xavier_core's erfinv_limit / erfinv_scale: u ~ U(-m, m) maps through erfinv onto the
    # truncated normal's quantiles, and the two ends of u onto the two cuts.
    distribution = xc.glorot_truncated_normal().resolve((300, 200)).distribution
    m = distribution.erfinv_limit
    u = np.linspace(-m, m, 101)
    w = distribution.erfinv_scale * special.erfinv(u)
    np.testing.assert_allclose(distribution.cdf(w), (u + m) / (2 * m), rtol=0, atol=1e-12)
    np.testing.assert_allclose(w[[0, -1]], [-distribution.bound, distribution.bound], rtol=1e-12)


def test_truncated_normal_reaches_its_cut() -> None:
    generator = torch.Generator().manual_seed(3)
    weight = xt.xavier_trunc_normal_(torch.empty(1024, 1024), generator=generator)
    bound = xc.glorot_truncated_normal().resolve((1024, 1024), xc.TORCH).bound
    largest = weight.abs().max().item()
    assert 0.999 * bound < largest <= bound, \
        f"got max |w| = {largest}, but should be within 0.1% below the cut {bound}"


CUDA = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason="no CUDA device (torch.cuda.is_available() is False); the CUDA "
                                 "statistics run on a machine with a GPU")


@CUDA
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16", "float64"])
@pytest.mark.parametrize("name", INITIALIZERS)
def test_cuda_draws_match_spec(name: str, dtype: str) -> None:
    spec, shape = INITIALIZERS[name][1](), (1024, 512)
    weight = xt.sample(spec, shape, xc.TORCH, dtype, seed=5, device="cuda")
    assert weight.is_cuda, f"got a tensor on {weight.device}, but should be on cuda"
    assert_matches(weight, spec.resolve(shape, xc.TORCH).distribution, f"cuda, {name}, {dtype}")


@CUDA
def test_cuda_in_place_on_a_cuda_parameter() -> None:
    weight = torch.nn.Parameter(torch.zeros(512, 256, device="cuda", dtype=torch.bfloat16))
    address = weight.data_ptr()
    xt.xavier_uniform_(weight, generator=torch.Generator(device="cuda").manual_seed(6))
    assert weight.data_ptr() == address and weight.is_cuda, "got a moved or new tensor"
    assert_matches(weight, xc.glorot_uniform().resolve((512, 256), xc.TORCH).distribution,
                   "cuda parameter, bfloat16")
