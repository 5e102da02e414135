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
    "torch-vit-patch-embedding-k16-s16": Row(
        (768, 3, 16, 16), xc.TORCH.with_(strides=(16, 16)), (768, 768), xc.TORCH, (768, 196608)
    ),
    "torch-conv2d-k3-s2": Row(
        (32, 16, 3, 3), xc.TORCH.with_(strides=(2, 2)), (144, 72), xc.TORCH, (144, 288)
    ),
    "torch-convtranspose2d-k2-s2": Row(
        (32, 16, 2, 2), xc.TORCH_TRANSPOSED.with_(strides=(2, 2)), (32, 64), xc.TORCH, (64, 128)
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


def _conv_average_fans(kernel: int, stride: int, dilation: int, length: int) -> tuple[float, float]:
    """Count, over a 1-D convolution with one channel each way, how many inputs each output reads
    and how many outputs each input feeds, on average: a reference independent of the formula."""
    outputs = (length - dilation * (kernel - 1) - 1) // stride + 1
    feeds = [0] * length
    for j in range(outputs):
        for tap in range(kernel):
            feeds[j * stride + dilation * tap] += 1
    return kernel, sum(feeds) / length


@pytest.mark.parametrize(("kernel", "stride", "dilation"),
                         [(3, 1, 1), (3, 2, 1), (4, 4, 1), (16, 16, 1), (3, 2, 2), (2, 3, 1),
                          (1, 2, 1), (5, 3, 2)],
                         ids=lambda v: str(v))
def test_strided_fan_out_is_the_counted_average(kernel: int, stride: int, dilation: int) -> None:
    # A long axis (the border is 1/1000 of it): the counted average feeds per input unit.
    reads, feeds = _conv_average_fans(kernel, stride, dilation, 1000 * stride * kernel)
    fans = xc.compute_fans((7, 5, kernel), in_axis=1, out_axis=0, strides=(stride,))
    assert fans.fan_in == 5 * reads, f"got fan_in {fans.fan_in}, but should be {5 * reads}"
    assert fans.fan_out == pytest.approx(7 * feeds, rel=2e-3), (
        f"got fan_out {fans.fan_out}, but should be about {7 * feeds} (counted) "
        f"[k={kernel}, s={stride}, d={dilation}]")


@pytest.mark.parametrize(("kernel", "stride"), [(2, 2), (3, 2), (4, 2), (1, 3)], ids=str)
def test_strided_transposed_fan_in_is_the_counted_average(kernel: int, stride: int) -> None:
    # A transposed convolution scatters input i into outputs i * s + t: count what each gathers.
    length = 1000 * kernel
    size = (length - 1) * stride + kernel
    gathers = [0] * size
    for i in range(length):
        for tap in range(kernel):
            gathers[i * stride + tap] += 1
    fans = xc.compute_fans((5, 7, kernel), in_axis=0, out_axis=1, strides=(stride,),
                           transposed=True)
    assert fans.fan_out == 7 * kernel, f"got fan_out {fans.fan_out}, but should be {7 * kernel}"
    assert fans.fan_in == pytest.approx(5 * sum(gathers) / size, rel=2e-3), (
        f"got fan_in {fans.fan_in}, but should be about {5 * sum(gathers) / size} (counted)")


def test_fractional_fans_are_floats_and_whole_ones_ints() -> None:
    fractional = xc.compute_fans((7, 4, 3), in_axis=1, out_axis=0, strides=(2,))
    whole = xc.compute_fans((8, 4, 4), in_axis=1, out_axis=0, strides=(2,))
    assert fractional == (12, 10.5) and isinstance(fractional.fan_out, float), fractional
    assert whole == (16, 16) and isinstance(whole.fan_out, int), whole


def test_strides_count_per_group() -> None:
    # torch Conv2d 32->64, k3, s2, groups=4: per group 16 outputs x 9/4 taps.
    got = xc.TORCH.with_(groups=4, strides=(2, 2)).fans((64, 8, 3, 3))
    assert got == (72, 36), f"got {got}, but should be (72, 36)"


@pytest.mark.parametrize("strides", [(2,), (2, 0), (2, 2.0), "22", (True, 2)], ids=repr)
def test_bad_strides_are_refused_with_the_rule(strides: object) -> None:
    with pytest.raises(xc.XavierError, match=r"strides must be one positive int per "
                                              r"receptive-field axis \(2 for a kernel"):
        xc.compute_fans((8, 4, 3, 3), in_axis=1, out_axis=0, strides=strides)  # type: ignore[arg-type]


def test_layout_strides_from_json_lists_are_tuples() -> None:
    layout = xc.TORCH.with_(strides=[2, 2])
    assert layout.strides == (2, 2) and hash(layout) == hash(xc.TORCH.with_(strides=(2, 2)))



@pytest.mark.parametrize(
    ("layout", "axes", "shape", "expected"),
    [(xc.TORCH, 1, (8, 64, 784), (784, 64)),
     (xc.TORCH.with_(groups=4), 1, (3, 64, 8, 3, 3), (72, 144)),
     (xc.CHANNELS_LAST.with_(blocks=4), 2, (2, 5, 16, 128), (16, 32)),
     (xc.DEPTHWISE_CHANNELS_LAST, 1, (6, 3, 3, 32, 1), (9, 9))],
    ids=["torch-linear-1-axis", "torch-grouped-conv-1-axis", "channels-last-gates-2-axes",
         "depthwise-channels-last-1-axis"])
def test_stacked_layout_gives_one_layers_fans(layout: xc.Layout, axes: int,
                                              shape: tuple[int, ...],
                                              expected: tuple[int, int]) -> None:
    stacked = layout.stacked(axes)
    assert stacked.fans(shape) == expected, \
        f"got {stacked.fans(shape)}, but should be {expected} [{layout} stacked {axes}]"
    batch = stacked.batch_axis if isinstance(stacked.batch_axis, tuple) else (stacked.batch_axis,)
    assert set(range(axes)) <= {a % len(shape) for a in batch}, \
        f"got batch_axis {stacked.batch_axis}, but should hold the stacking axes 0..{axes - 1}"


def test_stacked_by_zero_is_the_same_layout_and_bad_counts_are_refused() -> None:
    assert xc.TORCH.stacked(0) is xc.TORCH
    with pytest.raises(xc.XavierError, match=r"axes must be an int >= 0.*got axes=-1"):
        xc.TORCH.stacked(-1)


def test_stacked_layouts_keep_int_axes_ints_and_tuples_tuples() -> None:
    # Survivors of mutation testing: the doctest says so too, but mutmut runs no doctests.
    assert xc.TORCH.stacked(1) == xc.Layout(in_axis=2, out_axis=1, batch_axis=(0,))
    heads = xc.Layout(in_axis=0, out_axis=(1, 2)).stacked(2)
    assert (heads.in_axis, heads.out_axis, heads.batch_axis) == (2, (3, 4), (0, 1))
    negative = xc.Layout(in_axis=(-3, -2), out_axis=-1, batch_axis=0).stacked(1)
    assert (negative.in_axis, negative.out_axis, negative.batch_axis) == ((-3, -2), -1, (0, 1))
