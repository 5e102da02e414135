"""Fans: how many units feed one output unit (fan_in) and how many one input unit feeds (fan_out).

For a weight of any rank, the axes are named explicitly, as in ``jax.nn.initializers``:
``in_axis`` and ``out_axis`` hold the input and output features, ``batch_axis`` holds independent
copies (depthwise channels, stacked layers), and every other axis is the receptive field
(the kernel's spatial axes)::

    fan_in  = prod(shape[in_axis])  * receptive_field / (groups if grouped_axis == "in")
    fan_out = prod(shape[out_axis]) * receptive_field / (groups if grouped_axis == "out") / blocks

``groups`` describes a grouped convolution (a block-diagonal dense map): one of the two feature
axes holds every group's channels, the other only one group's (torch Conv2d stores
``(out, in/groups, kh, kw)``, so ``grouped_axis="out"``; ConvTranspose2d stores
``(in, out/groups, kh, kw)``, so ``grouped_axis="in"``). ``blocks`` describes independent
weights packed side by side along the out axis (q/k/v of attention, the gates of an LSTM).
``shards`` turns a local shard's shape into the global shape the fans belong to.

``strides`` makes the fans of a strided convolution count what each unit really feeds (see
:func:`compute_fans`): the stride divides fan_out of a convolution and fan_in of a transposed one
(``transposed=True``). The fans are then averages and may be fractional: :class:`Fans` holds an
``int`` where the count is whole and a ``float`` where it is not.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, NamedTuple, TypeGuard

from xavier_core.errors import XavierError, bad_argument

Axes = int | Sequence[int]
GroupedAxis = Literal["out", "in"]


class Fans(NamedTuple):
    """The two fans of a weight: exact integers, or exact averages (floats) for strided
    convolutions read with ``strides``."""

    fan_in: int | float
    fan_out: int | float


def _is_int(value: object) -> TypeGuard[int]:
    """An int or a numpy integer (any ``numbers.Integral``), not a bool. Typed as ``int``, which
    numpy integers stand in for wherever a count or an axis is read."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_shape(shape: Sequence[int], name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints, or raise :class:`XavierError`."""
    if type(shape) is tuple and all(type(d) is int and d > 0 for d in shape):
        return shape  # the common case, without the ABC checks below
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise bad_argument(name, shape, "a sequence of positive integers")
    if not all(_is_int(d) and d > 0 for d in shape):
        raise bad_argument(name, tuple(shape), "a sequence of positive integers (no zero, "
                           "negative, bool or float dimensions)")
    return tuple(int(d) for d in shape)


def normalize_axes(axes: Axes, rank: int, name: str) -> tuple[int, ...]:
    """Return ``axes`` as sorted non-negative ints for an array of ``rank``, or raise."""
    as_tuple = (axes,) if _is_int(axes) else axes
    if isinstance(as_tuple, (str, bytes)) or not isinstance(as_tuple, Sequence) or not all(
        _is_int(a) for a in as_tuple
    ):
        raise bad_argument(name, axes, "an int or a sequence of ints")
    normalized = []
    for axis in as_tuple:
        if not -rank <= axis < rank:
            hint = "rank 0/1 weights need explicit axes, e.g. in_axis=(), out_axis=0"
            raise bad_argument(name, axes, f"axes in [-{rank}, {rank}) for a weight of rank {rank}",
                               hint if rank < 2 else "")
        normalized.append(axis % rank)
    if len(set(normalized)) != len(normalized):
        raise bad_argument(name, axes, "distinct axes")
    return tuple(sorted(normalized))


def _frozen_axes(axes: object, name: str) -> int | tuple[int, ...]:
    """``axes`` as a plain int or a tuple of plain ints (numpy ints and lists accepted), so a
    Layout is hashable and compares equal however its axes were written; the rank is checked
    where the shape is known (:func:`normalize_axes`)."""
    if _is_int(axes):
        return int(axes)
    if (isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence)
            or not all(_is_int(a) for a in axes)):
        raise bad_argument(name, axes, "an int or a sequence of ints")
    return tuple(int(a) for a in axes)


