"""Per-rank peak memory of a sharded init: FSDP2 ``fully_shard`` on a meta-built model, then
``to_empty`` and ``xt.init_model(uninitialized=True)``, on CPU with gloo, for world sizes 1, 2, 4.

    python benchmarks/bench_sharded.py                   # world sizes 1 2 4, a 12-layer MLP stack
    python benchmarks/bench_sharded.py --worlds 1 2 4 8 --width 2048 --layers 16

Each rank is its own process (launched here as torchrun would: loopback, a free port). Each
measures its RSS high-water mark (VmHWM, reset through /proc/self/clear_refs after the imports and
the process group are up) across ``to_empty`` + ``init_model``; the difference from the RSS
before is the peak memory the sharded init needed on that rank. The printed table has one row per
world size: the model's float32 size, the largest per-rank peak, and that peak against the whole
model. A rank holding 1/world of the model, and never a global-size buffer, peaks near
model/world.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

MIB = 1024 * 1024


def _status(field: str) -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024  # kB -> MiB


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError as error:
        raise SystemExit(f"bench_sharded.py needs Linux's /proc/self/clear_refs to reset the RSS "
                         f"high-water mark, got {error}") from error


def rank_main(rank: int, world: int, port: int, width: int, layers: int) -> None:
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    from xavier_adapters import torch as xt

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    mesh = init_device_mesh("cpu", (world,))
    with torch.device("meta"):
        model = nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)])
    for layer in model:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    model_mib = sum(p.numel() for p in model.parameters()) * 4 / MIB
    torch.manual_seed(0)
    dist.barrier()
    before = _status("VmRSS")
    _reset_peak()
    model.to_empty(device="cpu")
    report = xt.init_model(model, uninitialized=True)
    peak = _status("VmHWM") - before
    dist.barrier()
    print(json.dumps({"rank": rank, "peak_mib": peak, "model_mib": model_mib,
                      "summary": report.summary()}), flush=True)
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_world(world: int, width: int, layers: int) -> list[dict[str, float]]:
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--rank", str(rank), "--world",
         str(world), "--port", str(port), "--width", str(width), "--layers", str(layers)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(world)]
    rows = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode:
            raise SystemExit(f"a rank failed:\n{err[-3000:]}")
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--rank", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank is not None:
        rank_main(args.rank, args.world, args.port, args.width, args.layers)
        return
    print(f"FSDP2 fully_shard, {args.layers} x Linear({args.width}, {args.width}), float32, "
          "to_empty + init_model(uninitialized=True), CPU gloo")
    print(f"{'world':>5}  {'model MiB':>9}  {'peak per rank MiB (max)':>23}  {'peak / model':>12}")
    for world in args.worlds:
        rows = run_world(world, args.width, args.layers)
        model = rows[0]["model_mib"]
        peak = max(r["peak_mib"] for r in rows)
        print(f"{world:>5}  {model:>9.1f}  {peak:>23.1f}  {peak / model:>12.3f}", flush=True)


if __name__ == "__main__":
    main()
