"""Layer-aware init of a built Keras model: each kernel drawn with the fans of its layer type.

A bare initializer sees only a shape, so it reads a Keras kernel as ``(..., in, out)``; that is
right for Dense and Conv, and wrong for transposed, grouped, depthwise and packed-gate kernels.
``init_model`` knows the layer each variable belongs to, through the rules of
:mod:`xavier_adapters.keras.layers` (:data:`~xavier_adapters.keras.layers.RULES`), and plans and
checks every variable of the model before it writes the first one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.keras.layers import check_plan, rule_plans
from xavier_adapters.keras.sampling import KERAS_TRUNCATION_CUT, check_dtype, draw, draw_portable
from xavier_adapters.keras.seeds import Seed, SeedStream
from xavier_core.record import State
from xavier_core.rules import (
    Bias,
    BiasPolicy,
    EmbeddingWeight,
    Gain,
    GainTable,
    Keep,
    Plan,
    Weight,
)

keras = require("keras", "keras")

WHAT_TO_DO = (
    "To initialize them, register a rule for the layer type, e.g. xk.RULES.register(MyLayer, "
    "lambda layer: {'kernel': xc.rules.Weight(xc.CHANNELS_LAST), 'bias': xc.rules.Bias()}) "
    "(xc.rules.Keep('reason') leaves a variable as it is on purpose), or pass "
    "layouts={'<variable path glob>': xc.CHANNELS_LAST}.")
STRICT_HINT = " init_model(..., strict=True) makes this an error."


def _sublayers(layer: Any) -> list[Any]:
    # Keras 3 has no public accessor for the direct sublayers of an arbitrary layer.
    return layer._flatten_layers(include_self=False, recursive=False)


def _walk(layer: Any, seen: set[int]) -> Iterator[Any]:
    """``layer`` and every sublayer, depth first, in the order the model holds them, once each."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield layer
    for sublayer in _sublayers(layer):
        yield from _walk(sublayer, seen)


def _own_weights(layer: Any) -> list[Any]:
    """The variables ``layer`` holds itself, not through a sublayer."""
    inherited = {id(w) for sublayer in _sublayers(layer) for w in sublayer.weights}
    return [w for w in layer.weights if id(w) not in inherited]


def _layer_path(variable: Any) -> str:
    return variable.path.rpartition("/")[0]


@dataclass(frozen=True)
class _Step:
    """One variable: the record of what is done to it, and the constant a bias policy writes."""

    record: xc.InitRecord
    variable: Any
    constant: float | None = None
    layout: xc.Layout | None = None
    layer_path: str = ""


@dataclass
class _Planner:
    """Turns each layer's plans into steps, checking everything before anything is written."""

    distribution: xc.DistributionName
    gains: GainTable
    bias: BiasPolicy
    embeddings: bool
    stride_aware: bool
    layouts: xc.GlobTable[xc.Layout]
    specs: dict[float, xc.VarianceScaling] = field(default_factory=dict)
    drawn_layers: list[str] = field(default_factory=list)
    drawable: set[str] = field(default_factory=set)

    def layer(self, layer: Any, variables: list[Any]) -> list[_Step]:
        plans = rule_plans(layer)
        quantized = getattr(layer, "quantization_mode", None)
        return [self.variable(layer, variable, plans, quantized) for variable in variables]

    def variable(self, layer: Any, variable: Any, plans: Mapping[str, Plan] | None,
                 quantized: str | None) -> _Step:
        kind = type(layer).__name__
        record = xc.InitRecord(variable.path, kind, tuple(variable.shape), "unhandled")
        override = self.layouts.lookup(variable.path) if self.layouts else None
        if override is not None:
            return self.weight(layer, variable, record, Weight(override, "layout from layouts="),
                               override=True)
        if plans is None:
            return _Step(_with(record, "unhandled", f"no rule for {kind}"), variable)
        plan = plans.get(variable.name)
        if plan is None and quantized:
            return _Step(_with(record, "kept", "quantization state", quantized), variable)
        if plan is None:
            return _Step(_with(record, "unhandled", f"no rule for this parameter of {kind}",
                               f"variable {variable.name!r}"), variable)
        if type(plan) not in _PLANS:
            plan = check_plan(layer, variable.name, plan)  # a subclass, or an error
        if isinstance(plan, Keep):
            return _Step(_with(record, "kept", plan.reason, plan.note), variable)
        if isinstance(plan, Bias):
            state, constant, note = xc.rules.bias_outcome(self.bias)
            return _Step(_with(record, state, "bias", _join(plan.note, note)),  # type: ignore[arg-type]
                         variable, constant)
        return self.weight(layer, variable, record, plan)

    def weight(self, layer: Any, variable: Any, record: xc.InitRecord, plan: Weight,
               override: bool = False) -> _Step:
        embedding = isinstance(plan, EmbeddingWeight)
        if embedding and not self.embeddings:
            return _Step(_with(record, "kept", "embedding",
                               _join(plan.note, "pass embeddings=True to draw it")), variable)
        dtype = xc.dtype_name(variable.dtype)
        if dtype not in xc.FLOAT_DTYPES and not override:
            return _Step(_with(record, "kept", "quantized kernel", f"{dtype}: not drawn"),
                         variable)
        layout, notes = plan.layout, [plan.note]
        if layout.strides and not (self.stride_aware or override):
            layout = _without_strides(layout)
        elif layout.strides and any(s > 1 for s in layout.strides):
            notes.append(f"strides {layout.strides}")
        layer_path = _layer_path(variable)
        gain = self.gains.lookup(layer_path)
        self.drawn_layers.append(layer_path)
        try:
            if dtype not in self.drawable:
                check_dtype(dtype)
                self.drawable.add(dtype)
            resolved = self.spec(gain).resolve(record.shape, layout)
            xc.check_drawable(resolved.distribution, dtype)
        except xc.XavierError as error:
            raise xc.XavierError(f"{variable.path} ({record.layer}): {error}") from error
        if gain != 1.0:
            notes.append(f"gain {gain:.4g}")
        if layout is xc.CHANNELS_LAST and not (override or embedding):  # a plain Dense
            notes.append(xc.rules.packed_hint(variable.path, layer.name, "xc.CHANNELS_LAST"))
        return _Step(xc.InitRecord(record.name, record.layer, record.shape, "drawn",
                                   resolved.fans, resolved.distribution, note=_join(*notes)),
                     variable, layout=layout, layer_path=layer_path)

    def spec(self, gain: float) -> xc.VarianceScaling:
        if gain not in self.specs:
            self.specs[gain] = xc.glorot(self.distribution, gain)
        return self.specs[gain]


