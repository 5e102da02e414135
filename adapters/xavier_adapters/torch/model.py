"""``init_model``: every tensor of a torch model, with the layer-aware fans of its layer type.

A bare tensor carries no layer semantics, so ``xavier_uniform_`` reads ``(out, in, *kernel)``;
here each layer's own layout is used instead (:data:`xavier_adapters.torch.RULES`), which changes
Glorot itself for grouped and depthwise convolutions, packed attention projections and recurrent
gates. Every parameter and buffer ends in one state of :mod:`xavier_core.record`; the whole model
is planned and checked (:mod:`xavier_adapters.torch.plan`) before a single value is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch.meta import materialize
from xavier_adapters.torch.plan import BiasPolicy, Gain, Options, Planner
from xavier_core.errors import bad_argument

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn

WHAT_TO_DO = (
    "Each line says what fixes it: register a rule for the layer "
    "(xt.RULES.register(class or class name, rule)), give a weight its layout "
    "(init_model(..., layouts={path glob: layout})), or initialize the tensor yourself after "
    "init_model. strict=True makes this an error, raised before anything is written.")


def init_model(
    module: nn.Module,
    distribution: xc.DistributionName = "uniform",
    *,
    gain: Gain = 1.0,
    bias: BiasPolicy = "zeros",
    embeddings: bool = False,
    layouts: Mapping[str, xc.Layout] | None = None,
    stride_aware: bool = True,
    strict: bool = False,
    reset_skipped: bool = False,
    device: str | torch.device | None = None,
    uninitialized: bool = False,
    generator: torch.Generator | xc.PortableKey | None = None,
) -> xc.InitReport:
    """Glorot-initialize every weight of ``module`` in place, with its layer's own fans, and say
    what became of every other parameter and buffer.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), the fans read per layer
    type (:data:`xavier_adapters.torch.RULES`): grouped and depthwise convolutions per group,
    transposed convolutions from their ``(in, out/g, *k)`` layout, attention in_proj per q/k/v
    block, recurrent weights per gate, GPT-2's ``Conv1D`` as ``(in, out)``; weight_norm and
    spectral_norm weights are drawn through their parametrization. Each draw is in place, on
    the tensor's device, float16/bfloat16 via float32 (:func:`xavier_adapters.torch.fill_`).

    Every parameter and buffer ends in one state: ``drawn`` (with its fans), ``zeroed`` or
    ``filled`` (the bias policy), ``reset`` (written by the module's own ``reset_parameters()``,
    or with its initial value), ``kept`` (norm scales, running statistics, buffers: not
    weights), or ``unhandled`` (no rule knows it): those are listed in one
    :class:`xavier_core.UnhandledWarning`, each with what fixes it. A state says written only
    when values were written.

    Args:
      module: the model (any ``torch.nn.Module``, TorchScript modules included: their layer types
        are read from ``original_name``).
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      gain: one gain for every layer, as a number or a nonlinearity name (``"relu"``, ...), or a
        mapping from layer paths or fnmatch globs (``"encoder.*.linear1"``) to gains: the first
        matching key wins, unmatched layers get 1, a key matching no layer with weights is an
        error.
      bias: ``"zeros"`` (default), ``"keep"`` (leave as is) or a number to fill biases with.
      embeddings: also draw Embedding and EmbeddingBag tables, as ``(in, out)`` = ``(num, dim)``
        Linear maps (the padding row, if any, zeroed after); otherwise they are kept.
      layouts: ``{parameter path glob: xavier_core.Layout}``, winning over the rules: a packed
        weight in a plain Linear (``{"*.attn.qkv.weight": xc.TORCH.with_(blocks=3)}``), or a raw
        parameter no rule knows. The path of a weight_norm or spectral_norm weight is the
        layer's (``"0.weight"``). A key matching no parameter is an error.
      stride_aware: count a strided convolution's fans as what each unit really feeds
        (fan_out / prod(stride), a transposed convolution's fan_in / prod(stride)); False reads
        them as torch does. The default, True, follows the measurement in README ("Strided
        convolutions"): stride-blind fans shrink a ViT patch embedding's output variance ~100x.
      strict: raise, before writing anything, if any tensor would be left unhandled.
      reset_skipped: call ``reset_parameters()`` (torch's default) on every module holding kept
        or unhandled parameters (norm layers, embeddings unless asked, layers with no rule),
        before the draws; running statistics are reset with them. Norm classes without
        ``reset_parameters()`` get their initial values (ones, zeros).
      device: for a model built on the meta device: the device its meta tensors get memory on.
        init_model then knows which tensors hold no values yet: each is drawn, zeroed, reset
        (``reset_parameters()``, or a norm's initial value) or, if nothing can restore it (a
        buffer computed in ``__init__``, a raw ``nn.Parameter`` of a class no rule knows),
        unhandled and named with what to do. Tensors not on meta are left where they are.
      uninitialized: treat every tensor as holding no values yet (after ``module.to_empty()``,
        e.g. with FSDP): as for ``device=``, nothing not written is left unnamed.
      generator: the ``torch.Generator`` every draw uses, in module order; None uses torch's
        default generator of each tensor's device. ``reset_parameters()`` uses torch's default.
        A :class:`xavier_core.PortableKey` draws the portable values: weight ``role`` (0, 1,
        ... in parameter order) of the ``layer``-th layer with drawn weights (in module order)
        gets ``key.for_tensor(layer, role)``, so the same architecture built in Keras
        (``xk.init_model(..., seed=key)``) or JAX gets the same weights, bit for bit.

    Returns:
      An :class:`xavier_core.InitReport`, one record per parameter and buffer (name, layer,
      shape, state, fans, distribution, reason, note); ``print(report)`` shows a summary line
      and a table.

    Raises:
      XavierError (a ValueError): a bad argument; a gain or layouts key that matches nothing; a
        lazy module not materialized yet; meta tensors without ``device=``; a weight whose
        dtype is not floating point, whose shape does not fit its layout, or that was created
        under ``torch.inference_mode()``; a generator on another device than a tensor it
        draws; stacked weights whose stacking axes cannot be read (one error lists them all);
        with ``strict=True``, any unhandled tensor. Nothing is written when it raises.

    Example:
      >>> from torch import nn
      >>> model = nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.ReLU(), nn.Linear(32, 10))
      >>> report = init_model(model, gain={"0": "relu"})
      >>> report["0.weight"].fans
      Fans(fan_in=9, fan_out=9)
      >>> report.summary()
      '4 tensors: 2 drawn, 2 zeroed, 0 unhandled'
    """
    if not isinstance(module, nn.Module):
        raise bad_argument("module", module, "a torch.nn.Module (a model or a layer, "
                           "TorchScript modules included)")
    options = Options.check(distribution=distribution, gain=gain, bias=bias,
                            embeddings=embeddings, layouts=layouts, stride_aware=stride_aware,
                            strict=strict, reset_skipped=reset_skipped, device=device,
                            uninitialized=uninitialized, generator=generator)
    plan = Planner(options).plan(module)
    report = plan.report()
    if strict and report.unhandled:
        raise xc.XavierError("strict=True: " + report.unhandled_message(WHAT_TO_DO))
    plan.check_writable()
    if options.device is not None and plan.has_meta:
        materialize(module, options.device)
    plan.run()
    report.warn_unhandled(WHAT_TO_DO, stacklevel=3)
    return report

