"""numpy's ``rng=PortableKey``: the portable reference itself, through the adapter's API."""

from __future__ import annotations

import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_core import portable as xp

SPECS = {"uniform": xnp.glorot_uniform, "normal": xnp.glorot_normal,
         "truncated_normal": xnp.glorot_truncated_normal}
CASES = {  # id: (shape, layout)
    "dense": ((784, 64), xc.CHANNELS_LAST),
    "conv-hwio": ((3, 3, 16, 64), xc.CHANNELS_LAST),
    "conv-torch": ((64, 16, 3, 3), xc.TORCH),
    "grouped": ((3, 3, 8, 64), xc.CHANNELS_LAST.with_(groups=4)),
}


@pytest.mark.parametrize("law", SPECS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_rng_portable_key_is_the_reference(law: str, case: str, dtype: str) -> None:
    shape, layout = CASES[case]
    key = xc.PortableKey(11)
    got = SPECS[law](shape, rng=key, layout=layout, dtype=dtype)
    spec = {"uniform": xc.glorot_uniform, "normal": xc.glorot_normal,
            "truncated_normal": xc.glorot_truncated_normal}[law]()
    law_ = spec.resolve(shape, layout).distribution
    work = "float64" if dtype == "float64" else "float32"
    expected = xp.sample(key, law_, shape, layout, work).astype(got.dtype)
    assert got.dtype == xnp.numpy_dtype(dtype)
    mismatches = int((got != expected).sum())
    assert mismatches == 0, f"got {mismatches} of {got.size} values differing from " \
        f"xavier_core.portable.sample, but should be 0 [{law}-{case}-{dtype}]"


def test_torch_and_keras_layouts_hold_the_same_values() -> None:
    key = xc.PortableKey(5)
    keras_kernel = xnp.glorot_normal((3, 3, 16, 64), rng=key)
    torch_weight = xnp.glorot_normal((64, 16, 3, 3), rng=key, layout=xc.TORCH)
    assert np.array_equal(torch_weight.transpose(2, 3, 1, 0), keras_kernel)


@pytest.mark.parametrize("dtype", ["complex64", np.complex128], ids=["complex64", "complex128"])
def test_complex_has_no_portable_draw(dtype: object) -> None:
    name = np.dtype(dtype).name
    message = (rf"^dtype must be a real floating dtype \(float16, bfloat16, float32, float64\) "
               rf"with a PortableKey, got dtype='{name}'; portable mode draws real weights only")
    with pytest.raises(xc.XavierError, match=message):
        xnp.glorot_uniform((4, 4), rng=xc.PortableKey(0), dtype=dtype)
    with pytest.raises(xc.XavierError, match=message):
        xc.portable.sampling_dtype(dtype)
