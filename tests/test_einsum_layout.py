"""einsum_layout reads each weight axis's role from the einsum equation."""

from __future__ import annotations

import pytest

import xavier_core as xc
from xavier_core.einsum import einsum_layout

# equation, weight shape, (in axes, out axes, batch axes), fans
CASES = {
    "dense": ("ab,bc->ac", (784, 64), ((0,), (1,), ()), (784, 64)),
    "mha-query": ("abc,cde->abde", (64, 4, 16), ((0,), (1, 2), ()), (64, 64)),
    "mha-output": ("abcd,cde->abe", (4, 16, 64), ((0, 1), (2,), ()), (64, 64)),
    "ellipsis-left": ("...b,bc->...c", (32, 8), ((0,), (1,), ()), (32, 8)),
    "ellipsis-right": ("ab...,bc->ac...", (32, 8), ((0,), (1,), ()), (32, 8)),
    "per-position-batch": ("abc,bcd->abd", (10, 32, 8), ((1,), (2,), (0,)), (32, 8)),
    "spaces": ("ab, bc -> ac", (5, 7), ((0,), (1,), ()), (5, 7)),
    "no-out-axis": ("ab,b->a", (5,), ((0,), (), ()), (5, 1)),
}


@pytest.mark.parametrize("case", CASES)
def test_axes_and_fans_follow_the_equation(case: str) -> None:
    equation, shape, (ins, outs, batches), fans = CASES[case]
    layout = einsum_layout(equation)
    got = (layout.in_axis, layout.out_axis, layout.batch_axis)
    assert got == (ins, outs, batches), (
        f"got axes {got}, but should be {(ins, outs, batches)} [{equation}]")
    assert layout.fans(shape) == xc.Fans(*fans), (
        f"got {layout.fans(shape)}, but should be {xc.Fans(*fans)} [{equation}, {shape}]")


def test_weight_as_first_operand() -> None:
    layout = einsum_layout("cd,abc->abd", operand=0)
    assert (layout.in_axis, layout.out_axis) == ((0,), (1,)), (
        f"got {(layout.in_axis, layout.out_axis)}, but should be ((0,), (1,))")


@pytest.mark.parametrize(
    ("equation", "operand", "message"),
    [
        pytest.param("ab,bc", 1, "equation must be '<input>,<weight>-><output>'", id="no-arrow"),
        pytest.param("a,b,c->d", 1, "equation must be", id="three-operands"),
        pytest.param(42, 1, "got equation=42", id="not-a-string"),
        pytest.param("ab,b...c->ac", 1, "the weight term is 'b...c'", id="ellipsis-in-weight"),
        pytest.param("ab,bb->ab", 1, "the weight term is 'bb'", id="repeated-weight-letter"),
        pytest.param("ab,bz->a", 1, "weight letter 'z' is in neither", id="orphan-letter"),
        pytest.param("a.b,bc->ac", 1, "at most one '...'", id="stray-dot"),
        pytest.param("ab,bc->ac", 2, "got operand=2", id="operand-2"),
        pytest.param("ab,bc->ac", True, "got operand=True", id="operand-bool"),
    ],
)
def test_bad_input_names_the_argument(equation: object, operand: object, message: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        einsum_layout(equation, operand)  # type: ignore[arg-type]
    assert message in str(caught.value), f"got {caught.value!s}, but should contain {message!r}"
