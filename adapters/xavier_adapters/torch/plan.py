"""The plan of ``init_model``: one decision per parameter and buffer, all checked before any write.

:class:`Planner` walks the model once and gives every tensor an :class:`Entry`: its plan (from
:data:`~xavier_adapters.torch.layers.RULES` or ``layouts=``), its final state and, when it is
written, how. Nothing is allocated and nothing is written while planning; :class:`Plan` then
checks what only the tensors can say (dtypes, inference tensors, generator devices), and runs:
module resets first, then every draw and fill, so a draw always has the last word.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch import dtensor
from xavier_adapters.torch import reparam as rp
from xavier_adapters.torch.layers import RULES, EmbeddingWeight, InitialValue
from xavier_adapters.torch.sampling import fill_
from xavier_core.errors import bad_argument
from xavier_core.record import State
from xavier_core.rules import Bias, GlobTable, Keep, Weight
from xavier_core.rules import Plan as RulePlan

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn

Gain = float | str | Mapping[str, float | str]
BiasPolicy = Literal["zeros", "keep"] | float
Action = Literal["", "draw", "reparam", "const", "initial"]


def _one_gain(label: str, value: object) -> float:
    if isinstance(value, str):
        return xc.calculate_gain(value)
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value) or value < 0):
        raise bad_argument(label, value, "a finite number >= 0 or a nonlinearity name "
                           f"({', '.join(xc.NONLINEARITIES)})")
    return float(value)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise bad_argument(name, value, "True or False")
    return value


def _bias_policy(bias: object) -> BiasPolicy:
    if isinstance(bias, str) and bias in ("zeros", "keep"):
        return bias  # type: ignore[return-value]
    if isinstance(bias, numbers.Real) and not isinstance(bias, bool) and math.isfinite(bias):
        return float(bias)
    raise bad_argument("bias", bias, "'zeros', 'keep' or a finite number (a constant fill)")


def _device(device: object) -> torch.device | None:
    if device is None:
        return None
    allowed = "None or a torch device other than meta ('cpu', 'cuda', 'cuda:1', torch.device)"
    if not isinstance(device, (str, torch.device)):
        raise bad_argument("device", device, allowed)
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as error:
        raise bad_argument("device", device, allowed) from error
    if parsed.type == "meta":
        raise bad_argument("device", device, allowed)
    return parsed


@dataclass(frozen=True)
class Options:
    """The checked keyword arguments of ``init_model``."""

    distribution: xc.DistributionName
    gain: float | GlobTable[float]
    bias: BiasPolicy
    embeddings: bool
    layouts: GlobTable[xc.Layout]
    stride_aware: bool
    strict: bool
    reset_skipped: bool
    device: torch.device | None
    uninitialized: bool
    generator: torch.Generator | xc.PortableKey | None

    @classmethod
    def check(cls, *, distribution: object, gain: object, bias: object, embeddings: object,
              layouts: object, stride_aware: object, strict: object, reset_skipped: object,
              device: object, uninitialized: object, generator: object) -> Options:
        """Every argument checked, or an XavierError naming the first bad one."""
        xc.glorot(distribution)  # type: ignore[arg-type]
        gains: float | GlobTable[float] = (
            GlobTable(gain, "gain", _one_gain) if isinstance(gain, Mapping)
            else _one_gain("gain", gain))
        if generator is not None and not isinstance(generator, (torch.Generator, xc.PortableKey)):
            raise bad_argument("generator", generator,
                               "None, a torch.Generator or a xavier_core.PortableKey")
        return cls(distribution, gains, _bias_policy(bias),  # type: ignore[arg-type]
                   _flag("embeddings", embeddings), xc.rules.layout_table(layouts),  # type: ignore[arg-type]
                   _flag("stride_aware", stride_aware), _flag("strict", strict),
                   _flag("reset_skipped", reset_skipped), _device(device),
                   _flag("uninitialized", uninitialized), generator)


@dataclass(eq=False)
class Entry:
    """One parameter or buffer: where it lives, its plan, and what becomes of it."""

    name: str
    layer_path: str
    module: nn.Module
    layer: str
    owner: nn.Module
    key: str
    is_buffer: bool
    plan: RulePlan | None
    from_layouts: bool
    shape: tuple[int, ...]
    dtype: torch.dtype
    fresh: bool
    direct: bool
    """Held by ``module`` itself, so that its ``reset_parameters()`` writes it."""
    reparam: rp.Reparam | None = None
    state: State = "kept"
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    fans: xc.Fans | None = None
    distribution: xc.Distribution | None = None
    layout: xc.Layout | None = None
    action: Action = ""
    value: float = 0.0
    padding_idx: int | None = None
    wants_reset: bool = False
    tied_to: Entry | None = None

    @property
    def tensor(self) -> torch.Tensor:
        store = self.owner._buffers if self.is_buffer else self.owner._parameters
        return store[self.key]  # type: ignore[return-value]

    def record(self) -> xc.InitRecord:
        return xc.InitRecord(self.name, self.layer, self.shape, self.state, self.fans,
                             self.distribution, self.reason, "; ".join(filter(None, self.notes)))


def reset_writes(e: Entry) -> bool:
    """Whether the layer's ``reset_parameters()`` writes this tensor: it is taken to write the
    parameters the layer holds directly, and its buffers only for torch's own layers (BatchNorm's
    running statistics), which are known to."""
    return e.direct and (not e.is_buffer or dtensor.layer_class(type(e.module)).__module__
                         .startswith("torch.nn."))


def _weight_like(shape: tuple[int, ...]) -> bool:
    """A shape a weight could have: two axes or more, none of size 1 (not a token)."""
    return len(shape) >= 2 and min(shape) > 1


def _layout_advice(e: Entry) -> str:
    return f"if it is a weight stored (out, in, *k): layouts={{{_glob(e.name)!r}: xc.TORCH}}"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _glob(path: str) -> str:
    """``path`` with its layer numbers as ``*``: one ``layouts=`` entry for every block."""
    return re.sub(r"(^|\.)\d+(?=\.|$)", r"\1*", path)


def _loaded_class(qualified: str) -> type | None:
    """The Python class a TorchScript type name stands for, if its module is already imported
    (nothing is imported here)."""
    parts = [p for p in qualified.split(".") if not p.startswith("___torch_mangle")]
    if parts and parts[0] == "__torch__":
        parts = parts[1:]
    candidates = [(".".join(parts[:i]), parts[i:]) for i in range(len(parts) - 1, 0, -1)]
    candidates.append(("__main__", parts))
    for module_name, attributes in candidates:
        found: Any = sys.modules.get(module_name)
        for attribute in attributes:
            found = getattr(found, attribute, None)
        if isinstance(found, type):
            return found
    return None


class Planner:
    """Walks a model once and decides every tensor (see :class:`Entry`); raises on any error."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.entries: list[Entry] = []
        self.param_paths: list[str] = []
        self.weight_layers: list[str] = []
        self.stacked: dict[int, list[tuple[Entry, int, xc.Layout]]] = {}
        self.meta: list[str] = []
        self.unrecoverable: list[str] = []
        self._specs: dict[float, xc.VarianceScaling] = {}
        self._rules: dict[Any, Any] = {}
        self._sources: dict[xc.Layout, str] = {}
        self._resolved: dict[tuple[Any, ...], xc.ResolvedInit] = {}

    # -- the walk ---------------------------------------------------------------------------
    def plan(self, root: nn.Module) -> Plan:
        skip: set[int] = set()
        for prefix, sub in root.named_modules():
            if id(sub) not in skip:
                self._module(prefix, sub, skip)
        if self.meta and self.options.device is None:
            shown = ", ".join(repr(n) for n in self.meta[:4])
            more = f" and {len(self.meta) - 4} more" if len(self.meta) > 4 else ""
            raise xc.XavierError(
                f"module has tensors on the meta device ({shown}{more}), which hold no values: "
                "pass device='cpu' (or 'cuda', ...): init_model gives them memory there and "
                "initializes or names every one; or call module.to_empty(device=...) first and "
                "pass uninitialized=True")
        if self.unrecoverable:
            raise xc.XavierError(
                "a TorchScript module's layer types must be recoverable to initialize it, got "
                f"{', '.join(self.unrecoverable)}, whose class is not loaded and has no rule by "
                "that name: import the module that defines it, register a rule by its name "
                "(xt.RULES.register('Name', rule)), or initialize before torch.jit.script")
        if isinstance(root, torch.jit.ScriptModule) and not self.entries:
            raise xc.XavierError(
                "a TorchScript module must hold parameters or buffers to initialize, got none "
                "(torch.jit.freeze turns them into constants): initialize before freezing")
        self._resolve_stacked()
        if isinstance(self.options.gain, GlobTable):
            self.options.gain.check_all_used(dict.fromkeys(self.weight_layers))
        self.options.layouts.check_all_used(self.param_paths)
        resets = self._settle()
        return Plan(self.entries, resets, bool(self.meta), self.options)

    def _rule(self, sub: nn.Module) -> tuple[str, Any, bool]:
        """The layer's class name, its rule, and whether the layer is a TorchScript module."""
        if not isinstance(sub, torch.jit.ScriptModule):
            cls = dtensor.layer_class(type(sub))  # FSDP2's FSDP<Name>: the rules of Name
            if cls not in self._rules:
                # parametrize swaps in a generated subclass (ParametrizedLinear): name the layer
                generated = cls.__name__.startswith("Parametrized") and hasattr(
                    sub, "parametrizations")
                name = cls.__mro__[1].__name__ if generated else cls.__name__
                self._rules[cls] = (name, RULES.rule_for_class(cls))
            name, rule = self._rules[cls]
            return name, rule, False
        qualified = sub._c._type().qualified_name()
        if qualified not in self._rules:
            cls = _loaded_class(qualified)
            rule = RULES.rule_for_class(cls) if cls is not None else None
            self._rules[qualified] = (cls, rule or RULES.rule_for_name(sub.original_name))
        cls, rule = self._rules[qualified]
        return sub.original_name, rule, True

    def _module(self, prefix: str, sub: nn.Module, skip: set[int]) -> None:
        layer, rule, scripted = self._rule(sub)
        params, buffers = sub._parameters, sub._buffers
        if scripted and rule is None and (len(params) or len(buffers)) and _loaded_class(
                sub._c._type().qualified_name()) is None:
            self.unrecoverable.append(f"{prefix!r} ({sub.original_name})")
        plans: dict[str, RulePlan] = {}
        if rule is not None:
            for key, plan in rule(sub).items():
                plans[key] = xc.rules.check_plan(f"the plan of {layer}.{key}", plan)
        consumed: set[str] = set()
        if not scripted and ("parametrizations" in sub._modules or sub._forward_pre_hooks):
            for found in rp.find(sub):
                skip.update(id(m) for m in rp.submodules(sub))
                consumed.update(s.key for s in found.slots if s.owner is sub)
                self._reparam(prefix, sub, layer, found, plans)
        known = bool(plans)
        decided: list[tuple[Entry, bool, float | None]] = []
        for key, tensor in params.items():
            if tensor is None or key in consumed:
                continue
            if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
                raise xc.XavierError(
                    f"module must have materialized parameters, got uninitialized parameter "
                    f"{_join(prefix, key)!r} of {layer} (a lazy module); run one forward pass, "
                    "which infers its shape, before init_model")
            path = _join(prefix, key)
            self.param_paths.append(path)
            override = self.options.layouts.lookup(path)
            plan = Weight(override) if override is not None else plans.get(key)
            entry = self._entry(path, prefix, sub, layer, sub, key, False, plan, tensor,
                                override is not None, direct=True)
            decided.append((entry, *self._decide(entry, known)))
        for key, tensor in buffers.items():
            if tensor is None or key in consumed:
                continue
            entry = self._entry(_join(prefix, key), prefix, sub, layer, sub, key, True,
                                plans.get(key), tensor, False, direct=True)
            decided.append((entry, *self._decide(entry, known)))
        if any(needs for _, needs, _ in decided):
            self._restore(sub, decided, scripted)

    def _entry(self, name: str, prefix: str, module: nn.Module, layer: str, owner: nn.Module,
               key: str, is_buffer: bool, plan: RulePlan | None, tensor: torch.Tensor,
               from_layouts: bool, direct: bool) -> Entry:
        meta = tensor.is_meta
        if meta:
            self.meta.append(name)
            if type(tensor) not in (torch.Tensor, nn.Parameter):
                raise xc.XavierError(
                    f"{name}: a {type(tensor).__name__} on the meta device, which init_model "
                    "cannot give memory (it makes torch.Tensor and nn.Parameter only); call "
                    "module.to_empty(device=...) first and pass uninitialized=True")
        entry = Entry(name, prefix, module, layer, owner, key, is_buffer, plan, from_layouts,
                      tuple(tensor.shape), tensor.dtype, meta or self.options.uninitialized,
                      direct)
        self.entries.append(entry)
        return entry

    # -- decisions --------------------------------------------------------------------------
    def _decide(self, e: Entry, known: bool) -> tuple[bool, float | None]:
        """The tensor's own state; whether it needs a value it does not get (a fresh tensor,
        or one ``reset_skipped=True`` asks to reset), and its initial value if it has one."""
        options, plan = self.options, e.plan
        restorable = True  # by reset_skipped=True; a fresh tensor always needs a value
        initial: float | None = None
        if isinstance(plan, Weight) and (options.embeddings or e.from_layouts
                                         or not isinstance(plan, EmbeddingWeight)):
            self._draw(e, plan)
            return False, None
        if isinstance(plan, EmbeddingWeight):
            e.reason, e.notes = "embedding", ["pass embeddings=True to draw it"]
        elif isinstance(plan, Bias):
            if options.bias == "keep":
                e.reason, e.notes, restorable = "bias", ["bias='keep'"], False
            elif options.bias == "zeros":
                e.state, e.action, e.value, e.notes = "zeroed", "const", 0.0, [plan.note]
                return False, None
            else:
                e.state, e.action, e.value = "filled", "const", float(options.bias)
                e.notes = [plan.note, f"constant {options.bias:g}"]
                return False, None
        elif isinstance(plan, Keep):
            e.reason, e.notes = plan.reason, [plan.note]
            initial = plan.value if isinstance(plan, InitialValue) else None
        elif e.is_buffer:
            e.reason, restorable = "buffer", False
        else:
            e.state = "unhandled"
            e.reason = f"no rule for this parameter of {e.layer}" if known \
                else f"no rule for {e.layer}"
            e.notes = [self._advice(e)]
        return e.fresh or (options.reset_skipped and restorable), initial

    def _restore(self, module: nn.Module, decided: list[tuple[Entry, bool, float | None]],
                 scripted: bool) -> None:
        """Values for the module's tensors that need one: its reset_parameters(), if that
        overwrites no tensor holding values to keep; else initial values; else named."""
        resettable = not scripted and callable(getattr(type(module), "reset_parameters", None))
        clobbered = [e.name for e, needs, _ in decided
                     if resettable and not needs and not e.action and reset_writes(e)]
        for e, needs, initial in decided:
            if not needs:
                continue
            if resettable and not clobbered and reset_writes(e):
                e.state, e.wants_reset = "reset", True
                e.notes = [f"{e.layer}.reset_parameters()"]
            elif initial is not None:
                e.state, e.action, e.value = "reset", "initial", initial
                e.notes = [f"initial value {initial:g}, as the layer's __init__ gives"]
            else:
                why = (f"its reset_parameters() would overwrite {', '.join(clobbered)}, which "
                       "hold values" if clobbered and reset_writes(e) else "")
                if e.fresh:
                    e.state = "unhandled"
                    e.reason = e.reason if e.reason.startswith("no rule") else (
                        f"uninitialized {e.reason or 'tensor'}")
                    e.notes = ["holds no values yet (it was on meta): " + (
                        why or self._fresh_advice(e))]
                else:
                    e.notes.append(why or "no reset_parameters(), left as is")

    def _advice(self, e: Entry) -> str:
        cls, key = e.layer, e.key
        keep = f"xt.RULES.register({cls!r}, lambda m: {{{key!r}: xc.rules.Keep('why')}})"
        if cls.lower().endswith("norm") and key in ("weight", "scale", "gamma"):
            return f"if it is a norm scale starting at 1: xt.RULES.register({cls!r}, " \
                   "xt.norm_rule())"
        if _weight_like(e.shape):
            return f"{_layout_advice(e)}; if it is not a weight: {keep}"
        return f"to keep it on purpose: {keep}"

    def _fresh_advice(self, e: Entry) -> str:
        if e.is_buffer:
            return ("a buffer computed in __init__ cannot be restored: build the model under "
                    "xt.parameters_on_meta() (buffers stay real, as accelerate's "
                    "init_empty_weights(include_buffers=False)), or recompute it after "
                    "init_model")
        where = f"model.get_parameter({e.name!r})"
        advice = (f"initialize it after init_model (e.g. torch.nn.init.trunc_normal_({where}, "
                  "std=0.02) for a class token or a position embedding)")
        if e.layer.lower().endswith("norm"):
            return f"{advice}, or {self._advice(e)}"
        return f"{advice}, or {_layout_advice(e)}" if _weight_like(e.shape) else advice

    def _spec(self, gain: float) -> xc.VarianceScaling:
        spec = self._specs.get(gain)
        if spec is None:
            spec = self._specs[gain] = xc.glorot(self.options.distribution, gain)
        return spec

    def _gain(self, layer_path: str) -> float:
        gain = self.options.gain
        if isinstance(gain, GlobTable):
            found = gain.lookup(layer_path)
            return 1.0 if found is None else found
        return gain

    def _source(self, layout: xc.Layout) -> str:
        source = self._sources.get(layout)
        if source is None:
            source = self._sources[layout] = xc.rules.layout_source(layout)
        return source

    def _draw(self, e: Entry, plan: Weight) -> None:
        layout, notes = plan.layout, [plan.note]
        if not e.from_layouts:
            if layout.strides and not self.options.stride_aware:
                notes.append(f"stride {layout.strides} not counted (stride_aware=False)")
                layout = layout.with_(strides=())
            elif layout.strides:
                notes.append(f"stride-aware (stride {layout.strides})")
            extra = len(e.shape) - plan.rank if plan.rank is not None else 0
            if extra > 0 and e.reparam is None:
                e.state, e.action, e.notes = "drawn", "draw", notes
                self.stacked.setdefault(id(e.module), []).append((e, extra, layout))
                return
            if layout.blocks == 1 and plan.rank == 2:
                layer_name = e.layer_path.rsplit(".", 1)[-1]
                if xc.rules.packed_hint(e.name, layer_name, ""):  # cheap: names only
                    notes.append(xc.rules.packed_hint(e.name, layer_name, self._source(layout)))
        self._resolve(e, layout, notes)

    def _resolve(self, e: Entry, layout: xc.Layout, notes: list[str]) -> None:
        self.weight_layers.append(e.layer_path)
        gain = self._gain(e.layer_path)
        key = (e.shape, layout, gain, e.dtype)  # layers of one model repeat a few shapes
        resolved = self._resolved.get(key)
        if resolved is None:
            try:
                xc.sampling_dtype(e.dtype)
                resolved = self._spec(gain).resolve(e.shape, layout)
                xc.check_drawable(resolved.distribution, e.dtype)
                self._resolved[key] = resolved
            except xc.XavierError as error:
                raise xc.XavierError(f"{e.name}: {error}") from error
        if gain != 1.0:
            notes.append(f"gain {gain:.4g}")
        e.state, e.action, e.notes = "drawn", "draw" if e.reparam is None else "reparam", notes
        e.fans, e.distribution, e.layout = resolved.fans, resolved.distribution, layout
        if isinstance(e.plan, EmbeddingWeight):
            e.padding_idx = e.plan.padding_idx

    def _resolve_stacked(self) -> None:
        """Stacked weights: the leading axes are stacking axes when the layer's weights agree on
        them; otherwise one error lists every stacked weight with the entry that fixes it."""
        problems = []
        for group in self.stacked.values():
            module = group[0][0].module
            ranked = [e for e in self.entries if e.module is module and e.action == "draw"
                      and isinstance(e.plan, Weight) and e.plan.rank is not None]
            leading = {(extra, e.shape[:extra]) for e, extra, _ in group}
            if len(leading) == 1 and len(ranked) == len(group):
                for e, extra, layout in group:
                    e.notes.append(f"{extra} stacking axis (batch)" if extra == 1
                                   else f"{extra} stacking axes (batch)")
                    self._resolve(e, layout.stacked(extra), e.notes)
                continue
            for e, extra, layout in group:
                problems.append(f"{e.name!r}: {self._source(layout.stacked(extra))}")
        if problems:
            raise xc.XavierError(
                "stacked weights need the stacking axes of their layer, which these layers' "
                "weights do not agree on (they have extra leading axes of different sizes, or "
                "some have none); give each its layout: layouts={" + ", ".join(problems) + "}")

    def _reparam(self, prefix: str, sub: nn.Module, layer: str, found: rp.Reparam,
                 plans: dict[str, RulePlan]) -> None:
        path = _join(prefix, found.name)
        self.param_paths.append(path)
        override = self.options.layouts.lookup(path)
        plan = Weight(override) if override is not None else plans.get(found.name)
        drawn = (found.kind != "other" and isinstance(plan, Weight)
                 and (override is not None or self.options.embeddings
                      or not isinstance(plan, EmbeddingWeight)))
        entries = []
        for slot in found.slots:
            tensor = slot.tensor
            entry = self._entry(_join(prefix, slot.path), prefix, sub, layer, slot.owner,
                                slot.key, slot.is_buffer, plan, tensor, override is not None,
                                direct=False)
            entry.reparam = found
            entries.append((slot, entry))
        if not drawn:
            for _, entry in entries:
                self._undrawn_reparam(entry, found, plan)
            return
        found.check()
        main = next(e for s, e in entries if s.role in ("v", "original") and not s.is_buffer)
        self._draw(main, plan)  # type: ignore[arg-type]
        main.notes.append(found.note)
        for slot, entry in entries:
            if entry is main:
                continue
            if slot.role == "g":
                entry.state, entry.reason, entry.fans = "drawn", "weight_norm magnitude", main.fans
                entry.notes = [f"g = ||v|| per slice, written with {main.name}"]
            else:
                entry.state, entry.reason = "reset", "power iteration"
                entry.notes = [f"started afresh for {main.name}"]

    def _undrawn_reparam(self, e: Entry, found: rp.Reparam, plan: RulePlan | None) -> None:
        if found.kind == "other" and e.is_buffer:
            e.reason, e.notes = "buffer", [found.described]
        elif plan is None or found.kind == "other":
            e.state = "unhandled"
            e.reason = f"no rule for {e.layer}" if plan is None else found.described
            e.notes = [found.note if found.kind == "other" else self._advice(e)]
        else:
            e.reason = plan.reason if isinstance(plan, Keep) else "not drawn"
            e.notes = [f"{found.described}: left as is"]
        if e.fresh and e.state != "unhandled":
            e.state, e.reason = "unhandled", f"uninitialized {e.reason}"
            e.notes = ["holds no values yet (it was on meta); initialize it after init_model"]

    # -- ties and module resets -------------------------------------------------------------
    def _settle(self) -> list[nn.Module]:
        """Tied tensors get one writer; modules to reset are found; every record gets the last
        writer's state."""
        groups: dict[int, list[Entry]] = {}
        for e in self.entries:
            groups.setdefault(id(e.tensor), []).append(e)
        tied = [g for g in groups.values() if len(g) > 1]
        for group in tied:
            primary = next((e for e in group if e.action in ("draw", "reparam")),
                           next((e for e in group if e.action or e.wants_reset), group[0]))
            for e in group:
                if e is not primary:
                    e.tied_to, e.action = primary, ""
                    if e.wants_reset and primary.action in ("draw", "reparam"):
                        e.wants_reset = False
        resets: dict[int, nn.Module] = {}
        for e in self.entries:
            if e.wants_reset:
                resets.setdefault(id(e.module), e.module)
        for e in self.entries:
            if id(e.module) in resets and not e.action and reset_writes(e):
                target = e.tied_to or e
                if not target.action:
                    target.state, target.reason = "reset", target.reason or "reset"
                    target.notes = [f"{e.layer}.reset_parameters()"]
        for group in tied:
            primary = next(e for e in group if e.tied_to is None)
            for e in group:
                if e is not primary:
                    e.state, e.fans, e.distribution = primary.state, primary.fans, \
                        primary.distribution
                    e.reason = "tied"
                    e.notes = [f"the same tensor as {primary.name}, {primary.state} there"
                               if primary.state in xc.record.WRITTEN
                               else f"the same tensor as {primary.name}"]
                    primary.notes.append(f"also {e.name} (tied)")
        return list(resets.values())


