"""The fast paths of the bare calls give exactly what the general paths give (issue #18)."""

from __future__ import annotations

import itertools

import pytest

import xavier_core as xc
from xavier_core import fans as fans_module

SHAPES = [(16, 16), (64, 784), (64, 16, 3, 3), (3, 3, 16, 64), (2, 3, 4, 5, 6)]
AXES = [(-2, -1), (1, 0), (0, 1), (-1, 0), (0, -1)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("axes", AXES, ids=lambda a: f"in{a[0]}-out{a[1]}")
def test_plain_fans_equal_the_general_path(shape: tuple[int, ...], axes: tuple[int, int]) -> None:
    in_axis, out_axis = axes
    fast = fans_module._plain_fans(shape, in_axis, out_axis)
    general = xc.compute_fans(list(shape), in_axis=(in_axis,), out_axis=(out_axis,))
    assert fast == general, f"got {fast}, but should be {general} [shape={shape}, axes={axes}]"
    assert type(fast.fan_in) is int and type(fast.fan_out) is int


@pytest.mark.parametrize("shape,in_axis,out_axis", [
    ((16,), -2, -1), ((16, 0), -2, -1), ((16, True), -2, -1), ((16, 16), 0, 0),
    ((16, 16), 2, 0), ((16, 16), True, 0), ([16, 16], -2, -1), ((16, 16.0), -2, -1),
])
def test_plain_fans_leave_the_rest_to_the_general_path(shape, in_axis, out_axis) -> None:
    assert fans_module._plain_fans(shape, in_axis, out_axis) is None


@pytest.mark.parametrize("shape,in_axis,out_axis", [
    ((16, 0), -2, -1), ((16, True), -2, -1), ((16, 16), 0, 0), ((16, 16), 2, 0),
    ((16, 16), True, 0),
])
def test_bad_shapes_and_axes_still_raise(shape, in_axis, out_axis) -> None:
    with pytest.raises(xc.XavierError):
        xc.compute_fans(shape, in_axis=in_axis, out_axis=out_axis)


def test_strided_grouped_blocked_calls_skip_the_fast_path() -> None:
    assert xc.compute_fans((32, 16, 3, 3), in_axis=1, out_axis=0, strides=(2, 2)) == (144, 72)
    assert xc.compute_fans((64, 8, 3, 3), in_axis=1, out_axis=0, groups=4) == (72, 144)
    assert xc.compute_fans((192, 64), in_axis=1, out_axis=0, blocks=3) == (64, 64)
    for groups, blocks in itertools.product((True, 1.0), (1,)):
        with pytest.raises(xc.XavierError):
            xc.compute_fans((16, 16), groups=groups, blocks=blocks)
