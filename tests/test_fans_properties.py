"""Properties of compute_fans that hold for every shape and layout (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

import xavier_core as xc

dims = st.integers(min_value=1, max_value=9)


@st.composite
def weights(draw: st.DrawFn) -> tuple[tuple[int, ...], int, int]:
    """A shape of rank 2-5 and two distinct axes for in and out."""
    shape = tuple(draw(st.lists(dims, min_size=2, max_size=5)))
    in_axis, out_axis = draw(st.permutations(range(len(shape))))[:2]
    return shape, in_axis, out_axis


@given(weights(), st.randoms())
def test_fans_do_not_depend_on_axis_order(weight: tuple, random) -> None:  # type: ignore[no-untyped-def]
    shape, in_axis, out_axis = weight
    order = list(range(len(shape)))
    random.shuffle(order)
    moved = tuple(shape[a] for a in order)
    expected = xc.compute_fans(shape, in_axis=in_axis, out_axis=out_axis)
    got = xc.compute_fans(moved, in_axis=order.index(in_axis), out_axis=order.index(out_axis))
    assert got == expected, f"got {got}, but should be {expected} [{shape} -> {moved}]"


@given(weights())
def test_fans_share_the_receptive_field(weight: tuple) -> None:
    shape, in_axis, out_axis = weight
    fans = xc.compute_fans(shape, in_axis=in_axis, out_axis=out_axis)
    receptive = math.prod(shape) // (shape[in_axis] * shape[out_axis])
    assert fans == (shape[in_axis] * receptive, shape[out_axis] * receptive)


@given(st.lists(dims, min_size=0, max_size=3), dims, dims, st.integers(1, 6))
def test_groups_give_the_fans_of_one_group(kernel: list[int], per_group_in: int,
                                           per_group_out: int, groups: int) -> None:
    # torch layout (out, in/groups, *kernel): one group alone is a dense conv per_group_in -> out.
    grouped = (per_group_out * groups, per_group_in, *kernel)
    one_group = (per_group_out, per_group_in, *kernel)
    assert xc.TORCH.with_(groups=groups).fans(grouped) == xc.TORCH.fans(one_group)


@given(weights(), st.lists(st.integers(1, 4), min_size=5, max_size=5))
def test_sharded_fans_are_the_global_fans(weight: tuple, splits: list[int]) -> None:
    shape, in_axis, out_axis = weight
    shards = tuple(splits[: len(shape)])
    global_shape = tuple(d * s for d, s in zip(shape, shards, strict=True))
    assert xc.compute_fans(shape, in_axis=in_axis, out_axis=out_axis, shards=shards) == \
        xc.compute_fans(global_shape, in_axis=in_axis, out_axis=out_axis)
