"""Models built on the meta device: ``init_model(model, device=...)`` gives the meta tensors memory
once and writes or names every one; the to_empty flow still allocates nothing more.

An allocation log (a TorchDispatchMode) sees every aten call; any result that does not share the
storage of an input is a new allocation. init_model writes in place, so on a float32 model it
allocates nothing but the model's own tensors (device=) or nothing at all (after to_empty); on a
bfloat16 model one float32 buffer per weight more, freed before the next.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch_helpers import assert_matches

import xavier_core as xc
from xavier_adapters import torch as xt


class AllocationLog(TorchDispatchMode):
    """Records (op, bytes) for every op result that owns new storage."""

    def __init__(self) -> None:
        super().__init__()
        self.allocations: list[tuple[str, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        result = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr()
                  for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)
                  and not t.is_meta}
        for tensor in tree_leaves(result):
            if isinstance(tensor, torch.Tensor) and not tensor.is_meta and \
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


def nbytes(model: nn.Module) -> list[int]:
    return sorted(t.numel() * t.element_size() for t in (*model.parameters(), *model.buffers()))


def test_meta_tensors_without_device_are_a_clear_error_and_nothing_moves() -> None:
    with torch.device("meta"):
        model = build()
    with pytest.raises(xc.XavierError, match=r"module has tensors on the meta device \('0.weight'"
                       r".*pass device='cpu'"):
        xt.init_model(model)
    assert all(t.is_meta for t in (*model.parameters(), *model.buffers())), \
        "got a tensor moved off meta by a call that raised"


def test_device_flow_allocates_each_tensor_once_and_writes_every_one() -> None:
    with torch.device("meta"):
        model = build()
    with AllocationLog() as log:
        report = xt.init_model(model, device="cpu", generator=torch.Generator().manual_seed(0))
    assert sorted(n for _, n in log.allocations) == nbytes(model), \
        f"got allocations {log.allocations}, but should be one per tensor of the model"
    assert not any(t.is_meta for t in (*model.parameters(), *model.buffers()))
    assert not report.unhandled, f"got unhandled {report.unhandled}"
    assert {r.state for r in report} <= {"drawn", "zeroed", "reset"}, \
        f"got states {sorted({r.state for r in report})}: every tensor needed values"
    assert torch.all(model[1].running_var == 1) and torch.all(model[5].weight == 1)
    for record in report.by_state("drawn"):
        assert_matches(dict(model.named_parameters())[record.name], record.distribution,
                       f"device flow, {record.name}")
    model.eval()
    assert torch.isfinite(model(torch.randn(2, 3, 8, 8))).all(), "got a non-finite forward"


def test_device_flow_leaves_tensors_off_meta_where_they_are() -> None:
    with xt.parameters_on_meta():
        model = build()
    stats = model[1].running_mean
    with torch.no_grad():
        stats.fill_(0.5)
    report = xt.init_model(model, device="cpu")
    assert model[1].running_mean is stats and torch.all(stats == 0.5), \
        "got a buffer that was not on meta replaced or written"
    assert report["1.running_mean"].state == "kept", f"got {report['1.running_mean']}"
    weight = report["1.weight"]
    assert (weight.state, weight.note) == ("reset", "initial value 1, as the layer's __init__ "
                                           "gives"), f"got {weight}: BatchNorm's own reset " \
        "would have overwritten its running statistics"
    assert torch.all(model[1].weight == 1) and torch.all(model[1].bias == 0)


def test_meta_to_empty_then_init_model_allocates_nothing() -> None:
    with torch.device("meta"):
        model = build()
    model.to_empty(device="cpu")
    before = addresses(model)
    with AllocationLog() as log:
        report = xt.init_model(model, uninitialized=True,
                               generator=torch.Generator().manual_seed(0))
    assert log.allocations == [], f"got allocations {log.allocations}, but should be none"
    assert addresses(model) == before, "got a parameter with new storage"
    assert not report.unhandled, f"got unhandled {report.unhandled}"
    assert all(torch.isfinite(t).all() for t in model.state_dict().values()), \
        "got uninitialized memory"
    assert torch.all(model[1].running_var == 1), "got BatchNorm running stats not reset"
    for record in report.by_state("drawn"):
        assert_matches(dict(model.named_parameters())[record.name], record.distribution,
                       f"meta flow, {record.name}")


@pytest.mark.parametrize("flow", ["device", "to-empty"])
def test_bfloat16_model_allocates_one_float32_buffer_per_weight(flow: str) -> None:
    with torch.device("meta"):
        model = build().to(torch.bfloat16)
    if flow == "to-empty":
        model.to_empty(device="cpu")
    with AllocationLog() as log:
        report = (xt.init_model(model, device="cpu") if flow == "device"
                  else xt.init_model(model, uninitialized=True))
    weights = [dict(model.named_parameters())[r.name] for r in report if r.distribution]
    buffers = [4 * w.numel() for w in weights]
    expected = sorted(buffers + (nbytes(model) if flow == "device" else []))
    got = sorted(n for _, n in log.allocations)
    assert got == expected, f"got allocations {log.allocations}, but should be one float32 " \
        f"buffer per weight ({buffers} bytes), besides the model's own tensors (device=)"
