"""Issue 16's bad inputs to the core, numpy and torch: each a clear XavierError or TypeError that
names the argument and echoes the value; nothing overflows, underflows or draws inf silently.

Each case was run before the fix and gave the wrong outcome named in the comment above it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_adapters import torch as xt

HUGE = 2**1100  # an int beyond float64

CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # was OverflowError: int too large to convert to float
    ("gain-huge-int", lambda: xc.glorot_uniform(gain=HUGE), xc.XavierError,
     r"gain must be 0 or between 1e-150 and 1e\+150, got gain=1358"),
    ("fans-huge-int", lambda: xc.glorot_uniform().distribution_for(xc.Fans(HUGE, 1)),
     xc.XavierError, r"fans must be fans a float64 can hold .*, got fans=\(1358"),
    ("scale-huge-int", lambda: xc.VarianceScaling(scale=HUGE), xc.XavierError,
     r"scale must be a finite number >= 0, got scale=1358"),
    ("torch-fans-huge-int", lambda: xt.xavier_uniform_(torch.empty(4, 4), fans=(HUGE, 1)),
     xc.XavierError, r"fans must be"),
    # was a silent std of 0 (gain^2 underflowed)
    ("gain-tiny", lambda: xc.glorot_uniform(1e-170), xc.XavierError,
     r"gain must be 0 or between .*, got gain=1e-170; its square"),
    # was "scale must be ..., got scale=inf": an argument the user never passed
    ("gain-square-overflows", lambda: xc.glorot_normal(gain=1e155), xc.XavierError,
     r"gain must be 0 or between .*, got gain=1e\+155"),
    ("gain-inf", lambda: xc.glorot_normal(gain=math.inf), xc.XavierError,
     r"gain must be a finite number >= 0, got gain=inf"),
    # was inf weights
    ("torch-float32-overflow", lambda: xt.xavier_uniform_(torch.empty(4, 4), gain=1e100),
     xc.XavierError, r"largest value must be at most 3.4028e\+38 to draw float32 weights"),
    ("torch-float16-overflow",
     lambda: xt.xavier_normal_(torch.empty(4, 4, dtype=torch.float16), gain=1e5),
     xc.XavierError, r"10 x std must be at most 65504 to draw float16 weights"),
    ("numpy-float32-overflow", lambda: xnp.glorot_uniform((4, 4), gain=1e100), xc.XavierError,
     r"largest value must be at most 3.4028e\+38 to draw float32"),
    # was all zeros
    ("torch-float32-underflow", lambda: xt.xavier_uniform_(torch.empty(4, 4), gain=1e-60),
     xc.XavierError, r"std must be 0 or at least 1.1755e-38 .* float32 .*, got the weight's std="),
    ("numpy-bfloat16-underflow",
     lambda: xnp.glorot_uniform((4, 4), gain=1e-45, dtype="bfloat16"), xc.XavierError,
     r"to draw bfloat16 weights"),
    # were AttributeError / IndexError from inside
    ("torch-numpy-array", lambda: xt.xavier_uniform_(np.zeros((4, 4))), TypeError,
     r"tensor must be a torch.Tensor, got tensor=<numpy.ndarray of shape \(4, 4\)>"),
    ("torch-spec-string", lambda: xt.variance_scaling_(torch.empty(4, 4), "glorot"), TypeError,
     r"spec must be an xavier_core.VarianceScaling .*, got spec='glorot'"),
    ("torch-layout-string",
     lambda: xt.variance_scaling_(torch.empty(4, 4), xc.glorot_uniform(), layout="torch"),
     TypeError, r"layout must be an xavier_core.Layout .*, got layout='torch'"),
    ("torch-fill-not-a-tensor", lambda: xt.fill_([1.0, 2.0], xc.Uniform(1.0)), TypeError,
     r"tensor must be a torch.Tensor, got tensor=<builtins.list>"),
    ("einsum-operand-float", lambda: xc.einsum_layout("ab,bc->ac", operand=1.0),
     xc.XavierError, r"operand must be 0 or 1, the position of the weight, got operand=1.0"),
    # were TypeError: '...' object is not iterable
    ("layout-axis-none", lambda: xc.Layout(in_axis=None), xc.XavierError,  # type: ignore[arg-type]
     r"in_axis must be an int or a sequence of ints, got in_axis=None"),
    ("layout-axis-float", lambda: xc.Layout(out_axis=1.5), xc.XavierError,  # type: ignore[arg-type]
     r"out_axis must be an int or a sequence of ints, got out_axis=1.5"),
    ("layout-axis-string", lambda: xc.Layout(batch_axis="0"), xc.XavierError,  # type: ignore[arg-type]
     r"batch_axis must be an int or a sequence of ints, got batch_axis='0'"),
]


@pytest.mark.parametrize(("case", "call", "kind", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(case: str, call: Callable[[], object],
                                      kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message) as raised:
        call()
    assert type(raised.value) in (xc.XavierError, TypeError), f"{case}: {raised.value!r}"


def test_numpy_ints_and_lists_are_axes_too() -> None:
    layout = xc.Layout(in_axis=np.int64(0), out_axis=[np.int32(1)], batch_axis=[])
    assert layout == xc.Layout(in_axis=0, out_axis=(1,), batch_axis=())
    assert hash(layout) == hash(xc.Layout(in_axis=0, out_axis=(1,), batch_axis=()))
    assert type(layout.in_axis) is int


@pytest.mark.parametrize("gain", [1e-150, 1e150, 0.0, 0, 3])
def test_gains_at_the_edges_are_accepted(gain: float) -> None:
    assert xc.check_gain(gain) == float(gain)


def test_the_largest_gain_still_draws_float64() -> None:
    weight = xt.xavier_uniform_(torch.empty(64, 64, dtype=torch.float64), gain=1e150)
    assert bool(torch.isfinite(weight).all()) and float(weight.abs().max()) > 1e148


def test_a_failed_drawable_check_leaves_the_tensor_untouched() -> None:
    tensor = torch.full((4, 4), 7.0)
    with pytest.raises(xc.XavierError):
        xt.xavier_uniform_(tensor, gain=1e100)
    assert bool((tensor == 7.0).all())


def test_init_model_refuses_an_overflowing_layer_before_writing_any() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 8).half())
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(xc.XavierError, match=r"1.weight: .*at most 65504 to draw float16"):
        xt.init_model(model, gain=3e5)  # bound 1.8e5: fits float32, not float16
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