def _check_count(value: object, name: str) -> int:
    if not _is_int(value) or value < 1:
        raise bad_argument(name, value, "a positive integer")
    return int(value)


def _divide(size: int, divisor: int, what: str, name: str) -> int:
    if size % divisor:
        raise bad_argument(name, divisor, f"a divisor of the {what} size {size}")
    return size // divisor


def global_shape(shape: Sequence[int], shards: Sequence[int]) -> tuple[int, ...]:
    """The global shape of a weight whose local shard has ``shape``, split ``shards[i]`` ways on
    axis ``i`` (``shards=(1, 8)``: the second axis is split over 8 devices)."""
    local = check_shape(shape)
    if isinstance(shards, (str, bytes)) or not isinstance(shards, Sequence) or len(shards) != len(
        local
    ):
        raise bad_argument("shards", shards, f"one positive integer per axis of shape {local}")
    counts = [_check_count(s, "shards") for s in shards]
    return tuple(d * s for d, s in zip(local, counts, strict=True))


def keras_small_rank_fans(shape: Sequence[int]) -> Fans:
    """Keras' fans for a weight of rank 0 or 1 (a bias, a scale, a scalar), which has none.

    Rank 0: (1, 1); rank 1 of length n: (n, n), as ``keras.initializers``' ``compute_fans``
    reads them. This is Keras' bare-weight
    convention, not the fans of any layer: a model-level path never needs it.

    Raises:
      XavierError: ``shape`` is not a shape of rank 0 or 1.

    Example:
      >>> keras_small_rank_fans((64,)), keras_small_rank_fans(())
      (Fans(fan_in=64, fan_out=64), Fans(fan_in=1, fan_out=1))
    """
    dims = check_shape(shape)
    if len(dims) > 1:
        raise bad_argument("shape", tuple(dims), "a shape of rank 0 or 1")
    n = dims[0] if dims else 1
    return Fans(n, n)


