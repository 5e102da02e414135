"""Portable draws in torch: :mod:`xavier_core.portable` evaluated with torch ops, in place.

A ``xavier_core.PortableKey`` given as ``generator=`` makes a weight's values the ones numpy,
Keras and JAX draw from the same key, bit for bit: the counters, Threefry-2x32 and the float
laws are :mod:`xavier_core.portable`'s, evaluated here with int32 torch ops (torch has no uint32
add or shifts on CPU) on the tensor's own device. Only index vectors (one per axis, a few
kilobytes) are sent to the device, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core import portable as xp

if TYPE_CHECKING:
    import torch
else:
    torch = require("torch", "torch")


class TorchOps:
    """:class:`xavier_core.portable.Ops` with torch tensors on ``device``."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def constant_i32(self, values: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(values, dtype=np.int32)).to(self.device)

    def shl(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return torch.bitwise_left_shift(x, n)

    def sar(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return torch.bitwise_right_shift(x, n)

    def to_int64(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.int64)

    def to_float32(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32)

    def to_float64(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float64)

    def bitcast_to_int32(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(torch.int32)

    def bitcast_to_float32(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(torch.float32)

    def sqrt(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(x)

    def where(self, condition: torch.Tensor, x: Any, y: Any) -> torch.Tensor:
        return torch.where(condition, x, y)

    def clip(self, x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        return torch.clamp(x, low, high)


def portable_fill_(
    tensor: torch.Tensor,
    distribution: xc.Distribution,
    key: xc.PortableKey,
    layout: xc.Layout = xc.TORCH,
    *,
    global_shape: Sequence[int] | None = None,
    indices: Sequence[np.ndarray] | None = None,
) -> torch.Tensor:
    """Overwrite ``tensor`` with the portable draw of ``key``; return it.

    Args:
      tensor: a float16, bfloat16, float32 or float64 tensor on any device (low precision:
        drawn in float32, cast once).
      distribution: the resolved law (:func:`xavier_adapters.torch.resolve`).
      key: the weight's :class:`xavier_core.PortableKey`.
      layout: the weight's layout (which axes are kernel, batch, in, out: the counters run in
        its canonical order), torch's ``(out, in, *kernel)`` by default.
      global_shape, indices: for a shard: the whole weight's shape and, per axis, the global
        indices ``tensor`` holds (``tensor[i, j] = full[indices[0][i], indices[1][j]]``); the
        values are then that slice of the unsharded draw.

    Example:
      >>> import torch, xavier_core as xc
      >>> w = portable_fill_(torch.empty(64, 16), xc.Uniform(0.1), xc.PortableKey(0))
    """
    if not isinstance(key, xc.PortableKey):
        raise xc.errors.bad_argument("key", key, "a xavier_core.PortableKey")
    if tensor.is_complex():
        raise xc.errors.bad_argument("tensor", f"<{tensor.dtype} tensor>", "a real floating "
                                     "tensor: portable mode draws real weights")
    shape = tuple(tensor.shape) if global_shape is None else tuple(global_shape)
    work = xc.sampling_dtype(tensor.dtype)
    if tensor.is_meta or tensor.numel() == 0:
        return tensor
    values = xp.draw(TorchOps(tensor.device), key, distribution, shape, layout, work, indices)
    with torch.no_grad():
        return tensor.copy_(values.reshape(tensor.shape))
