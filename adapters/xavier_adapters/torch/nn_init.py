"""The whole ``torch.nn.init`` surface: ``from xavier_adapters import torch as init`` is a drop-in.

Ours (the variance-scaling family, drawn from the xavier_core spec with torch's own sampler):
``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_`` (torch's
signatures, the same float32 values under the same seed, plus ``fans=``/``layout=``) and
``calculate_gain``. torch's own, re-exported unchanged: ``uniform_``, ``normal_``,
``trunc_normal_`` (torch's meaning: N(mean, std^2) cut at the ABSOLUTE bounds a, b, so its std is
not ``std``; the variance-corrected Glorot one is :func:`xavier_trunc_normal_`), ``constant_``,
``ones_``, ``zeros_``, ``eye_``, ``dirac_``, ``orthogonal_``, ``sparse_`` and the deprecated
aliases without a trailing underscore (those of the variance-scaling family call ours).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch.sampling import (
    FansLike,
    variance_scaling_,
    xavier_normal_,
    xavier_uniform_,
)

if TYPE_CHECKING:
    import torch
    from torch.nn import init as _torch_init
else:
    torch = require("torch", "torch")
    _torch_init = require("torch.nn.init", "torch")

uniform_ = _torch_init.uniform_
normal_ = _torch_init.normal_
trunc_normal_ = _torch_init.trunc_normal_
constant_ = _torch_init.constant_
ones_ = _torch_init.ones_
zeros_ = _torch_init.zeros_
eye_ = _torch_init.eye_
dirac_ = _torch_init.dirac_
orthogonal_ = _torch_init.orthogonal_
sparse_ = _torch_init.sparse_

uniform = _torch_init.uniform
normal = _torch_init.normal
constant = _torch_init.constant
eye = _torch_init.eye
dirac = _torch_init.dirac
orthogonal = _torch_init.orthogonal
sparse = _torch_init.sparse

ZERO_ELEMENT_WARNING = "Initializing zero-element tensors is a no-op"
"""The ``UserWarning`` of torch's kaiming_* for a zero-size tensor (kept word for word)."""


def calculate_gain(nonlinearity: str, param: int | float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as ``torch.nn.init.calculate_gain``.

    linear, conv*, conv_transpose*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); selu: 3/4;
    leaky_relu: sqrt(2 / (1 + slope^2)), slope ``param`` (default 0.01). As in torch, ``param``
    is ignored by every nonlinearity but leaky_relu (``xavier_core.calculate_gain`` refuses it).

    Raises:
      XavierError (a ValueError): an unknown nonlinearity, or a leaky_relu slope that is not a
        finite real number (bool included).

    Example:
      >>> calculate_gain("relu", 0.3) == 2 ** 0.5
      True
    """
    return xc.calculate_gain(nonlinearity, param, ignore_param=True)


def _kaiming_(distribution: xc.DistributionName, tensor: torch.Tensor, a: float, mode: str,
              nonlinearity: str, generator: torch.Generator | None, fans: FansLike | None,
              layout: xc.Layout | None) -> torch.Tensor:
    spec = xc.kaiming(distribution, a, mode, nonlinearity)  # type: ignore[arg-type]
    if 0 in tensor.shape:
        warnings.warn(ZERO_ELEMENT_WARNING, stacklevel=3)
        return tensor
    return variance_scaling_(tensor, spec, generator, fans=fans, layout=layout)


def kaiming_uniform_(
    tensor: torch.Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """U(-b, b), b = gain * sqrt(3 / fan), fan = fan_in or fan_out (``mode``), in place.

    He et al. (2015). gain = ``calculate_gain(nonlinearity, a)``. A drop-in for
    ``torch.nn.init.kaiming_uniform_``: same signature, and for float32 and float64 the same
    values, bit for bit, under the same seed (float16 and bfloat16 are drawn in float32 and cast
    once). A zero-element tensor is returned untouched with torch's warning. ``fans`` and
    ``layout`` are as in :func:`variance_scaling_`: e.g. ``layout=xc.TORCH.with_(groups=4)``.

    Raises:
      XavierError (a ValueError): ``mode`` not fan_in/fan_out, a bad nonlinearity or ``a``, a
        tensor of rank < 2 without ``fans`` (torch's message), a dtype that is not floating.

    Example:
      >>> import torch
      >>> w = kaiming_uniform_(torch.empty(64, 784), mode="fan_in", nonlinearity="relu")
    """
    return _kaiming_("uniform", tensor, a, mode, nonlinearity, generator, fans, layout)


def kaiming_normal_(
    tensor: torch.Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """N(0, s^2), s = gain / sqrt(fan), fan = fan_in or fan_out (``mode``), untruncated, in place.

    A drop-in for ``torch.nn.init.kaiming_normal_``; arguments, values and errors as
    :func:`kaiming_uniform_`.

    Example:
      >>> import torch
      >>> w = kaiming_normal_(torch.empty(64, 16, 3, 3), mode="fan_out", nonlinearity="relu")
    """
    return _kaiming_("normal", tensor, a, mode, nonlinearity, generator, fans, layout)


def _deprecated(new: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """``new`` under its old name (no trailing underscore), with torch's ``FutureWarning``."""
    old_name = new.__name__[:-1]

    @functools.wraps(new)
    def old(*args: Any, **kwargs: Any) -> torch.Tensor:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new.__name__}`.", FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = old_name
    old.__doc__ = f"Deprecated alias of :func:`{new.__name__}` (torch's FutureWarning)."
    return old


xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)

OURS = ("calculate_gain", "kaiming_normal", "kaiming_normal_", "kaiming_uniform",
        "kaiming_uniform_", "xavier_normal", "xavier_normal_", "xavier_uniform",
        "xavier_uniform_")
"""The names of ``torch.nn.init`` drawn here from the spec; every other one is torch's own."""
TORCH_OWN = ("constant", "constant_", "dirac", "dirac_", "eye", "eye_", "normal", "normal_",
             "ones_", "orthogonal", "orthogonal_", "sparse", "sparse_", "trunc_normal_",
             "uniform", "uniform_", "zeros_")
"""The names of ``torch.nn.init`` re-exported unchanged."""