def compute_fans(
    shape: Sequence[int],
    *,
    in_axis: Axes = -2,
    out_axis: Axes = -1,
    batch_axis: Axes = (),
    groups: int = 1,
    grouped_axis: GroupedAxis = "out",
    blocks: int = 1,
    shards: Sequence[int] | None = None,
    strides: Sequence[int] = (),
    transposed: bool = False,
) -> Fans:
    """Fans of a weight of ``shape`` whose layout the other arguments describe.

    With ``strides`` (one per receptive-field axis, in axis order) the fans count what each unit
    of a strided convolution really feeds. Along one axis, output j of a convolution with kernel
    k, stride s and dilation d reads inputs j s + d t, t = 0..k-1: over n_out = n_in / s outputs
    that is n_out k (output, tap) pairs, so an input position feeds k / s outputs on average
    (dilation changes which inputs, not how many; when k < s some inputs feed none, and the
    average is still k / s; the border effects of padding are ignored). Hence

        convolution:            fan_in = in * prod(k_i),        fan_out = out * prod(k_i / s_i)
        transposed convolution: fan_in = in * prod(k_i / s_i),  fan_out = out * prod(k_i)

    (per group), since a transposed convolution scatters each input into k positions and each
    output gathers from k / s inputs on average. A ViT patch embedding (k = s = 16) is then
    exactly the Linear map on patches it is: fans (768, 768), not (768, 196608).

    Args:
      shape: the weight's shape (the local shard's shape when ``shards`` is given).
      in_axis, out_axis, batch_axis: int or sequence of ints; the defaults are the
        channels-last layout of Keras and JAX, ``(..., in, out)``.
      groups: number of groups of a grouped convolution (1: dense).
      grouped_axis: which feature axis holds all groups' channels, ``"out"`` or ``"in"``.
      blocks: number of independent weights packed along the out axis.
      shards: per-axis shard counts; fans are then those of the global shape.
      strides: the convolution's stride per receptive-field axis (empty: fans ignore strides,
        as every framework's own init does).
      transposed: the weight is a transposed convolution's, whose stride divides fan_in.

    Returns:
      ``Fans(fan_in, fan_out)``: ints, or floats where a stride makes an average fractional.

    Raises:
      XavierError: a bad shape, axes out of range or overlapping, a group or block count that
        does not divide its axis, or strides that are not one positive int per receptive axis.

    Example:
      >>> compute_fans((64, 16, 3, 3), in_axis=1, out_axis=0)   # torch Conv2d 16->64, k3
      Fans(fan_in=144, fan_out=576)
      >>> compute_fans((32, 16, 3, 3), in_axis=1, out_axis=0, strides=(2, 2))  # k3 s2: 32 * 9/4
      Fans(fan_in=144, fan_out=72)
    """
    if (shards is None and not strides and groups == 1 and blocks == 1
            and type(groups) is int and type(blocks) is int and grouped_axis in ("out", "in")
            and type(batch_axis) is tuple and not batch_axis):
        plain = _plain_fans(shape, in_axis, out_axis)
        if plain is not None:
            return plain
    full = global_shape(shape, shards) if shards is not None else check_shape(shape)
    rank = len(full)
    ins = normalize_axes(in_axis, rank, "in_axis")
    outs = normalize_axes(out_axis, rank, "out_axis")
    batches = normalize_axes(batch_axis, rank, "batch_axis")
    given = {"in_axis": (in_axis, ins), "out_axis": (out_axis, outs),
             "batch_axis": (batch_axis, batches)}
    for first, second in itertools.combinations(given, 2):
        if set(given[first][1]) & set(given[second][1]):
            raise XavierError(
                f"{first} and {second} must not share an axis, got {first}={given[first][0]!r}, "
                f"{second}={given[second][0]!r} for shape {full}"
            )
    groups = _check_count(groups, "groups")
    blocks = _check_count(blocks, "blocks")
    if grouped_axis not in ("out", "in"):
        raise bad_argument("grouped_axis", grouped_axis, "'out' or 'in'")

    in_size = math.prod(full[a] for a in ins)
    out_size = math.prod(full[a] for a in outs)
    kernel = [d for a, d in enumerate(full) if a not in ins + outs + batches]
    receptive_field = math.prod(kernel)
    if grouped_axis == "in":
        in_size = _divide(in_size, groups, "in-axis", "groups")
    else:
        out_size = _divide(out_size, groups, "out-axis", "groups")
    out_size = _divide(out_size, blocks, "out-axis (per group)", "blocks")
    fan_in, fan_out = in_size * receptive_field, out_size * receptive_field
    if strides:
        stride = math.prod(_check_strides(strides, kernel))
        if transposed:
            return Fans(_whole(Fraction(fan_in, stride)), fan_out)
        return Fans(fan_in, _whole(Fraction(fan_out, stride)))
    return Fans(fan_in, fan_out)


def _plain_fans(shape: object, in_axis: object, out_axis: object) -> Fans | None:
    """The fans of the common case (a tuple of positive ints, one int in axis and one int out
    axis, nothing grouped, packed, sharded or strided) without the general path's ABC checks;
    None for anything else, which the general path then validates and reads (same result)."""
    if type(shape) is not tuple or type(in_axis) is not int or type(out_axis) is not int:
        return None
    rank = len(shape)
    if rank < 2 or not -rank <= in_axis < rank or not -rank <= out_axis < rank:
        return None
    for d in shape:
        if type(d) is not int or d < 1:
            return None
    i, o = in_axis % rank, out_axis % rank
    if i == o:
        return None
    receptive_field = 1
    for axis, d in enumerate(shape):
        if axis != i and axis != o:
            receptive_field *= d
    return Fans(shape[i] * receptive_field, shape[o] * receptive_field)


def _check_strides(strides: object, kernel: Sequence[int]) -> tuple[int, ...]:
    if (isinstance(strides, (str, bytes)) or not isinstance(strides, Sequence)
            or len(strides) != len(kernel) or not all(_is_int(s) and s > 0 for s in strides)):
        raise bad_argument("strides", strides, f"one positive int per receptive-field axis "
                           f"({len(kernel)} for a kernel of size {tuple(kernel)}), or ()")
    return tuple(int(s) for s in strides)


def _whole(value: Fraction) -> int | float:
    """An exact average as an int when it is whole, else as the nearest float."""
    return value.numerator if value.denominator == 1 else float(value)