_PLANS = frozenset({Weight, EmbeddingWeight, Bias, Keep})


@functools.cache
def _without_strides(layout: xc.Layout) -> xc.Layout:
    return layout.with_(strides=())


def _join(*notes: str) -> str:
    return "; ".join(filter(None, notes))


def _with(record: xc.InitRecord, state: State, reason: str, note: str = "") -> xc.InitRecord:
    return xc.InitRecord(record.name, record.layer, record.shape, state, reason=reason,
                         note=note)


def _plan(model: Any, planner: _Planner) -> list[_Step]:
    """One step per variable of ``model``, in model order, each variable once."""
    steps, done = [], set()
    for layer in _walk(model, set()):
        variables = [v for v in _own_weights(layer) if id(v) not in done]
        done.update(id(v) for v in variables)
        if variables:
            steps += planner.layer(layer, variables)
    return steps


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise xc.errors.bad_argument(name, value, "True or False")
    return value


def _check_distribution(distribution: object) -> None:
    xc.glorot(distribution)  # type: ignore[arg-type]  # checks the name
    if distribution == "truncated_normal" and xc.TRUNCATION_CUT != KERAS_TRUNCATION_CUT:
        raise xc.errors.bad_argument("distribution", distribution, "uniform or normal: Keras' "
                                     f"truncated_normal cuts at {KERAS_TRUNCATION_CUT} std, the "
                                     f"spec at {xc.TRUNCATION_CUT}")


def _check_model(model: object) -> None:
    if not isinstance(model, keras.Layer):
        raise xc.errors.bad_argument("model", model, "a keras.Layer (a Model or any layer)")
    if not model.built:
        raise xc.XavierError(f"model must be built before init_model, got the unbuilt {model!r}; "
                             "build it with model.build(input_shape) or call it on data once")


