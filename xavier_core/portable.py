"""Portable mode: one seed, the same weights bit for bit in numpy, torch, TensorFlow/Keras, JAX.

A :class:`PortableKey` is a Threefry-2x32 key made from a seed exactly as ``jax.random.key(seed)``
makes it. A weight's values are a pure function of (key, distribution, global shape, layout,
position), defined once here and evaluated through a small "ops" protocol (:class:`Ops`) that each
framework supplies, so every framework computes the same integer and float operations:

1. Counters. Every element gets the index it has in the weight's *canonical* layout: the kernel
   (receptive-field) axes in storage order, then the batch axes, the in axes, the out axes
   (:func:`canonical_axes`). A torch ``(out, in, kh, kw)`` weight and a Keras ``(kh, kw, in, out)``
   kernel of the same layer hold the same value at the same logical position; a dense
   ``(in, out)`` or HWIO kernel is already canonical. A shard computes only its own elements,
   from their global indices, so any sharding gives the slice of the unsharded draw.
2. Bits. Threefry-2x32 with 20 rounds over the counter split into (high, low) 32-bit words, laid
   out as JAX's ``jax_threefry_partitionable`` ``random_bits``: 32 bits are ``x0 ^ x1``, 64 bits
   ``x0 << 32 | x1``.
3. Uniform U(-a, a): with k the top 23 (float64: 52) bits, w = a * (2k - 2^23) 2^-23 with one
   rounding. That is exactly ``jax.random.uniform(key, shape, float32, -a, a)`` (which computes
   ``(k 2^-23) * 2a - a`` fused into one FMA on CPU): the same real number, rounded once.
4. Normal and truncated normal: x = (2k + 1 - 2^23) 2^-23, odd multiples of 2^-23 in (-1, 1)
   (times m = erf(cut / sqrt 2) for the truncated normal), then w = sqrt(2) t erfinv(x), with
   Giles' (2010) single-precision erfinv polynomial and a logarithm made of basic arithmetic and
   bit operations (:func:`erfinv`). Every multiply-add is evaluated as round32(a * b + c) in
   float64, where a * b is exact, so a compiler fusing it into an FMA changes nothing. These are
   defined in float32 arithmetic: a float64 weight holds the float32 values, cast once.

int32 carries the uint32 words everywhere (torch has no uint32 add or shifts on CPU): additions
wrap around, a logical right shift is an arithmetic one masked.

Example:
  >>> import numpy as np
  >>> key = PortableKey(0)
  >>> w = sample(key, Uniform(bound=0.1), (3, 2))
  >>> w.dtype, w.shape
  (dtype('float32'), (3, 2))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from xavier_core.distributions import Distribution, Normal, TruncatedNormal, Uniform
from xavier_core.dtypes import FLOAT_DTYPES, dtype_name
from xavier_core.dtypes import sampling_dtype as _sampling_dtype
from xavier_core.errors import XavierError, bad_argument
from xavier_core.fans import CHANNELS_LAST, Layout, check_shape, normalize_axes

MASK32 = 0xFFFFFFFF
_PARITY = 0x1BD11BDA
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _signed(word: int) -> int:
    """A uint32 word as the int32 with the same bits."""
    word &= MASK32
    return word - (1 << 32) if word >= 1 << 31 else word


def _f32(value: float) -> float:
    """``value`` rounded to float32 (as a Python float, exactly representable in float32)."""
    return float(np.float32(value))


# --------------------------------------------------------------------------------------------
# The ops protocol: what a framework supplies. Integer arrays are int32 (uint32 bits) or int64.


class Ops(Protocol):
    """The operations the portable generator needs from a framework.

    Integer arrays hold uint32 words as int32 (two's complement, wrapping ``+``); Python ints
    passed to ``add``/``and_``/... fit in int32. ``+ - * ^ & |`` on arrays and Python scalars
    must keep the array's dtype (numpy, torch, JAX and TensorFlow all do).
    """

    def constant_i32(self, values: NDArray[np.int32]) -> Any:
        """A small int32 host array placed where the weight lives (device, graph constant)."""

    def shl(self, x: Any, n: int) -> Any:
        """x << n on int32 or int64 (bits shifted out are lost)."""

    def sar(self, x: Any, n: int) -> Any:
        """Arithmetic x >> n on int32 or int64."""

    def to_int64(self, x: Any) -> Any:
        """int32 -> int64, sign extended."""

    def to_float32(self, x: Any) -> Any:
        """int32 or float64 -> float32, rounded to nearest even."""

    def to_float64(self, x: Any) -> Any:
        """int64 or float32 -> float64."""

    def bitcast_to_int32(self, x: Any) -> Any:
        """float32 -> int32 with the same bits."""

    def bitcast_to_float32(self, x: Any) -> Any:
        """int32 -> float32 with the same bits."""

    def sqrt(self, x: Any) -> Any:
        """Correctly rounded square root of a float64 array."""

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        """Elementwise ``x if condition else y``."""

    def clip(self, x: Any, low: float, high: float) -> Any:
        """``x`` clamped to [low, high]."""


class NumpyOps:
    """The reference implementation of :class:`Ops`, in numpy."""

    def constant_i32(self, values: NDArray[np.int32]) -> NDArray[np.int32]:
        return np.asarray(values, dtype=np.int32)

    def shl(self, x: Any, n: int) -> Any:
        return np.left_shift(x, n)

    def sar(self, x: Any, n: int) -> Any:
        return np.right_shift(x, n)

    def to_int64(self, x: Any) -> Any:
        return x.astype(np.int64)

    def to_float32(self, x: Any) -> Any:
        return x.astype(np.float32)

    def to_float64(self, x: Any) -> Any:
        return x.astype(np.float64)

    def bitcast_to_int32(self, x: Any) -> Any:
        return x.view(np.int32)

    def bitcast_to_float32(self, x: Any) -> Any:
        return x.view(np.float32)

    def sqrt(self, x: Any) -> Any:
        return np.sqrt(x)

    def where(self, condition: Any, x: Any, y: Any) -> Any:
        return np.where(condition, x, y)

    def clip(self, x: Any, low: float, high: float) -> Any:
        return np.clip(x, np.float32(low), np.float32(high)).astype(x.dtype)


NUMPY_OPS = NumpyOps()


def _lsr(ops: Ops, x: Any, n: int) -> Any:
    """Logical right shift of int32-held uint32 words."""
    return ops.sar(x, n) & ((1 << (32 - n)) - 1)


def _rotl(ops: Ops, x: Any, n: int) -> Any:
    return ops.shl(x, n) | _lsr(ops, x, 32 - n)


# --------------------------------------------------------------------------------------------
# Threefry-2x32 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"), 20 rounds.


def threefry2x32(ops: Ops, key: tuple[int, int], x0: Any, x1: Any) -> tuple[Any, Any]:
    """Threefry-2x32 of the counter words (x0, x1) under ``key`` (two uint32 ints).

    ``x0`` and ``x1`` are int32 arrays (or Python ints, with ``ops`` None-safe only for arrays);
    returns the two output words as int32 arrays.
    """
    ks = (_signed(key[0]), _signed(key[1]), _signed(key[0] ^ key[1] ^ _PARITY))
    x0 = x0 + ks[0]
    x1 = x1 + ks[1]
    for group in range(5):
        for rotation in _ROTATIONS[group % 2]:
            x0 = x0 + x1
            x1 = _rotl(ops, x1, rotation)
            x1 = x1 ^ x0
        x0 = x0 + ks[(group + 1) % 3]
        x1 = x1 + _signed(ks[(group + 2) % 3] + group + 1)
    return x0, x1


def _threefry_words(key: tuple[int, int], hi: int, lo: int) -> tuple[int, int]:
    x0, x1 = threefry2x32(NUMPY_OPS, key, np.array([_signed(hi)], np.int32),
                          np.array([_signed(lo)], np.int32))
    return int(x0[0]) & MASK32, int(x1[0]) & MASK32


# --------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True, init=False)
class PortableKey:
    """A Threefry-2x32 key, made from ``seed`` as ``jax.random.key(seed)`` makes it.

    ``PortableKey(seed)`` for an int seed in [-2^31, 2^64): the words are
    ``(seed >> 32, seed & 0xFFFFFFFF)`` (a negative seed is read as int32, as JAX does by
    default: ``PortableKey(-1).words == (0, 0xFFFFFFFF)``). Pass it wherever an API takes its
    randomness (``generator=`` in torch, ``seed=`` in Keras, ``rng=`` in numpy, the key in JAX)
    for weights that are the same bit for bit in every framework. Keys compare by their words.

    Example:
      >>> PortableKey(0).words
      (0, 0)
      >>> PortableKey(0).fold_in(7).words        # jax.random.fold_in(jax.random.key(0), 7)
      (2716826189, 292468403)
    """

    words: tuple[int, int]
    seed: int | None = field(default=None, compare=False)

    def __init__(self, seed: int) -> None:
        if (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)
                or not -(1 << 31) <= seed < 1 << 64):
            raise bad_argument("seed", seed, "an int in [-2**31, 2**64)")
        seed = int(seed)
        words = (0, seed & MASK32) if seed < 0 else (seed >> 32, seed & MASK32)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "seed", seed)

    @classmethod
    def from_words(cls, hi: int, lo: int) -> PortableKey:
        """A key with the given uint32 words (``jax.random.key_data`` order)."""
        for name, word in (("hi", hi), ("lo", lo)):
            if not isinstance(word, numbers.Integral) or not 0 <= word <= MASK32:
                raise bad_argument(name, word, "an int in [0, 2**32)")
        key = cls.__new__(cls)
        object.__setattr__(key, "words", (int(hi), int(lo)))
        object.__setattr__(key, "seed", None)
        return key

    def fold_in(self, data: int) -> PortableKey:
        """``jax.random.fold_in(key, data)``: a new key for ``data`` (an int in [0, 2^32))."""
        if (not isinstance(data, numbers.Integral) or isinstance(data, bool)
                or not 0 <= data <= MASK32):
            raise bad_argument("data", data, "an int in [0, 2**32)")
        return PortableKey.from_words(*_threefry_words(self.words, 0, int(data)))

    def split(self, num: int = 2) -> tuple[PortableKey, ...]:
        """``jax.random.split(key, num)`` (partitionable): key i is threefry(key, (0, i))."""
        if not isinstance(num, numbers.Integral) or isinstance(num, bool) or not 0 < num <= MASK32:
            raise bad_argument("num", num, "a positive int")
        return tuple(PortableKey.from_words(*_threefry_words(self.words, 0, i))
                     for i in range(int(num)))

    def for_tensor(self, layer: int, role: int = 0) -> PortableKey:
        """The model-level key of a weight: ``fold_in(layer).fold_in(role)``, where ``layer``
        counts the layers with drawn weights and ``role`` the drawn tensors within the layer,
        both from 0 in definition order. One architecture gets the same keys in every
        framework (see README, "Portable mode")."""
        return self.fold_in(layer).fold_in(role)

    def __repr__(self) -> str:
        if self.seed is not None:
            return f"PortableKey({self.seed})"
        return f"PortableKey.from_words({self.words[0]}, {self.words[1]})"


# --------------------------------------------------------------------------------------------
# Counters over the canonical index space


def canonical_axes(layout: Layout, rank: int) -> tuple[int, ...]:
    """The storage axes in canonical order: kernel axes, batch axes, in axes, out axes.

    Example:
      >>> from xavier_core.fans import TORCH
      >>> canonical_axes(TORCH, 4)          # (out, in, kh, kw) -> (kh, kw, in, out)
      (2, 3, 1, 0)
    """
    if rank < 2:  # a vector or a scalar: one order only
        return tuple(range(rank))
    ins = normalize_axes(layout.in_axis, rank, "in_axis")
    outs = normalize_axes(layout.out_axis, rank, "out_axis")
    batches = normalize_axes(layout.batch_axis, rank, "batch_axis")
    named = set(ins + outs + batches)
    kernel = tuple(a for a in range(rank) if a not in named)
    return kernel + batches + ins + outs


def _check_indices(indices: Sequence[Any], shape: tuple[int, ...]) -> list[NDArray[np.int64]]:
    if len(indices) != len(shape):
        raise bad_argument("indices", f"<{len(indices)} axes>",
                           f"one index array per axis of the global shape {shape}")
    checked = []
    for axis, (index, size) in enumerate(zip(indices, shape, strict=True)):
        array = np.asarray(index, dtype=np.int64).reshape(-1)
        if array.size and (array.min() < 0 or array.max() >= size):
            raise bad_argument(f"indices[{axis}]", f"<values in [{array.min()}, {array.max()}]>",
                               f"global indices in [0, {size})")
        checked.append(array)
    return checked


def counters(ops: Ops, shape: Sequence[int], layout: Layout = CHANNELS_LAST,
             indices: Sequence[Any] | None = None) -> tuple[Any, Any]:
    """(high, low) int32 words of each element's canonical index, over the local block.

    Args:
      shape: the weight's global shape.
      layout: its layout (which axes are kernel, batch, in, out).
      indices: for a shard, the global indices it holds along each axis (one 1-D integer array
        per axis); None for the whole weight.
    """
    full = check_shape(shape)
    rank = len(full)
    order = canonical_axes(layout, rank)
    stride = [0] * rank
    running = 1
    for axis in reversed(order):
        stride[axis] = running
        running *= full[axis]
    if running > 1 << 64:
        raise bad_argument("shape", full, "a shape of at most 2**64 elements")
    axes = ([np.arange(d, dtype=np.int64) for d in full] if indices is None
            else _check_indices(indices, full))
    local = tuple(len(a) for a in axes)
    hi: Any = None
    lo: Any = None
    for axis, index in enumerate(axes):
        value = index.astype(np.uint64) * np.uint64(stride[axis])
        view = [1] * rank
        view[axis] = local[axis]
        lo_part = ops.constant_i32((value & MASK32).astype(np.uint32).view(np.int32).reshape(view))
        if running <= 1 << 32:
            lo = lo_part if lo is None else lo + lo_part
            continue
        hi_part = ops.constant_i32((value >> np.uint64(32)).astype(np.uint32).view(np.int32)
                                   .reshape(view))
        if lo is None:
            hi, lo = hi_part, lo_part
            continue
        total = lo + lo_part
        carry = _lsr(ops, (lo & lo_part) | ((lo | lo_part) & (total ^ -1)), 31)
        hi, lo = hi + hi_part + carry, total
    if lo is None:  # rank 0
        lo = ops.constant_i32(np.zeros((), np.int32))
    return (lo * 0 if hi is None else hi + lo * 0), lo


def random_bits(ops: Ops, key: PortableKey, shape: Sequence[int], layout: Layout = CHANNELS_LAST,
                indices: Sequence[Any] | None = None) -> tuple[Any, Any]:
    """Threefry output words (x0, x1) of every element (see :func:`counters`)."""
    hi, lo = counters(ops, shape, layout, indices)
    return threefry2x32(ops, key.words, hi, lo)


# --------------------------------------------------------------------------------------------
# Floats. Every multiply-add is round32(a * b + c) evaluated in float64 with a * b exact.


def _mad(ops: Ops, a: Any, b: float | Any, c: float | Any) -> Any:
    """round32(a * b + c) for float32 a (array), b and c (float32 values): the product is exact
    in float64, so fused or not the float64 sum is the same, then rounded once to float32."""
    a64 = ops.to_float64(a)
    b64 = ops.to_float64(b) if not isinstance(b, float) else b
    c64 = ops.to_float64(c) if not isinstance(c, float) else c
    return ops.to_float32(a64 * b64 + c64)


_LN2_HI = _f32(0.693145751953125)  # 12 significant bits: e * _LN2_HI is exact
_LN2_LO = _f32(math.log(2.0) - 0.693145751953125)
_LOG_SERIES = tuple(_f32(2.0 / (2 * n + 1)) for n in range(6))  # 2/1, 2/3, ..., 2/11
_GILES_CENTRAL = tuple(_f32(c) for c in (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941))
_GILES_TAIL = tuple(_f32(c) for c in (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682))


def _horner(ops: Ops, x: Any, coefficients: Sequence[float]) -> Any:
    """c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule, one :func:`_mad` per step."""
    p = _mad(ops, x, coefficients[0], coefficients[1])
    for c in coefficients[2:]:
        p = _mad(ops, p, x, c)
    return p


def log_f32(ops: Ops, t: Any) -> Any:
    """log(t) for float32 t > 0 (normal numbers): t = 2^e m, m in [sqrt(1/2), sqrt 2), then
    log m = 2 atanh(s) = s (2 + 2 s^2/3 + ... + 2 s^10/11), s = (m - 1) / (m + 1). Error below 1.5 x
    max(1e-7, one float32 ulp of the result) on [2^-24, 1]."""
    bits = ops.bitcast_to_int32(t)
    exponent = _lsr(ops, bits, 23) - 127
    m = ops.bitcast_to_float32((bits & 0x007FFFFF) | 0x3F800000)
    big = m > _f32(math.sqrt(2.0))
    m = ops.where(big, m * 0.5, m)
    exponent = exponent + ops.where(big, exponent * 0 + 1, exponent * 0)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    series = _horner(ops, z, _LOG_SERIES[::-1])
    log_m = s * series
    e = ops.to_float32(exponent)
    return _mad(ops, e, _LN2_HI, _mad(ops, e, _LN2_LO, log_m))


def erfinv(ops: Ops, x: Any) -> Any:
    """erfinv(x) for float32 x in (-1, 1): Giles (2010, "Approximating the erfinv function"),
    single precision, with ``log`` from :func:`log_f32` and sqrt rounded from float64."""
    t = _mad(ops, -x, x, 1.0)  # 1 - x^2, rounded once
    w = -log_f32(ops, t)
    central = _horner(ops, w - 2.5, _GILES_CENTRAL)
    root = ops.to_float32(ops.sqrt(ops.to_float64(w)))
    tail = _horner(ops, root - 3.0, _GILES_TAIL)
    return ops.where(w < 5.0, central, tail) * x


def _top_bits_f32(ops: Ops, x0: Any, x1: Any) -> Any:
    """k in [0, 2^23): the top 23 of the 32 random bits x0 ^ x1 (as jax.random.uniform)."""
    return _lsr(ops, x0 ^ x1, 9)


def _uniform_f64(ops: Ops, x0: Any, x1: Any, bound: float) -> Any:
    # k = top 52 bits of (x0 << 32 | x1): x0's 32 bits then x1's top 20.
    k = ops.shl(ops.to_int64(x0) & MASK32, 20) | ops.to_int64(_lsr(ops, x1, 12))
    unit = ops.to_float64(ops.shl(k, 1) - (1 << 52)) * 2.0**-52
    return unit * bound


def draw(ops: Ops, key: PortableKey, distribution: Distribution, shape: Sequence[int],
         layout: Layout = CHANNELS_LAST, dtype: str = "float32",
         indices: Sequence[Any] | None = None) -> Any:
    """The portable draw of a weight of global ``shape``, over the block ``indices`` selects.

    Args:
      ops: the framework's :class:`Ops`.
      key: the weight's :class:`PortableKey`.
      distribution: a resolved :class:`Uniform`, :class:`Normal` or :class:`TruncatedNormal`.
      shape: the global shape; ``layout`` says which axes are which (counters run in canonical
        order, see :func:`canonical_axes`).
      dtype: the sampling dtype, ``"float32"`` or ``"float64"`` (low precision: float32, cast
        by the caller).
      indices: a shard's global indices per axis (see :func:`counters`); None: the whole weight.

    Returns:
      The values, in ``dtype``, of the local block's shape.
    """
    if dtype not in ("float32", "float64"):
        raise bad_argument("dtype", dtype, "'float32' or 'float64' (the sampling dtype)")
    if not isinstance(key, PortableKey):
        raise bad_argument("key", key, "a xavier_core.PortableKey")
    x0, x1 = random_bits(ops, key, shape, layout, indices)
    if isinstance(distribution, Uniform):
        if dtype == "float64":
            return _uniform_f64(ops, x0, x1, float(distribution.bound))
        k = _top_bits_f32(ops, x0, x1)
        unit = ops.to_float32(ops.shl(k, 1) - (1 << 23)) * 2.0**-23
        return unit * _f32(distribution.bound)
    if not isinstance(distribution, (Normal, TruncatedNormal)):
        raise bad_argument("distribution", distribution, "a Uniform, Normal or TruncatedNormal")
    k = _top_bits_f32(ops, x0, x1)
    x = ops.to_float32(ops.shl(k, 1) + (1 - (1 << 23))) * 2.0**-23
    if isinstance(distribution, TruncatedNormal):
        x = x * _f32(distribution.erfinv_limit)
        scale = _f32(distribution.erfinv_scale)
    else:
        scale = _f32(math.sqrt(2.0) * distribution.std)
    values = erfinv(ops, x) * scale
    if isinstance(distribution, TruncatedNormal):
        values = ops.clip(values, -_f32(distribution.bound), _f32(distribution.bound))
    return ops.to_float64(values) if dtype == "float64" else values


def sampling_dtype(dtype: object) -> str:
    """The sampling dtype of a portable draw into a weight of ``dtype``: ``"float32"`` (float16,
    bfloat16 and float32 weights) or ``"float64"``.

    Raises:
      XavierError: ``dtype`` is complex (portable mode draws real weights only; the message says
        so and what to pass instead) or not floating.

    Example:
      >>> sampling_dtype("bfloat16")
      'float32'
    """
    name = dtype_name(dtype)
    if name.startswith("complex"):
        raise bad_argument("dtype", name, f"a real floating dtype ({', '.join(FLOAT_DTYPES)}) "
                           "with a PortableKey", "portable mode draws real weights only; draw a "
                           "complex weight from a framework seed or generator instead")
    return _sampling_dtype(name)


def sample(key: PortableKey, distribution: Distribution, shape: Sequence[int],
           layout: Layout = CHANNELS_LAST, dtype: str = "float32",
           indices: Sequence[Any] | None = None) -> NDArray[Any]:
    """The numpy reference of :func:`draw` (float32 or float64)."""
    return np.asarray(draw(NUMPY_OPS, key, distribution, shape, layout, dtype, indices))


def shard_indices(shape: Sequence[int], shards: Sequence[int], position: Sequence[int]
                  ) -> list[NDArray[np.int64]]:
    """Global indices of the block at ``position`` when axis i of ``shape`` is split evenly
    ``shards[i]`` ways (contiguous blocks, as ``jax.sharding`` and torch ``Shard`` do)."""
    full = check_shape(shape)
    if len(shards) != len(full) or len(position) != len(full):
        raise XavierError(f"shards and position need one entry per axis of shape {full}, got "
                          f"shards={tuple(shards)!r}, position={tuple(position)!r}")
    out = []
    for size, count, at in zip(full, shards, position, strict=True):
        if size % count or not 0 <= at < count:
            raise XavierError(f"axis of size {size} cannot be split {count} ways at block {at}")
        step = size // count
        out.append(np.arange(at * step, (at + 1) * step, dtype=np.int64))
    return out