@dataclass(frozen=True)
class Layout:
    """A weight layout: the keyword arguments of :func:`compute_fans`, named once per layer type.

    Example:
      >>> TORCH.fans((64, 784))
      Fans(fan_in=784, fan_out=64)
    """

    in_axis: Axes = -2
    out_axis: Axes = -1
    batch_axis: Axes = ()
    groups: int = 1
    grouped_axis: GroupedAxis = "out"
    blocks: int = 1
    strides: tuple[int, ...] = ()
    """A convolution's stride per receptive-field axis; () reads fans as frameworks do."""
    transposed: bool = False
    """A transposed convolution's weight: its stride divides fan_in, not fan_out."""

    def __post_init__(self) -> None:
        if isinstance(self.strides, list):  # as read back from a JSON config
            object.__setattr__(self, "strides", tuple(self.strides))
        for name in ("in_axis", "out_axis", "batch_axis"):
            object.__setattr__(self, name, _frozen_axes(getattr(self, name), name))

    def fans(self, shape: Sequence[int], shards: Sequence[int] | None = None) -> Fans:
        """:func:`compute_fans` of ``shape`` with this layout."""
        return compute_fans(
            shape,
            in_axis=self.in_axis,
            out_axis=self.out_axis,
            batch_axis=self.batch_axis,
            groups=self.groups,
            grouped_axis=self.grouped_axis,
            blocks=self.blocks,
            shards=shards,
            strides=self.strides,
            transposed=self.transposed,
        )

    def with_(self, **changes: object) -> Layout:
        """A copy with some fields changed: ``TORCH.with_(groups=4)``."""
        fields = {**self.__dict__, **changes}
        return Layout(**fields)

    def stacked(self, axes: int) -> Layout:
        """This layout for ``axes`` layers' weights stacked on new leading axes (``nn.scan``,
        ``vmap``, ``torch.func.stack_module_state``): the new axes are batch axes, non-negative
        axes move right by ``axes``, negative ones still count from the end.

        Example:
          >>> TORCH.stacked(1).fans((8, 64, 784))   # 8 stacked torch Linear(784, 64) weights
          Fans(fan_in=784, fan_out=64)
          >>> TORCH.stacked(1).in_axis, TORCH.stacked(1).out_axis, TORCH.stacked(1).batch_axis
          (2, 1, (0,))
        """
        if not _is_int(axes) or axes < 0:
            raise bad_argument("axes", axes, "an int >= 0: the number of stacking axes")
        if axes == 0:
            return self

        def shift(value: Axes) -> tuple[int, ...]:
            as_tuple = tuple(value) if isinstance(value, Sequence) else (value,)
            return tuple(a + axes if a >= 0 else a for a in as_tuple)

        in_axis, out_axis = shift(self.in_axis), shift(self.out_axis)
        return self.with_(
            in_axis=in_axis[0] if _is_int(self.in_axis) else in_axis,
            out_axis=out_axis[0] if _is_int(self.out_axis) else out_axis,
            batch_axis=tuple(range(axes)) + shift(self.batch_axis))


CHANNELS_LAST = Layout(in_axis=-2, out_axis=-1)
"""Keras, Flax and JAX Dense/Conv kernels: ``(..., in, out)``; also numpy's default here."""
TORCH = Layout(in_axis=1, out_axis=0)
"""torch Linear and ConvNd weights: ``(out, in/groups, *kernel)``."""
TORCH_TRANSPOSED = Layout(in_axis=0, out_axis=1, grouped_axis="in", transposed=True)
"""torch ConvTransposeNd weights: ``(in, out/groups, *kernel)``."""
KERAS_TRANSPOSED = Layout(in_axis=-1, out_axis=-2, transposed=True)
"""Keras ConvNDTranspose kernels: ``(*kernel, out, in)``."""
DEPTHWISE_CHANNELS_LAST = Layout(in_axis=(), out_axis=-1, batch_axis=-2)
"""Keras DepthwiseConv2D kernels ``(*kernel, channels, multiplier)``: each channel is its own
group with one input, so the channel axis is a batch axis."""
