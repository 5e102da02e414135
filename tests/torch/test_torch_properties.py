"""Issue 16, property-based, torch: the drop-ins and init_model fed random wrong tensors, gains,
specs, generators, layouts and configs raise only XavierError or TypeError (per-example
deadline); accepted input gives finite weights with the stated statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from property_strategies import (
    PROPERTY_SETTINGS,
    assert_stated_statistics,
    call_safely,
    junk,
    numbers,
)

import xavier_core as xc
from xavier_adapters import torch as xt

tensors = st.one_of(
    junk,
    st.sampled_from([(64, 48), (32, 8, 3, 3), (40,), (4, 4)]).flatmap(
        lambda shape: st.sampled_from([torch.float32, torch.float64, torch.float16,
                                       torch.bfloat16, torch.int64]).map(
            lambda dtype: torch.empty(shape, dtype=dtype))),
    st.just(np.zeros((4, 4))),
)
generators = st.one_of(st.none(), junk, st.integers(0, 5).map(
    lambda s: torch.Generator().manual_seed(s)))
layouts = st.one_of(st.none(), junk, st.sampled_from([xc.TORCH, xc.CHANNELS_LAST]))


@PROPERTY_SETTINGS
@given(tensor=tensors, gain=st.one_of(st.floats(0.0, 10.0), numbers, junk),
       generator=generators, layout=layouts,
       initializer=st.sampled_from(["xavier_uniform_", "xavier_normal_"]))
def test_drop_ins_raise_only_clear_errors_or_draw_the_law(
        tensor: Any, gain: Any, generator: Any, layout: Any, initializer: str) -> None:
    ok, drawn = call_safely(getattr(xt, initializer), tensor, gain, generator, layout=layout)
    if ok:
        spec = (xc.glorot_uniform if initializer == "xavier_uniform_" else xc.glorot_normal)(gain)
        law = spec.resolve(tuple(tensor.shape), layout or xc.TORCH).distribution
        assert_stated_statistics(drawn.detach().float().numpy(), law,
                                 f"{initializer} {tuple(tensor.shape)} {tensor.dtype} gain={gain}")


@PROPERTY_SETTINGS
@given(tensor=tensors, spec=st.one_of(junk, st.sampled_from(
           [xc.glorot_uniform(), xc.he("normal"), xc.lecun()])), layout=layouts)
def test_variance_scaling_raises_only_clear_errors(tensor: Any, spec: Any, layout: Any) -> None:
    call_safely(xt.variance_scaling_, tensor, spec, layout=layout)


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Linear(8, 16),
                               torch.nn.ReLU(), torch.nn.Linear(16, 4))


@PROPERTY_SETTINGS
@given(module=st.one_of(junk, st.just("model")), distribution=st.one_of(
           junk, st.sampled_from(sorted(xc.DISTRIBUTIONS))),
       gain=st.one_of(numbers, junk, st.sampled_from([{"*": "relu"}, {"1": 2.0, "*": 1.0},
                                                      {"nope": 1.0}, "relu"])),
       bias=junk, embeddings=junk, layouts=st.one_of(st.none(), junk, st.just({"1": xc.TORCH})),
       strict=junk, generator=generators)
def test_init_model_raises_only_clear_errors_and_is_all_or_nothing(
        module: Any, distribution: Any, gain: Any, bias: Any, embeddings: Any, layouts: Any,
        strict: Any, generator: Any) -> None:
    model = _model() if module == "model" else module
    before = ({k: v.clone() for k, v in model.state_dict().items()}
              if isinstance(model, torch.nn.Module) else {})
    ok, _ = call_safely(xt.init_model, model, distribution, gain=gain, bias=bias,
                             embeddings=embeddings, layouts=layouts, strict=strict,
                             generator=generator)
    if not ok and before:
        for name, value in model.state_dict().items():
            assert torch.equal(value, before[name]), f"{name} changed although init_model raised"
    if ok and isinstance(model, torch.nn.Module):
        for name, value in model.state_dict().items():
            assert torch.isfinite(value).all(), f"got non-finite {name} [gain={gain}]"
