"""The FSDP-style flow: build on the meta device, to_empty, init_model; the model is allocated once.

An allocation log (a TorchDispatchMode) sees every aten call; any result that does not share the
storage of an input is a new allocation. init_model writes in place, so on a float32 model it
allocates nothing at all; on a bfloat16 model its only allocations are one float32 buffer per
weight, freed before the next.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch_helpers import assert_matches

from xavier_adapters import torch as xt


class AllocationLog(TorchDispatchMode):
    """Records (op, bytes) for every op result that owns new storage."""

    def __init__(self) -> None:
        super().__init__()
        self.allocations: list[tuple[str, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        result = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr()
                  for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)}
        for tensor in tree_leaves(result):
            if isinstance(tensor, torch.Tensor) and \
                    tensor.untyped_storage().data_ptr() not in inputs:
                self.allocations.append((str(func), tensor.untyped_storage().nbytes()))
        return result


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, groups=1), nn.BatchNorm2d(32), nn.Conv2d(32, 32, 3, groups=32),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 256), nn.LayerNorm(256),
        nn.TransformerEncoderLayer(256, 4, 512, batch_first=True),
    )


def addresses(model: nn.Module) -> dict[str, int]:
    return {name: p.data_ptr() for name, p in model.named_parameters()}


def test_init_model_on_meta_writes_nothing_and_reports_everything() -> None:
    with torch.device("meta"):
        model = build()
    report = xt.init_model(model)
    assert all(p.is_meta for p in model.parameters()), "got a parameter moved off meta"
    assert [r.name for r in report] == [name for name, _ in model.named_parameters()]
    assert report["6.self_attn.in_proj_weight"].fans == (256, 256)


def test_meta_to_empty_then_init_model_allocates_the_model_once() -> None:
    with torch.device("meta"):
        model = build()
    model.to_empty(device="cpu")
    before = addresses(model)
    with AllocationLog() as log:
        report = xt.init_model(model, reset_skipped=True,
                               generator=torch.Generator().manual_seed(0))
    assert log.allocations == [], f"got allocations {log.allocations}, but should be none"
    assert addresses(model) == before, "got a parameter with new storage"
    assert all(torch.isfinite(p).all() for p in model.parameters()), "got uninitialized memory"
    assert torch.all(model[1].running_var == 1), "got BatchNorm running stats not reset"
    for record in report.by_state("drawn"):
        if record.distribution is not None:
            assert_matches(dict(model.named_parameters())[record.name], record.distribution,
                           f"meta flow, {record.name}")


def test_bfloat16_model_allocates_one_float32_buffer_per_weight() -> None:
    with torch.device("meta"):
        model = build().to(torch.bfloat16)
    model.to_empty(device="cpu")
    with AllocationLog() as log:
        report = xt.init_model(model, reset_skipped=True)
    weights = [dict(model.named_parameters())[r.name] for r in report if r.distribution]
    expected = [4 * w.numel() for w in weights]
    assert [nbytes for _, nbytes in log.allocations] == expected, \
        f"got allocations {log.allocations}, but should be one float32 buffer per weight " \
        f"({expected} bytes)"
