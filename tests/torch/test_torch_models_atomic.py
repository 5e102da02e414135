"""All or nothing: an error found at the LAST parameter of a model leaves every tensor of the
model, buffers included, bit-identical to before (and every tensor object in place).

The model resets a BatchNorm and an Embedding (``reset_skipped=True``), draws through a
weight_norm and fills every bias before it reaches the last layer, so any write before the
check would show.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

import xavier_core as xc
from xavier_adapters import torch as xt


def model_with_last(last: nn.Module) -> nn.Module:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Embedding(10, 8),
                          parametrizations.weight_norm(nn.Linear(8, 8)),
                          nn.MultiheadAttention(8, 2, add_bias_kv=True), nn.LayerNorm(8))
    with torch.no_grad():  # values no init would give, so that any write shows
        for tensor in (*model.parameters(), *model.buffers()):
            tensor.fill_(3)
    model.append(last)
    return model


def int_weight() -> nn.Module:
    layer = nn.Linear(8, 4)
    layer.weight = nn.Parameter(torch.zeros(4, 8, dtype=torch.int32), requires_grad=False)
    return layer


def inference_weight() -> nn.Module:
    layer = nn.Linear(8, 4)
    with torch.inference_mode():
        layer.weight = nn.Parameter(torch.zeros(4, 8))
    return layer


def stacked_lstm() -> nn.Module:
    layer = nn.LSTM(8, 8)
    layer.weight_ih_l0 = nn.Parameter(torch.zeros(3, 32, 8))  # stacked; weight_hh_l0 is not
    return layer


class Raw(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 8))


def meta_last() -> nn.Module:
    with torch.device("meta"):
        return nn.Linear(8, 4)


class CudaGenerator(torch.Generator):
    """A CPU generator that says it is on cuda:0: the check runs without a GPU."""

    @property
    def device(self) -> torch.device:  # type: ignore[override]
        return torch.device("cuda", 0)


ERRORS: dict[str, tuple[Callable[[], nn.Module], dict, str]] = {
    "int-dtype": (int_weight, {}, r"6\.weight: dtype must be a floating dtype"),
    "inference-mode": (inference_weight, {},
                       r"6\.weight was created under torch.inference_mode\(\)"),
    "lazy": (lambda: nn.LazyLinear(4), {}, r"uninitialized parameter '6\.weight' of LazyLinear"),
    "layout-does-not-fit": (lambda: nn.Linear(8, 4), {"layouts": {"6.weight":
                                                                  xc.TORCH.with_(blocks=3)}},
                            r"6\.weight: blocks must be a divisor"),
    "strict-unhandled": (Raw, {"strict": True}, r"(?s)strict=True: 1 tensor.*6\.token"),
    "stacked-unreadable": (stacked_lstm, {},
                           r"stacked weights .*'6\.weight_ih_l0': xc\.TORCH\.with_\("
                           r"in_axis=2, out_axis=1, batch_axis=\(0,\), blocks=4\)"),
    "gain-key-matches-nothing": (lambda: nn.Linear(8, 4), {"gain": {"7": "relu"}},
                                 r"gain keys must each match a path, got '7' matches nothing"),
    "meta-without-device": (meta_last, {}, r"meta device \('6\.weight'"),
    "generator-on-another-device": (lambda: nn.Linear(8, 4), {"generator": CudaGenerator()},
                                    r"generator must be a torch.Generator on the device of "
                                    r"every tensor it draws \(0\.weight is on cpu, the "
                                    r"generator on cuda:0\)"),
}


@pytest.mark.parametrize("error_id", ERRORS)
def test_an_error_at_the_last_parameter_leaves_every_tensor_as_it_was(error_id: str) -> None:
    last, kwargs, message = ERRORS[error_id]
    model = model_with_last(last())
    before = {k: v.clone() for k, v in model.state_dict(keep_vars=True).items()
              if not v.is_meta and not isinstance(v, nn.parameter.UninitializedTensorMixin)}
    objects = {k: id(v) for k, v in model.state_dict(keep_vars=True).items()}
    with pytest.raises(xc.XavierError, match=message):
        xt.init_model(model, reset_skipped=True, **{"embeddings": True, **kwargs})
    after = model.state_dict(keep_vars=True)
    changed = [k for k, v in before.items() if not torch.equal(v, after[k])]
    assert changed == [], f"got {changed} written by a call that raised [{error_id}]"
    moved = [k for k, v in objects.items() if id(after[k]) != v]
    assert moved == [], f"got {moved} replaced by a call that raised [{error_id}]"


def test_the_same_model_without_the_error_writes_every_tensor_checked_above() -> None:
    """The control: the tensors compared above are all written when nothing is wrong."""
    model = model_with_last(nn.Linear(8, 4))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = xt.init_model(model, reset_skipped=True, embeddings=True)
    unchanged = [k for k, v in model.state_dict().items() if torch.equal(v, before[k])]
    assert unchanged == ["1.num_batches_tracked"] or unchanged == [], \
        f"got {unchanged} left as they were; the test above would not see a write to them"
    assert not report.unhandled


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU check runs "
                    "on a machine with one")
def test_a_cpu_generator_for_a_cuda_model_raises_before_any_write() -> None:
    model = model_with_last(nn.Linear(8, 4)).cuda()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(xc.XavierError, match="is on cuda:0, the generator on cpu"):
        xt.init_model(model, reset_skipped=True, generator=torch.Generator())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    generator = torch.Generator(device="cuda").manual_seed(0)
    with torch.device("meta"):
        meta = nn.Sequential(nn.Linear(64, 64), nn.LayerNorm(64))
    report = xt.init_model(meta, device="cuda", generator=generator)
    assert all(t.is_cuda for t in meta.parameters()) and not report.unhandled
