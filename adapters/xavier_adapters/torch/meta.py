"""Models built on the meta device: give only the meta tensors memory, and build with only the
parameters on meta.

``init_model(model, device=...)`` materializes the tensors of ``model`` that are on meta with
:func:`materialize` (each gets uninitialized memory once, ties kept; tensors elsewhere are left
alone, unlike ``module.to_empty``), so it knows exactly which tensors hold no values yet and
makes sure each is written or named. A buffer computed in ``__init__`` (a rotary ``inv_freq``,
BERT's ``position_ids``) cannot be recomputed generically once it was built on meta: build such a
model under :func:`parameters_on_meta`, which keeps buffers real.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from xavier_adapters._require import require

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn


def meta_tensors(module: nn.Module) -> Iterator[tuple[nn.Module, str, bool, torch.Tensor]]:
    """``(owner, key, is_buffer, tensor)`` for every tensor of ``module`` on the meta device."""
    for sub in module.modules():
        for is_buffer, store in ((False, sub._parameters), (True, sub._buffers)):
            for key, tensor in store.items():
                if tensor is not None and tensor.is_meta:
                    yield sub, key, is_buffer, tensor


def materialize(module: nn.Module, device: torch.device) -> None:
    """Give every meta tensor of ``module`` uninitialized memory on ``device``, in place.

    Parameters stay parameters (same ``requires_grad``) and tied tensors stay tied; tensors not
    on meta are untouched (``module.to_empty`` would replace them too). One allocation per
    tensor, nothing else.
    """
    made: dict[int, torch.Tensor] = {}
    for owner, key, is_buffer, tensor in list(meta_tensors(module)):
        new = made.get(id(tensor))
        if new is None:
            data = torch.empty_like(tensor, device=device)
            new = data if is_buffer else nn.Parameter(data, tensor.requires_grad)
            made[id(tensor)] = new
        (owner._buffers if is_buffer else owner._parameters)[key] = new  # type: ignore[assignment]


@contextlib.contextmanager
def parameters_on_meta() -> Iterator[None]:
    """Build modules with their parameters on the meta device and their buffers real.

    Every parameter registered inside the block is moved to meta as it is registered (it is
    first built where torch builds it, then freed), so buffers computed in ``__init__``
    (``inv_freq``, ``position_ids``) keep their values, as accelerate's
    ``init_empty_weights(include_buffers=False)`` does. Not thread-safe: it patches
    ``nn.Module.register_parameter`` for the duration of the block.

    Example:
      >>> from xavier_adapters import torch as xt
      >>> with xt.parameters_on_meta():
      ...     layer = torch.nn.BatchNorm1d(4)
      >>> layer.weight.is_meta, layer.running_var.is_meta
      (True, False)
    """
    register = nn.Module.register_parameter

    def on_meta(self: nn.Module, name: str, param: nn.Parameter | None) -> None:
        register(self, name, param)
        if param is not None and not param.is_meta:
            moved = nn.Parameter(param.detach().to("meta"), param.requires_grad)
            self._parameters[name] = moved

    nn.Module.register_parameter = on_meta  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = register  # type: ignore[method-assign]
