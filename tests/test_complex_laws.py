"""The complex law of each distribution: E|w|^2 is the target variance, and the suite's complex
checks accept the law and reject the two known wrong ones (twice the variance, JAX's constant)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import stats

LAWS = {
    "uniform": xc.Uniform(bound=0.3),
    "normal": xc.Normal(std=0.2),
    "truncated_normal": xc.TruncatedNormal(std=0.2),
}


@pytest.mark.parametrize("name", LAWS)
def test_abs2_is_the_target_variance(name: str) -> None:
    real = LAWS[name]
    law = xc.complex_law(real)
    assert math.isclose(law.variance, real.variance, rel_tol=1e-15)
    assert type(law.part) is type(real) and math.isclose(law.part.std, real.std / math.sqrt(2))
    assert law.bound == math.sqrt(2) * law.part.bound and law.mean == 0.0


@pytest.mark.parametrize("name", LAWS)
def test_fourth_moment_matches_a_large_sample(name: str) -> None:
    law = xc.complex_law(LAWS[name])
    w = xnp.sample(LAWS[name], (400_000,), rng=1, dtype="complex128")
    abs4 = float(np.mean(np.abs(w) ** 4))
    assert math.isclose(abs4, law.fourth_moment, rel_tol=0.02), \
        f"got E|w|^4 = {abs4}, but should be {law.fourth_moment} [{name}]"


def test_circular_normal_fourth_moment_is_two_v_squared() -> None:
    law = xc.complex_law(xc.Normal(std=1.0))
    assert math.isclose(law.fourth_moment, 2.0)


@pytest.mark.parametrize("dtype", xc.COMPLEX_DTYPES)
@pytest.mark.parametrize("name", LAWS)
def test_numpy_complex_draw_passes_every_check(name: str, dtype: str) -> None:
    w = xnp.sample(LAWS[name], (300, 400), rng=3, dtype=dtype)
    assert w.dtype == np.dtype(dtype)
    results = stats.check_complex_sample(w, LAWS[name])
    assert {r.name for r in results} >= {"real.ks", "imag.ks", "abs2", "correlation"}
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, failed


@pytest.mark.parametrize("name", LAWS)
def test_real_law_in_both_parts_is_caught(name: str) -> None:
    # What torch's uniform_/normal_ do on a complex tensor: E|w|^2 twice the target.
    rng = np.random.default_rng(0)
    real = LAWS[name]
    parts = [xnp.sample(real, (300, 400), rng=rng, dtype="float32") for _ in range(2)]
    w = (parts[0] + 1j * parts[1]).astype("complex64")
    failed = {r.name for r in stats.check_complex_sample(w, real) if not r.passed}
    assert "abs2" in failed and "real.variance" in failed


def test_correlated_parts_are_caught() -> None:
    part = xnp.sample(xc.Normal(std=0.2 / math.sqrt(2)), (300, 400), rng=0, dtype="float32")
    w = (part + 1j * part).astype("complex64")
    failed = {r.name for r in stats.check_complex_sample(w, xc.Normal(std=0.2)) if not r.passed}
    assert failed == {"correlation"}


@pytest.mark.parametrize(("dtype", "part"), [("complex64", "float32"),
                                             ("complex128", "float64")])
def test_part_dtype(dtype: str, part: str) -> None:
    assert xc.part_dtype(dtype) == part and xc.is_complex(dtype)


def test_part_dtype_refuses_real() -> None:
    with pytest.raises(xc.XavierError, match=r"dtype must be a complex dtype \(complex64, "
                                             r"complex128\), got dtype='float32'"):
        xc.part_dtype("float32")
