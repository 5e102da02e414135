"""``init_model``: every weight of a torch model with the layer-aware fans of its layer type.

A bare tensor carries no layer semantics, so ``xavier_uniform_`` reads ``(out, in, *kernel)``;
here each layer's own layout is used instead (see :mod:`xavier_adapters.torch.layers`), which
changes Glorot itself for grouped and depthwise convolutions, packed attention projections and
recurrent gates. The whole model is planned and checked before a single value is written.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch.layers import Bias, Plan, Skip, Weight, plan_parameters
from xavier_adapters.torch.sampling import fill_
from xavier_core.errors import bad_argument
from xavier_core.record import State

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn

Gain = float | str | Mapping[str, float | str]
BiasPolicy = Literal["zeros", "keep"] | float


@dataclass(frozen=True)
class _Step:
    """One parameter: the record of what is done to it, and the numbers to do it with."""

    record: xc.InitRecord
    param: torch.Tensor
    distribution: xc.Distribution | None = None
    constant: float | None = None
    padding_idx: int | None = None

    def run(self, generator: torch.Generator | None) -> None:
        if self.distribution is not None:
            fill_(self.param, self.distribution, generator)
            if self.padding_idx is not None:
                with torch.no_grad():
                    self.param[self.padding_idx].zero_()
        elif self.constant is not None:
            with torch.no_grad():
                self.param.fill_(self.constant)


def _with(record: xc.InitRecord, state: State, note: str = "", reason: str = "",
          **changes: object) -> xc.InitRecord:
    """``record`` in a new state (with fans, distribution), ``note`` appended to its note."""
    joined = "; ".join(filter(None, [record.note, note]))
    return dataclasses.replace(record, state=state, note=joined, reason=reason or record.reason,
                               **changes)


def _one_gain(value: object, name: str) -> float:
    if isinstance(value, str):
        return xc.calculate_gain(value)
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value) or value < 0):
        raise bad_argument(name, value, "a finite number >= 0 or a nonlinearity name "
                           f"({', '.join(xc.NONLINEARITIES)})")
    return float(value)


class _GainLookup:
    """The gain of a layer: one value, or the first matching key of a mapping (else 1)."""

    def __init__(self, gain: Gain) -> None:
        self.per_layer = isinstance(gain, Mapping)
        items = gain.items() if isinstance(gain, Mapping) else [("*", gain)]
        self.table = [(str(key), _one_gain(value, f"gain[{key!r}]" if self.per_layer else "gain"))
                      for key, value in items]
        self.used: set[str] = set()

    def __call__(self, layer: str) -> float:
        for pattern, value in self.table:
            if fnmatchcase(layer, pattern):
                self.used.add(pattern)
                return value
        return 1.0

    def check_all_used(self, layers: list[str]) -> None:
        """A mapping key that matched no layer with weights is a mistake: raise."""
        unused = [pattern for pattern, _ in self.table if pattern not in self.used]
        if self.per_layer and unused:
            shown = ", ".join(layers[:8]) + (", ..." if len(layers) > 8 else "")
            raise xc.XavierError(
                f"gain keys must match layers with weights (module names or fnmatch patterns), "
                f"got {unused!r}, which match none of: {shown}")


def _check_bias_policy(bias: object) -> BiasPolicy:
    if isinstance(bias, str) and bias in ("zeros", "keep"):
        return bias  # type: ignore[return-value]
    if isinstance(bias, numbers.Real) and not isinstance(bias, bool) and math.isfinite(bias):
        return float(bias)
    raise bad_argument("bias", bias, "'zeros', 'keep' or a finite number (a constant fill)")


def _check_materialized(name: str, param: torch.Tensor, module: nn.Module) -> None:
    if isinstance(param, nn.parameter.UninitializedParameter):
        raise xc.XavierError(
            f"module must have materialized parameters, got uninitialized parameter {name!r} "
            f"of {type(module).__name__} (a lazy module); run one forward pass, which infers "
            "its shape, before init_model")


@dataclass
class _Planner:
    """Turns each module's parameter plans into steps, checking everything before any write."""

    distribution: xc.DistributionName
    gain_of: _GainLookup
    bias: BiasPolicy
    embeddings: bool
    reset_skipped: bool
    seen: dict[int, str] = dataclasses.field(default_factory=dict)
    weight_layers: list[str] = dataclasses.field(default_factory=list)

    def module(self, prefix: str, module: nn.Module) -> tuple[bool, list[_Step]]:
        """The steps for the parameters ``module`` holds directly; whether to reset it first."""
        plans = plan_parameters(module, embeddings=self.embeddings)
        reset = self.reset_skipped and hasattr(module, "reset_parameters") and any(
            isinstance(plan, Skip) for plan in plans.values())
        steps = []
        for local, param in module.named_parameters(recurse=False):
            name = f"{prefix}.{local}" if prefix else local
            _check_materialized(name, param, module)
            plan = plans[local]
            skip_reason = plan.note if isinstance(plan, Skip) else ""
            record = xc.InitRecord(name, type(module).__name__, tuple(param.shape), "kept",
                                   note="" if isinstance(plan, Skip) else plan.note,
                                   reason=skip_reason)
            steps.append(self.step(prefix, record, param, plans[local], reset))
        return reset, steps

    def step(self, layer: str, record: xc.InitRecord, param: torch.Tensor, plan: Plan,
             reset: bool) -> _Step:
        if id(param) in self.seen:
            return _Step(_with(record, "kept", f"with {self.seen[id(param)]}", reason="shared"),
                         param)
        self.seen[id(param)] = record.name
        if isinstance(plan, Skip) and reset:
            return _Step(_with(record, "reset", "torch default (reset_parameters)"), param)
        if isinstance(plan, Skip):
            why = "no reset_parameters(), left as is" if self.reset_skipped else ""
            state: State = "unhandled" if plan.note.startswith("no rule") else "kept"
            return _Step(_with(record, state, why), param)
        if isinstance(plan, Bias):
            return self.bias_step(record, param)
        return self.weight_step(layer, record, param, plan)

    def bias_step(self, record: xc.InitRecord, param: torch.Tensor) -> _Step:
        if self.bias == "keep":
            return _Step(record, param)
        if self.bias == "zeros":
            return _Step(_with(record, "zeroed"), param, constant=0.0)
        return _Step(_with(record, "filled", f"constant {self.bias:g}"), param,
                     constant=self.bias)

    def weight_step(self, layer: str, record: xc.InitRecord, param: torch.Tensor,
                    plan: Weight) -> _Step:
        self.weight_layers.append(layer)
        gain = self.gain_of(layer)
        spec = xc.glorot(self.distribution, gain)
        try:
            xc.sampling_dtype(param.dtype)
            resolved = spec.resolve(tuple(param.shape), plan.layout)
        except xc.XavierError as error:
            raise xc.XavierError(f"{record.name}: {error}") from error
        note = "" if gain == 1.0 else f"gain {gain:.4g}"
        record = _with(record, "drawn", note, fans=resolved.fans,
                       distribution=resolved.distribution)
        return _Step(record, param, distribution=resolved.distribution,
                     padding_idx=plan.padding_idx)


