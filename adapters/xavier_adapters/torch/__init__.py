"""xavier_adapters.torch: the xavier_core spec as native PyTorch initializers.

Two levels, both in place, under ``no_grad``, on each tensor's own device, drawn with torch's
own sampler (so ``generator=`` and ``torch.manual_seed`` work as in ``torch.nn.init``):

- bare tensors: :func:`xavier_uniform_`, :func:`xavier_normal_` (drop-ins for
  ``torch.nn.init``, the same values for float32 under the same seed),
  :func:`xavier_trunc_normal_` and the general :func:`variance_scaling_` they are built on;
  a bare tensor follows torch's ``(out, in, *kernel)`` convention unless ``fans=`` or
  ``layout=`` says otherwise;
- the rest of ``torch.nn.init``, so that ``from xavier_adapters import torch as init`` replaces
  ``from torch.nn import init``: :func:`kaiming_uniform_`, :func:`kaiming_normal_` and
  :func:`calculate_gain` drawn from the spec too (torch's values for float32 under the same
  seed); ``uniform_``, ``normal_``, ``trunc_normal_`` (torch's: absolute bounds), ``constant_``,
  ``ones_``, ``zeros_``, ``eye_``, ``dirac_``, ``orthogonal_``, ``sparse_`` and the deprecated
  aliases re-exported from torch (:mod:`xavier_adapters.torch.nn_init`);
- models: :func:`init_model`, with each layer type's own fans (grouped convolutions per group,
  attention in_proj per q/k/v block, recurrent weights per gate, ...), returning a report that
  prints as a table.

Example:
  >>> import torch
  >>> from torch import nn
  >>> from xavier_adapters import torch as xt
  >>> w = xt.xavier_uniform_(torch.empty(64, 784), generator=torch.Generator().manual_seed(0))
  >>> with torch.device("meta"):
  ...     model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
  >>> model = model.to_empty(device="cpu")
  >>> report = xt.init_model(model, gain={"0": "relu"})
  >>> report["0.weight"].fans
  Fans(fan_in=784, fan_out=64)
"""

from xavier_adapters._require import require

require("torch", "torch")  # a missing torch fails here, with the pip command that installs it

from xavier_adapters.torch.layers import (  # noqa: E402
    BILINEAR,
    EMBEDDING,
    RULES,
    EmbeddingWeight,
    InitialValue,
    norm_rule,
    plan_parameters,
)
from xavier_adapters.torch.meta import parameters_on_meta  # noqa: E402
from xavier_adapters.torch.model import init_model  # noqa: E402
from xavier_adapters.torch.nn_init import (  # noqa: E402
    calculate_gain,
    constant,
    constant_,
    dirac,
    dirac_,
    eye,
    eye_,
    kaiming_normal,
    kaiming_normal_,
    kaiming_uniform,
    kaiming_uniform_,
    normal,
    normal_,
    ones_,
    orthogonal,
    orthogonal_,
    sparse,
    sparse_,
    trunc_normal_,
    uniform,
    uniform_,
    xavier_normal,
    xavier_uniform,
    zeros_,
)
from xavier_adapters.torch.portable import TorchOps, portable_fill_  # noqa: E402
from xavier_adapters.torch.sampling import (  # noqa: E402
    TORCH_RANK_MESSAGE,
    fill_,
    resolve,
    sample,
    torch_dtype,
    variance_scaling_,
    xavier_normal_,
    xavier_trunc_normal_,
    xavier_uniform_,
)

__all__ = [
    "BILINEAR",
    "EMBEDDING",
    "RULES",
    "TORCH_RANK_MESSAGE",
    "EmbeddingWeight",
    "InitialValue",
    "TorchOps",
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "fill_",
    "init_model",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "norm_rule",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "parameters_on_meta",
    "plan_parameters",
    "portable_fill_",
    "resolve",
    "sample",
    "sparse",
    "sparse_",
    "torch_dtype",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "variance_scaling_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_trunc_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]
