"""One rank of the DTensor tests (tests/torch/test_torch_dtensor.py), and the models they share.

Run by the test as ``python dtensor_worker.py RANK WORLD PORT OUT`` once per rank, as torchrun
would (gloo, loopback): every scenario is built, sharded, initialized and gathered in turn; each
rank saves what it holds to ``OUT/rank{RANK}.pt``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

import xavier_core as xc

SEED = 1234
PORTABLE = hasattr(xc, "PortableKey")
"""Portable mode (issue #14) is on main: each scenario runs a second time with a PortableKey."""
BARE_SHAPE = (251, 69)
"""Uneven over 2 (126 + 125 rows, 35 + 34 columns)."""


def randomness(portable: bool) -> Any:
    """What every draw takes: a PortableKey, or torch's default generator seeded alike."""
    if portable:
        return xc.PortableKey(SEED)  # type: ignore[attr-defined]
    torch.manual_seed(SEED)
    return None


class Allocations(TorchDispatchMode):
    """The largest new storage any aten call made (in bytes) while active."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        result = func(*args, **(kwargs or {}))
        inputs = {_storage(t) for t in tree_leaves((args, kwargs))}
        for tensor in tree_leaves(result):
            ptr = _storage(tensor)
            if ptr is not None and ptr not in inputs:
                self.largest = max(self.largest, tensor.untyped_storage().nbytes())
        return result


def _storage(tensor: object) -> int | None:
    """The data pointer of ``tensor``'s storage; None for a non-tensor or a freed storage (FSDP2
    frees the unsharded parameters' storage)."""
    if not isinstance(tensor, torch.Tensor):
        return None
    try:
        return int(tensor.untyped_storage().data_ptr())
    except RuntimeError:
        return None


def transformer_block() -> nn.Module:
    return nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=72, dropout=0.0,
                                      batch_first=True)


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 24, 3, groups=4), nn.ReLU(), nn.Flatten(), nn.Linear(24 * 4 * 4, 10))


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(48, 160), nn.ReLU(), nn.Linear(160, 48))


def uneven() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 13), nn.Linear(13, 5))


INPUTS: dict[Callable[[], nn.Module], tuple[int, ...]] = {
    transformer_block: (2, 5, 32), cnn: (2, 3, 8, 8), mlp: (3, 48), uneven: (3, 16)}
"""A batch shape for each model: the sharded model's forward pass is checked against the plain
model loaded with the gathered weights (so FSDP2 and TP compute with what init_model wrote)."""

MODELS: dict[str, Callable[[], nn.Module]] = {
    "fsdp-transformer": transformer_block, "fsdp-cnn": cnn, "tp-mlp": mlp,
    "fsdp-uneven": uneven, "fsdp-tp-2d": mlp,
}


def reference(name: str, portable: bool = False) -> tuple[nn.Module, Any]:
    """The single-process init of scenario ``name`` (meta, ``to_empty``, ``init_model``, as the
    ranks do): the model and its report."""
    from xavier_adapters import torch as xt

    with torch.device("meta"):
        model = MODELS[name]()
    model.to_empty(device="cpu")
    return model, xt.init_model(model, uninitialized=True, generator=randomness(portable))


def _shard(name: str, model: nn.Module, mesh: Any) -> None:
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        RowwiseParallel,
        parallelize_module,
    )

    if name.startswith("tp"):
        parallelize_module(model, mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()})
        return
    if name == "fsdp-tp-2d":  # tensor parallel over "tp", FSDP2 over "dp": _StridedShard on dim 0
        parallelize_module(model, mesh["tp"], {"0": ColwiseParallel(), "2": RowwiseParallel()})
        fully_shard(model, mesh=mesh["dp"])
        return
    for sub in model.children():
        if any(True for _ in sub.parameters()):
            fully_shard(sub, mesh=mesh)
    fully_shard(model, mesh=mesh)


def run_model(name: str, world: int, portable: bool = False) -> dict[str, Any]:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor

    from xavier_adapters import torch as xt

    if name == "fsdp-tp-2d":
        tp = 2 if world >= 2 else 1
        mesh = init_device_mesh("cpu", (world // tp, tp), mesh_dim_names=("dp", "tp"))
    else:
        mesh = init_device_mesh("cpu", (world,))
    with torch.device("meta"):
        model = MODELS[name]()
    _shard(name, model, mesh)
    model.to_empty(device="cpu")
    generator = randomness(portable)
    with Allocations() as log:
        report = xt.init_model(model, uninitialized=True, generator=generator)
    state = model.state_dict()
    full = {k: (v.full_tensor() if isinstance(v, DTensor) else v).detach().clone()
            for k, v in state.items()}
    plain = MODELS[name]()
    plain.load_state_dict(full)
    x = torch.randn(INPUTS[MODELS[name]], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        sharded_out = model(x)
        forward_gap = (sharded_out - plain(x)).abs().max().item()
    return {
        "forward_gap": forward_gap,
        "indices_hold": {k: _indices_hold(v, full[k]) for k, v in state.items()
                         if isinstance(v, DTensor)},
        "fans": {r.name: r.fans for r in report},
        "states": {r.name: r.state for r in report},
        "full": full,
        "local": {k: (v.to_local() if isinstance(v, DTensor) else v).detach().clone()
                  for k, v in state.items()},
        "largest_allocation": log.largest,
        "placements": {k: repr(v.placements) for k, v in state.items() if isinstance(v, DTensor)},
    }


def _indices_hold(tensor: Any, full: torch.Tensor) -> bool:
    """Whether dtensor.local_indices says where this rank's shard sits in the gathered tensor."""
    import numpy as np

    from xavier_adapters.torch import dtensor

    where = np.ix_(*dtensor.local_indices(tensor))
    return bool(torch.equal(torch.from_numpy(full.numpy()[where]), tensor.to_local().detach()))


def run_bare(world: int, portable: bool = False) -> dict[str, Any]:
    """Bare initializers on DTensors of a 2-D (dp, tp) mesh, three placements."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    from xavier_adapters import torch as xt

    rows = 2 if world >= 2 else 1
    mesh = init_device_mesh("cpu", (rows, world // rows), mesh_dim_names=("dp", "tp"))
    out: dict[str, Any] = {}
    cases = {"s0s1": (Shard(0), Shard(1)), "s1r": (Shard(1), Replicate()),
             "rs0": (Replicate(), Shard(0))}
    generator = randomness(portable)
    for key, placements in cases.items():
        weight = distribute_tensor(torch.empty(BARE_SHAPE), mesh, placements)
        xt.xavier_normal_(weight, generator=generator)
        out[key] = {"full": weight.full_tensor().clone(), "local": weight.to_local().clone()}
    return out


def run_device_flow(world: int) -> str:
    """``init_model(device=)`` on an FSDP2 model still on meta: the error it raises."""
    from torch.distributed.device_mesh import init_device_mesh

    from xavier_adapters import torch as xt

    with torch.device("meta"):
        model = uneven()
    _shard("fsdp-uneven", model, init_device_mesh("cpu", (world,)))
    try:
        xt.init_model(model, device="cpu")
    except xc.XavierError as error:
        return str(error)
    return ""


def main(rank: int, world: int, port: int, out: Path) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    try:
        results: dict[str, Any] = {name: run_model(name, world) for name in MODELS}
        results["bare"] = run_bare(world)
        results["device-flow"] = run_device_flow(world)
        if PORTABLE:
            results.update({f"{name}@portable": run_model(name, world, portable=True)
                            for name in MODELS})
            results["bare@portable"] = run_bare(world, portable=True)
        torch.save(results, out / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
