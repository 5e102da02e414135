"""Sharded weights: torch ``DTensor`` parameters (FSDP2 ``fully_shard``, tensor parallel plans).

A ``DTensor``'s ``shape`` is its GLOBAL shape, so the fans (:func:`xavier_adapters.torch.resolve`)
are the global layer's, never the local shard's. The draw writes only the local shard
(``to_local()``, in place): no rank ever holds a buffer of the global size.

With torch's generator (``generator=`` or torch's default one) the values cannot equal an
unsharded draw (torch's CPU and CUDA generators fill a tensor sequentially), so this promises
what holds in distribution, and no more:

- one integer is drawn from the generator per weight, by every rank alike, so every rank's
  generator advances the same way whatever it holds (seed every rank alike, as torch asks);
- each shard is drawn from its own ``torch.Generator`` seeded with
  :func:`xavier_core.shards.shard_seed` of that integer and the shard's first global index, so
  distinct shards are independent and the replicas of a shard (``Replicate`` mesh dimensions)
  are identical;
- a weight whose local tensor is the whole weight (world size 1, ``Replicate`` only) is drawn
  straight from the generator: the same values as the plain tensor, bit for bit.

The values depend on the mesh and the placements. torch's own DTensor random ops
(``OffsetBasedRNGTracker``) make the same promises on CUDA only; on a CPU mesh each rank draws
its shard from its own default generator, so equally seeded ranks hold identical shards.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_core.shards import shard_seed

if TYPE_CHECKING:
    import torch
else:
    torch = require("torch", "torch")

SEED_BOUND = 2**62
"""The base integer drawn per sharded weight lies in ``[0, SEED_BOUND)``."""


@functools.cache
def _dtensor_class() -> type | None:
    if not torch.distributed.is_available():
        return None
    from torch.distributed.tensor import DTensor

    return DTensor


def is_dtensor(tensor: object) -> bool:
    """Whether ``tensor`` is a ``torch.distributed.tensor.DTensor`` (FSDP2 and TP parameters)."""
    cls = _dtensor_class()
    return cls is not None and isinstance(tensor, cls)


def _chunk(indices: np.ndarray, parts: int, index: int) -> np.ndarray:
    """Part ``index`` of ``indices`` split as ``torch.chunk`` and ``Shard`` split: ``parts``
    pieces of ``ceil(n / parts)``, the last ones shorter or empty."""
    size = math.ceil(len(indices) / parts) if len(indices) else 0
    return indices[index * size:(index + 1) * size]


def local_indices(tensor: Any) -> list[np.ndarray]:
    """The global indices, per axis, of the elements this rank's shard of ``tensor`` holds.

    ``local[i0, i1, ...] == full[out[0][i0], out[1][i1], ...]``; each axis is cut by the mesh
    dimensions that shard it, in mesh order (``Shard``, and FSDP2's ``_StridedShard`` over a
    tensor-parallel shard of the same axis).

    Raises:
      XavierError: a ``Partial`` placement (a pending sum is not a weight to draw), or a shard
        whose shape is not the one the placements give.
    """
    from torch.distributed.tensor import Replicate, Shard, placement_types

    strided = getattr(placement_types, "_StridedShard", None)

    mesh = tensor.device_mesh
    coordinate = mesh.get_coordinate()
    indices = [np.arange(n, dtype=np.int64) for n in tensor.shape]
    if coordinate is None:  # this rank is not in the mesh: it holds nothing
        return [index[:0] for index in indices]
    for mesh_dim, placement in enumerate(tensor.placements):
        parts, at = mesh.size(mesh_dim), coordinate[mesh_dim]
        if isinstance(placement, Replicate):
            continue
        is_strided = strided is not None and isinstance(placement, strided)
        if not (is_strided or isinstance(placement, Shard)):
            raise xc.XavierError(
                f"tensor placements must be Shard or Replicate to be drawn, got placements="
                f"{tuple(tensor.placements)!r} for a DTensor of shape {tuple(tensor.shape)}: a "
                "Partial tensor is a pending sum, not a weight; redistribute it first")
        axis = placement.dim
        if is_strided:  # FSDP2 over a tensor-parallel shard of one axis: torch says which ones
            _, picked = placement._local_shard_size_and_offset(  # type: ignore[attr-defined]
                len(indices[axis]), parts, at, **_all_offsets())
            indices[axis] = indices[axis][np.asarray(picked, dtype=np.int64).reshape(-1)]
        else:
            indices[axis] = _chunk(indices[axis], parts, at)
    local = tuple(len(index) for index in indices)
    if local != tuple(tensor.to_local().shape):
        raise xc.XavierError(
            f"tensor is a DTensor whose local shard has shape {tuple(tensor.to_local().shape)}, "
            f"but placements={tuple(tensor.placements)!r} on a mesh of shape "
            f"{tuple(mesh.shape)} give {local}; only shards laid out as torch's Shard, "
            "_StridedShard and Replicate lay them out can be drawn")
    return indices


def _all_offsets() -> dict[str, Any]:
    from torch.distributed.tensor import placement_types

    mode = getattr(placement_types, "_StridedShardOffsetMode", None)
    return {} if mode is None else {"offset_mode": mode.ALL}


def _base_seed(generator: torch.Generator | None, device: torch.device) -> int:
    drawn = torch.randint(0, SEED_BOUND, (1,), generator=generator,
                          device=generator.device if generator is not None else device)
    return int(drawn.item())


def local_draw(
    tensor: Any, generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Generator | None]:
    """The local shard of DTensor ``tensor`` to draw into in place, and the generator to draw it
    with (see the module docstring for what the values promise).

    Every rank must call it for the same weights in the same order (one integer drawn per
    sharded weight, even by a rank whose shard is empty).
    """
    local = tensor.to_local()
    indices = local_indices(tensor)
    if all(len(index) == n for index, n in zip(indices, tensor.shape, strict=True)):
        return local, generator  # the whole weight: drawn as a plain tensor would be
    base = _base_seed(generator, local.device)
    starts: Sequence[int] = [int(index[0]) if len(index) else 0 for index in indices]
    shard_generator = torch.Generator(device=local.device)
    shard_generator.manual_seed(shard_seed(base, starts))
    return local, shard_generator


@functools.cache
def layer_class(cls: type) -> type:
    """The user's layer class of a module whose class is ``cls``: FSDP2's ``fully_shard`` swaps
    in a generated ``FSDP<Name>(FSDPModule, Name)``; the rules and names follow ``Name``."""
    if not torch.distributed.is_available():
        return cls
    from torch.distributed.fsdp import FSDPModule

    while FSDPModule in cls.__bases__ and len(cls.__bases__) > 1:
        cls = next(base for base in cls.__bases__ if base is not FSDPModule)
    return cls