def portable_keys(entries: list[Entry], generator: object) -> dict[int, xc.PortableKey]:
    """Each drawn tensor's model-level key, when ``generator`` is a :class:`PortableKey`:
    ``generator.for_tensor(layer, role)``, ``layer`` counting the layers with drawn tensors and
    ``role`` the drawn tensors within the layer, in definition order (torch Linear ``weight``:
    role 0; LSTM ``weight_ih_l0``, ``weight_hh_l0``: roles 0, 1, as Keras' ``kernel`` and
    ``recurrent_kernel``)."""
    if not isinstance(generator, xc.PortableKey):
        return {}
    layers: dict[str, list[Entry]] = {}
    for e in entries:
        if e.action in ("draw", "reparam") and e.tied_to is None:
            layers.setdefault(e.layer_path, []).append(e)
    return {id(e): generator.for_tensor(layer, role)
            for layer, drawn in enumerate(layers.values()) for role, e in enumerate(drawn)}


@dataclass
class Plan:
    """What ``init_model`` will do: checked by :meth:`check_writable`, done by :meth:`run`."""

    entries: list[Entry]
    resets: list[nn.Module]
    has_meta: bool
    options: Options

    def report(self) -> xc.InitReport:
        return xc.InitReport(e.record() for e in self.entries)

    def _written(self) -> list[Entry]:
        return [e for e in self.entries if e.tied_to is None and e.state in xc.record.WRITTEN]

    def check_writable(self) -> None:
        """Raise, before any write, for a tensor torch would refuse to write or draw."""
        generator = self.options.generator
        inference_mode = torch.is_inference_mode_enabled()
        for e in self._written():
            tensor = e.tensor
            if tensor.is_inference() and not inference_mode:
                raise xc.XavierError(
                    f"{e.name} was created under torch.inference_mode(), and torch refuses "
                    "in-place writes to it outside that mode: build the model outside "
                    "inference_mode, or call init_model inside it")
            draws = e.action in ("draw", "reparam") or e.reason == "power iteration"
            if not isinstance(generator, torch.Generator) or not draws:
                continue
            device = self.options.device if tensor.is_meta else tensor.device
            if device is not None and (device.type != generator.device.type or (
                    device.index is not None and generator.device.index is not None
                    and device.index != generator.device.index)):
                raise bad_argument(
                    "generator", generator,
                    f"a torch.Generator on the device of every tensor it draws ({e.name} is on "
                    f"{device}, the generator on {generator.device})")

    def run(self) -> None:
        """Write: module resets first, then every draw and fill, in module order."""
        generator = self.options.generator
        keys = portable_keys(self.entries, generator)
        for module in self.resets:
            module.reset_parameters()  # type: ignore[operator]
        with torch.no_grad():
            for e in self.entries:
                if not e.action or e.tied_to is not None:
                    continue
                source = keys.get(id(e), generator)
                if e.action == "draw":
                    tensor = e.tensor
                    fill_(tensor, e.distribution, source, layout=e.layout)  # type: ignore[arg-type]
                    if e.padding_idx is not None:
                        tensor[..., e.padding_idx, :].zero_()
                elif e.action == "reparam":
                    e.reparam.draw(e.distribution, source, layout=e.layout)  # type: ignore[union-attr,arg-type]
                else:
                    e.tensor.fill_(e.value)


