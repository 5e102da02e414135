"""Truncated normals at every cut: exact moments, no hang, a clear error below the smallest cut.

The closed forms of the truncated moments (1 - 2 c phi(c) / m) lose every digit to cancellation
as the cut shrinks (at 1e-7 the std factor came out 3.4 % off, at 1e-9 it was 0 and the scale a
ZeroDivisionError), and numpy's sampler redrew N(0, 1) values until all fell inside the cut,
which at 1e-7 keeps one in ten million: it never returned.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import integrate

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import stats
from xavier_core.distributions import MIN_CUT, truncated_fourth_moment, truncated_std_factor

CUTS = [MIN_CUT, 1e-4, 1e-2, 0.3, 0.999, 1.0, 1.001, 2.0, 5.0, 40.0]


def _quad_moment(cut: float, power: int) -> float:
    """E[Z^power] of N(0, 1) truncated to [-cut, cut] by numerical integration (independent of
    both the series and the closed form)."""
    def density(z: float, p: int) -> float:
        return z**p * math.exp(-0.5 * z * z)

    def integral(p: int) -> float:
        return integrate.quad(density, 0.0, cut, args=(p,), epsabs=0.0, epsrel=1e-13)[0]

    return integral(power) / integral(0)


@pytest.mark.parametrize("cut", CUTS, ids=lambda c: f"cut{c:g}")
def test_truncated_moments_are_exact_at_every_cut(cut: float) -> None:
    std = math.sqrt(_quad_moment(cut, 2))
    fourth = _quad_moment(cut, 4)
    assert truncated_std_factor(cut) == pytest.approx(std, rel=1e-12), (
        f"got std factor {truncated_std_factor(cut)!r}, but should be {std!r} [cut={cut}]")
    assert truncated_fourth_moment(cut) == pytest.approx(fourth, rel=1e-12), (
        f"got E[Z^4] {truncated_fourth_moment(cut)!r}, but should be {fourth!r} [cut={cut}]")


def test_the_default_cut_keeps_the_constant_keras_and_jax_hard_code() -> None:
    assert truncated_std_factor(2.0) == 0.87962566103423978


@pytest.mark.parametrize("cut", [1e-7, 1e-9, 0.0, -1.0, math.nan, math.inf, "2", True, None],
                         ids=repr)
def test_cuts_outside_the_range_are_refused_naming_the_argument(cut: object) -> None:
    with pytest.raises(xc.XavierError, match=r"cut must be a finite number >= 1e-06, got cut="):
        xc.TruncatedNormal(1.0, cut=cut)  # type: ignore[arg-type]


def test_a_cut_below_the_smallest_points_to_uniform() -> None:
    with pytest.raises(xc.XavierError, match="use uniform"):
        xc.TruncatedNormal(1.0, cut=1e-7)


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail instead of hanging: SIGALRM after 30 s."""
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("the sampler did not return within 30 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("cut", [MIN_CUT, 0.01, 0.5, 0.999, 1.0, 2.0, 5.0],
                         ids=lambda c: f"cut{c:g}")
def test_numpy_draws_every_cut_quickly_and_exactly(cut: float, deadline: None) -> None:
    law = xc.TruncatedNormal(0.05, cut=cut)
    sample = xnp.sample(law, (400, 500), rng=0)
    failed = [r.describe() for r in stats.check_sample(sample, law) if not r.passed]
    assert not failed, f"cut={cut}: " + "; ".join(failed)


@pytest.mark.parametrize("cut", [MIN_CUT, 0.01, 0.5, 2.0, 5.0], ids=lambda c: f"cut{c:g}")
def test_torch_draws_every_cut_exactly(cut: float) -> None:
    torch = pytest.importorskip("torch")
    from xavier_adapters import torch as xt

    law = xc.TruncatedNormal(0.05, cut=cut)
    weight = xt.fill_(torch.empty(400, 500), law, torch.Generator().manual_seed(0))
    assert bool(torch.isfinite(weight).all())
    failed = [r.describe() for r in stats.check_sample(weight.numpy(), law) if not r.passed]
    assert not failed, f"cut={cut}: " + "; ".join(failed)


def test_numpy_sample_dtype_is_kept_at_a_narrow_cut() -> None:
    values = xnp.sample(xc.TruncatedNormal(1.0, cut=0.1), (1000,), rng=1, dtype="float64")
    assert values.dtype == np.float64 and float(np.abs(values).max()) <= xc.TruncatedNormal(
        1.0, cut=0.1).bound