def init_model(
    module: nn.Module,
    distribution: xc.DistributionName = "uniform",
    *,
    gain: Gain = 1.0,
    bias: BiasPolicy = "zeros",
    embeddings: bool = False,
    reset_skipped: bool = False,
    generator: torch.Generator | None = None,
) -> xc.InitReport:
    """Glorot-initialize every weight of ``module`` in place, with its layer's own fans.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), the fans read per layer
    type: grouped and depthwise convolutions per group, transposed convolutions from their
    ``(in, out/g, *k)`` layout, attention in_proj per q/k/v block, recurrent weights per gate
    (the table in :mod:`xavier_adapters.torch.layers`). Each parameter is drawn with
    :func:`xavier_adapters.torch.fill_`: in place, on its device, float16/bfloat16 via float32.

    Args:
      module: the model. It may live on any device, including ``meta`` (then nothing is
        written; after ``module.to_empty(device=...)``, call again to fill the memory).
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      gain: one gain for every layer, as a number or a nonlinearity name (``"relu"``,
        ``"tanh"``, ...), or a mapping from module names or fnmatch patterns
        (``"encoder.*.linear1"``) to gains: the first matching key wins, unmatched layers get 1.
      bias: ``"zeros"`` (default), ``"keep"`` (leave as is) or a number to fill biases with.
      embeddings: also initialize Embedding and EmbeddingBag tables, as ``(in, out)`` = ``(num,
        dim)`` Linear maps (the padding row, if any, is zeroed afterwards).
      reset_skipped: call ``reset_parameters()`` (torch's default) on every module holding
        parameters that are not Glorot weights (norm layers, embeddings unless asked, layers
        with no rule), before its Glorot weights are drawn; it also resets their buffers
        (running statistics). Use it after ``to_empty``, where nothing else fills that memory.
      generator: the ``torch.Generator`` every draw uses, in module order; None uses torch's
        default generator of each parameter's device.

    Returns:
      An :class:`xavier_core.InitReport`, one record per parameter (name, layer, shape, state,
      fans, distribution); ``print(report)`` shows a table. Skipped parameters say why.

    Raises:
      XavierError (a ValueError): a bad argument, a gain key that names no layer with weights,
        a lazy module whose parameters are not materialized yet, or a weight whose shape does
        not fit its layer's layout. Nothing is written when it raises.

    Example:
      >>> from torch import nn
      >>> model = nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.ReLU(), nn.Linear(32, 10))
      >>> report = init_model(model, gain={"0": "relu"})
      >>> report["0.weight"].fans
      Fans(fan_in=9, fan_out=9)
    """
    xc.glorot(distribution)  # checks the name before anything is planned
    planner = _Planner(distribution, _GainLookup(gain), _check_bias_policy(bias), embeddings,
                       reset_skipped)
    work = [(sub, *planner.module(prefix, sub)) for prefix, sub in module.named_modules()]
    planner.gain_of.check_all_used(planner.weight_layers)
    for sub, reset, steps in work:
        if reset:
            sub.reset_parameters()  # type: ignore[operator]
        for step in steps:
            step.run(generator)
    return xc.InitReport(step.record for _, _, steps in work for step in steps)
