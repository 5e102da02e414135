"""The fans table of DESIGN.md section 3, row for row: the layer-aware (correct) fans and the fans
a bare tensor gets under its framework's own convention, from one function."""

from __future__ import annotations

from typing import NamedTuple

import pytest

import xavier_core as xc


class Row(NamedTuple):
    shape: tuple[int, ...]
    layer: xc.Layout
    correct: tuple[int, int]
    bare: xc.Layout
    framework: tuple[int, int]
    shards: tuple[int, ...] | None = None


DESIGN_TABLE = {
    "torch-linear": Row((64, 784), xc.TORCH, (784, 64), xc.TORCH, (784, 64)),
    "keras-jax-dense": Row((784, 64), xc.CHANNELS_LAST, (784, 64), xc.CHANNELS_LAST, (784, 64)),
    "torch-conv2d": Row((64, 16, 3, 3), xc.TORCH, (144, 576), xc.TORCH, (144, 576)),
    "hwio-conv2d": Row((3, 3, 16, 64), xc.CHANNELS_LAST, (144, 576), xc.CHANNELS_LAST, (144, 576)),
    "torch-convtranspose2d": Row(
        (16, 64, 3, 3), xc.TORCH_TRANSPOSED, (144, 576), xc.TORCH, (576, 144)
    ),
    "keras-conv2dtranspose": Row(
        (3, 3, 7, 5), xc.KERAS_TRANSPOSED, (45, 63), xc.CHANNELS_LAST, (63, 45)
    ),
    "torch-conv2d-groups4": Row(
        (64, 8, 3, 3), xc.TORCH.with_(groups=4), (72, 144), xc.TORCH, (72, 576)
    ),
    "torch-depthwise-conv2d": Row(
        (32, 1, 3, 3), xc.TORCH.with_(groups=32), (9, 9), xc.TORCH, (9, 288)
    ),
    "keras-depthwise-conv2d": Row(
        (3, 3, 32, 1), xc.DEPTHWISE_CHANNELS_LAST, (9, 9), xc.CHANNELS_LAST, (288, 9)
    ),
    "torch-mha-in-proj": Row((192, 64), xc.TORCH.with_(blocks=3), (64, 64), xc.TORCH, (64, 192)),
    "torch-lstm-weight-ih": Row(
        (128, 16), xc.TORCH.with_(blocks=4), (16, 32), xc.TORCH, (16, 128)
    ),
    "keras-lstm-kernel": Row(
        (16, 128), xc.CHANNELS_LAST.with_(blocks=4), (16, 32), xc.CHANNELS_LAST, (16, 128)
    ),
    "dense-sharded-8-ways-on-out": Row(
        (784, 8), xc.CHANNELS_LAST, (784, 64), xc.CHANNELS_LAST, (784, 8), shards=(1, 8)
    ),
}


@pytest.mark.parametrize("row", DESIGN_TABLE.values(), ids=DESIGN_TABLE.keys())
def test_layer_aware_fans_match_design_table(row: Row) -> None:
    got = row.layer.fans(row.shape, shards=row.shards)
    assert got == row.correct, f"got {got}, but should be {row.correct} [shape {row.shape}]"


@pytest.mark.parametrize("row", DESIGN_TABLE.values(), ids=DESIGN_TABLE.keys())
def test_bare_tensor_fans_follow_framework_convention(row: Row) -> None:
    got = row.bare.fans(row.shape)
    assert got == row.framework, f"got {got}, but should be {row.framework} [shape {row.shape}]"


def test_grouped_transposed_conv_divides_the_in_axis() -> None:
    # torch ConvTranspose2d 32->64, k3, groups=4 stores (in, out/groups, kh, kw) = (32, 16, 3, 3):
    # one output unit sums 8 inputs x 9 taps; one input unit feeds 16 outputs x 9 taps.
    got = xc.TORCH_TRANSPOSED.with_(groups=4).fans((32, 16, 3, 3))
    assert got == (72, 144), f"got {got}, but should be (72, 144)"


def test_batch_axes_count_in_neither_fan() -> None:
    # Ten stacked dense layers (10, 784, 64): the stack axis is a batch axis, as in JAX.
    assert xc.compute_fans((10, 784, 64), batch_axis=0) == (784, 64)


def test_tuple_axes_multiply() -> None:
    # EinsumDense "ab,bcd->acd" kernel (in=64, heads=8, head_dim=16): out is two axes.
    assert xc.compute_fans((64, 8, 16), in_axis=0, out_axis=(1, 2)) == (64, 128)


def test_empty_axes_give_unit_size_for_rank_one() -> None:
    assert xc.compute_fans((5,), in_axis=(), out_axis=0) == (1, 5)


def test_negative_and_positive_axes_agree() -> None:
    shape = (3, 3, 16, 64)
    assert xc.compute_fans(shape, in_axis=2, out_axis=3) == xc.compute_fans(shape)


def test_global_shape_multiplies_per_axis() -> None:
    assert xc.global_shape((784, 8), (1, 8)) == (784, 64)
