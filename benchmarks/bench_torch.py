"""The torch adapter against torch's own init: time (ratio ours / torch) and peak memory.

    python benchmarks/bench_torch.py            # time rows, then peak-memory rows
    python benchmarks/bench_torch.py --time     # time rows only
    python benchmarks/bench_torch.py --memory   # peak-memory rows only

Time: the median of interleaved repeats in one process (benchmarks/timing.py), each side with its
own tensor and a generator seeded alike. (4096, 4096) weights against torch.nn.init's
xavier_uniform_ / xavier_normal_ / trunc_normal_; init_model on a ~106M-parameter transformer
against a loop of torch's own functions over the same parameters.

Memory: each variant runs in a fresh subprocess that reads its RSS high-water mark (VmHWM)
before and after the init; the difference is the peak memory the init needed. The model variants
build on the meta device, then torch's side calls to_empty(device="cpu") and its loop, ours
init_model(device="cpu"), so their peak is the model itself plus anything more.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Callable

import torch
from torch import nn

import xavier_core as xc
from xavier_adapters import torch as xt

from timing import compare, print_rows

SHAPE = (4096, 4096)
TRUNCATED = xc.glorot_truncated_normal().resolve(SHAPE, xc.TORCH).distribution
TENSOR_CASES: dict[str, tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]] = {
    "xavier_uniform_": (xt.xavier_uniform_, nn.init.xavier_uniform_),
    "xavier_normal_": (xt.xavier_normal_, nn.init.xavier_normal_),
    "xavier_trunc_normal_": (
        xt.xavier_trunc_normal_,
        lambda w, generator: nn.init.trunc_normal_(w, 0.0, TRUNCATED.scale, -TRUNCATED.bound,
                                                   TRUNCATED.bound, generator=generator),
    ),
}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def transformer(vocab: int = 32000, width: int = 768, depth: int = 8) -> nn.Module:
    """Embedding, `depth` encoder layers (attention + 4x MLP, LayerNorm), a vocabulary head."""
    layer = nn.TransformerEncoderLayer(width, 12, 4 * width, batch_first=True)
    return nn.Sequential(nn.Embedding(vocab, width), nn.TransformerEncoder(layer, depth),
                         nn.Linear(width, vocab))


def torch_loop(model: nn.Module, report: xc.InitReport) -> Callable[[], None]:
    """torch's own functions over the parameters init_model initialized or zeroed."""
    params = dict(model.named_parameters())
    weights = [params[r.name] for r in report if r.distribution is not None]
    biases = [params[r.name] for r in report if r.state == "zeroed"]

    def run() -> None:
        for weight in weights:
            nn.init.xavier_uniform_(weight)
        for bias in biases:
            nn.init.zeros_(bias)

    return run


def tensor_row(name: str, dtype: str, shape: tuple[int, int] = SHAPE,
               repeats: int = 41) -> tuple[str, str, float, float]:
    ours, theirs = TENSOR_CASES[name]
    ours_weight, torch_weight = (torch.empty(shape, dtype=DTYPES[dtype]) for _ in range(2))
    ours_gen, torch_gen = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    mine, plain = compare(lambda: ours(ours_weight, generator=ours_gen),
                          lambda: theirs(torch_weight, generator=torch_gen), repeats=repeats)
    return ("torch", f"{name} {shape} {dtype}", mine, plain)


def model_row() -> tuple[str, str, float, float]:
    ours_model, torch_model = transformer(), transformer()
    count = sum(p.numel() for p in ours_model.parameters())
    report = xt.init_model(torch_model, embeddings=True)
    theirs = torch_loop(torch_model, report)
    mine, plain = compare(lambda: xt.init_model(ours_model, embeddings=True), theirs, repeats=11)
    return ("torch", f"init_model {count / 1e6:.1f}M params float32", mine, plain)


def time_rows() -> None:
    rows = [tensor_row(name, dtype) for name in ("xavier_uniform_", "xavier_normal_")
            for dtype in DTYPES]
    # torch's trunc_normal_ redraws by rejection (about 3 s here): fewer repeats.
    rows += [tensor_row("xavier_trunc_normal_", dtype, repeats=5) for dtype in DTYPES]
    # A small weight shows the fixed cost per call (fans and spec resolved in Python).
    rows += [tensor_row(name, "float32", shape, repeats=1001 if shape[0] < 256 else 201)
             for shape in ((16, 16), (64, 64), (256, 256))
             for name in ("xavier_uniform_", "xavier_normal_")]
    rows.append(model_row())
    print_rows(rows)


def max_rss_mib() -> float:
    """This process's RSS high-water mark in MiB.

    Linux's VmHWM belongs to the address space, which execve replaces, so it starts afresh in a
    subprocess; getrusage's ru_maxrss would carry over the parent's peak (the fallback elsewhere).
    """
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024  # kB
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def peak_of(variant: str) -> dict[str, float]:
    """Run in a fresh process: the RSS high-water mark before and after one init."""
    side, target, dtype = variant.split(":")
    if target == "tensor":
        ours, theirs = TENSOR_CASES["xavier_uniform_"]
        weight = torch.zeros(SHAPE, dtype=DTYPES[dtype])  # touched: resident before the init
        size = weight.numel() * weight.element_size()
        before = max_rss_mib()
        (theirs if side == "torch" else ours)(weight)
    else:
        with torch.device("meta"):
            model = transformer().to(DTYPES[dtype])
        # the same parameter names, tiny: which tensors torch's loop initializes
        report = xt.init_model(transformer(vocab=8, width=24), embeddings=True)
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        before = max_rss_mib()
        if side == "torch":
            model.to_empty(device="cpu")
            torch_loop(model, report)()
        else:
            xt.init_model(model, embeddings=True, device="cpu")  # materializes, then writes
    return {"before": before, "after": max_rss_mib(), "size": size / 2**20}


def memory_rows() -> None:
    print(f"{'case':<44} {'size MiB':>9} {'peak extra MiB: ours':>21} {'torch':>7}")
    for target, dtype in (("tensor", "float32"), ("tensor", "bfloat16"), ("model", "float32"),
                          ("model", "bfloat16")):
        peaks = {}
        for side in ("ours", "torch"):
            command = [sys.executable, __file__, "--peak", f"{side}:{target}:{dtype}"]
            peaks[side] = json.loads(subprocess.check_output(command, text=True))
        extra = {side: p["after"] - p["before"] for side, p in peaks.items()}
        case = (f"xavier_uniform_ {SHAPE} {dtype}" if target == "tensor"
                else f"model: meta, init_model(device=) ({dtype})")
        print(f"{case:<44} {peaks['ours']['size']:9.1f} {extra['ours']:21.1f} "
              f"{extra['torch']:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", action="store_true", help="time rows only")
    parser.add_argument("--memory", action="store_true", help="peak-memory rows only")
    parser.add_argument("--peak", help=argparse.SUPPRESS)  # one memory variant, in a subprocess
    args = parser.parse_args()
    if args.peak:
        print(json.dumps(peak_of(args.peak)))
        return
    if not args.memory:
        time_rows()
    if not args.time:
        print()
        memory_rows()


if __name__ == "__main__":
    main()