def init_model(
    model: Any,
    distribution: xc.DistributionName = "uniform",
    *,
    gain: Gain = 1.0,
    bias: BiasPolicy = "keep",
    embeddings: bool = False,
    layouts: Mapping[str, xc.Layout] | None = None,
    strict: bool = False,
    stride_aware: bool = True,
    seed: Seed = None,
) -> xc.InitReport:
    """Glorot-initialize every kernel of a built Keras model in place, with its layer's own fans.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), the fans read per layer
    type by the rules of :data:`xavier_adapters.keras.RULES` (subclasses included; the table
    is in :mod:`xavier_adapters.keras.layers`). Kernels are drawn with Keras' own random ops,
    float16/bfloat16 via float32, each with its own seed, in model order.

    Every variable of ``model.weights`` ends in one state (``xavier_core.record``): ``drawn``
    (a kernel), ``zeroed``/``filled`` (a bias, by ``bias``), ``kept`` with a reason (norm
    layers, biases under ``bias="keep"``, embeddings unless asked, LoRA factors, quantized
    kernels) or ``unhandled`` (a layer type no rule knows): those are warned about
    (``xavier_core.UnhandledWarning``) with what to do. Everything is planned and checked
    before the first variable is written; any error leaves the model as it was.

    Unlike torch's ``init_model``, biases are kept by default: Keras builds them as zeros, and
    LSTM's and ConvLSTM's ``unit_forget_bias`` ones must survive.

    Args:
      model: a built ``keras.Layer`` (a Model, or any layer).
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      gain: a number, a nonlinearity name for ``xavier_core.calculate_gain`` (``"relu"``), or
        a mapping from layer-path globs (``"encoder/*/ffn_*"``, fnmatch) to either: the first
        matching key wins, layers no key matches get 1.
      bias: ``"keep"`` (default), ``"zeros"``, or a number every bias is filled with.
      embeddings: also draw embedding tables (Embedding, ReversibleEmbedding, keras_hub's
        PositionEmbedding), reading ``(num, dim)`` as ``(in, out)``, as torch's does.
      layouts: ``{variable-path glob: xavier_core.Layout}``, winning over every rule, e.g.
        ``{"*/c_attn/kernel": xc.CHANNELS_LAST.with_(blocks=3)}`` for packed q/k/v; a key that
        matches no variable is an error.
      strict: raise, before writing anything, if any variable would be unhandled.
      stride_aware: a strided convolution's fans count what each unit really feeds
        (``xavier_core.compute_fans``, ``strides=``): the stride divides fan_out of a
        convolution and fan_in of a transposed one. False reads fans as Keras does. The default,
        True, follows the measurement in README ("Strided convolutions"): stride-blind fans
        shrink a ViT patch embedding's output variance about 100x.
      seed: an int (the same kernels on every call, distinct kernels within a call), None (fresh
        kernels on every call) or a ``keras.random.SeedGenerator``.

    Returns:
      An ``xavier_core.InitReport``, one record per variable (path, layer, shape, state, fans,
      distribution, reason, note); ``print`` it for a summary line and a table.

    Raises:
      XavierError: ``model`` is not a built Keras layer; a bad distribution, gain, bias, layout,
        flag or seed; a ``layouts`` or ``gain`` key that matches nothing; a kernel whose shape
        does not fit its layout or whose dtype cannot be drawn on this backend; or, with
        ``strict=True``, any unhandled variable. Nothing is written when it raises.

    Example:
      >>> model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, name="hidden")],
      ...                          name="mlp")
      >>> report = init_model(model, "normal", gain="tanh", seed=0)
      >>> report["mlp/hidden/kernel"].fans
      Fans(fan_in=16, fan_out=8)
      >>> report.summary()
      '2 tensors: 1 drawn, 1 kept (bias 1), 0 unhandled'
    """
    _check_model(model)
    _check_distribution(distribution)
    planner = _Planner(distribution, GainTable(gain), xc.rules.check_bias_policy(bias),
                       _check_flag("embeddings", embeddings), _check_flag("stride_aware",
                                                                          stride_aware),
                       xc.rules.layout_table(layouts))
    strict = _check_flag("strict", strict)
    seeds = SeedStream(seed)
    steps = _plan(model, planner)
    planner.layouts.check_all_used([step.record.name for step in steps])
    planner.gains.check_all_used(planner.drawn_layers)
    report = xc.InitReport(step.record for step in steps)
    if strict and report.unhandled:
        raise xc.XavierError(report.unhandled_message(WHAT_TO_DO))
    keys = _portable_keys(steps, seed)
    for step in steps:
        _write(step, seeds, keys.get(id(step)))
    report.warn_unhandled(WHAT_TO_DO + STRICT_HINT)
    return report


def _portable_keys(steps: list[_Step], seed: object) -> dict[int, xc.PortableKey]:
    """With a PortableKey: each drawn variable's ``key.for_tensor(layer, role)``, ``layer``
    counting the layers with drawn variables and ``role`` the drawn variables within the layer,
    in model order (as torch's ``init_model``)."""
    if not isinstance(seed, xc.PortableKey):
        return {}
    layers: dict[str, list[_Step]] = {}
    for step in steps:
        if step.record.state == "drawn":
            layers.setdefault(step.layer_path, []).append(step)
    return {id(step): seed.for_tensor(layer, role)
            for layer, drawn in enumerate(layers.values()) for role, step in enumerate(drawn)}


def _write(step: _Step, seeds: SeedStream, key: xc.PortableKey | None = None) -> None:
    record, variable = step.record, step.variable
    if record.state == "drawn" and key is not None:
        variable.assign(draw_portable(record.distribution, record.shape, variable.dtype, key,
                                      step.layout or xc.CHANNELS_LAST))
    elif record.state == "drawn":
        variable.assign(draw(record.distribution, record.shape, variable.dtype, seeds.next()))
    elif step.constant is not None:
        variable.assign(keras.ops.full(record.shape, step.constant, dtype=variable.dtype))
