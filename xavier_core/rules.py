"""Layer rules and overrides, one shape for every adapter.

A *rule* reads one layer object and says what each parameter it owns is: a :class:`Weight` drawn
from the spec with the fans of its :class:`~xavier_core.Layout`, a :class:`Bias` set by the bias
policy, or something to :class:`Keep` as it is (a norm scale). Each adapter holds one
:class:`RuleRegistry` of its framework's layers, public so that users add their own::

    from xavier_adapters import torch as xt
    import xavier_core as xc

    @xt.RULES.register("Conv1D")                 # by class name: no import of transformers
    def gpt2_conv1d(module):
        return {"weight": xc.rules.Weight(xc.CHANNELS_LAST), "bias": xc.rules.Bias()}

and a :class:`GlobTable` reads the ``layouts=`` (and ``gain=``) overrides keyed by parameter-path
or layer-path globs, the first matching key winning::

    layouts={"*.attn.qkv.weight": xc.TORCH.with_(blocks=3)}
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Generic, Literal, TypeVar

from xavier_core.errors import XavierError, bad_argument
from xavier_core.fans import (
    CHANNELS_LAST,
    DEPTHWISE_CHANNELS_LAST,
    KERAS_TRANSPOSED,
    TORCH,
    TORCH_TRANSPOSED,
    Layout,
)
from xavier_core.gain import NONLINEARITIES, calculate_gain

T = TypeVar("T")


@dataclass(frozen=True)
class Weight:
    """A weight drawn from the spec, its fans read from its shape through ``layout``.

    ``rank`` is the rank of one layer's weight (None: any); a weight with more axes holds layers
    stacked on its leading axes (``nn.scan``, ``vmap``), which are then batch axes.
    """

    layout: Layout
    note: str = ""
    rank: int | None = None


@dataclass(frozen=True)
class EmbeddingWeight(Weight):
    """An embedding table, read through ``layout`` as a ``(num, dim)`` = ``(in, out)`` map: drawn
    only when the caller opts in (``embeddings=True``), else kept with the reason
    ``"embedding"``."""


@dataclass(frozen=True)
class Bias:
    """A bias, or any additive offset: set by the bias policy."""

    note: str = ""


@dataclass(frozen=True)
class Keep:
    """Not a Glorot weight, left as it is on purpose; ``reason`` is what the report counts."""

    reason: str
    note: str = ""


Plan = Weight | Bias | Keep
Rule = Callable[[Any], Mapping[str, Plan]]
"""A rule: one layer object -> ``{parameter path relative to the layer: plan}``."""
LayerKey = type | str


class RuleRegistry:
    """Layer types (or class names) -> rules, looked up along the layer's class hierarchy.

    A key is a class, a qualified class name (``"transformers.pytorch_utils.Conv1D"``) or a bare
    class name (``"Conv1D"``): names let a rule cover a framework's optional dependency without
    importing it. For each class of ``type(layer).__mro__`` in order, the class itself, its
    qualified name and its bare name are tried, so a subclass's rule wins over its base's.
    """

    def __init__(self, framework: str, rules: Mapping[LayerKey, Rule] | None = None) -> None:
        self.framework = framework
        self._rules: dict[LayerKey, Rule] = {}
        for key, rule in (rules or {}).items():
            self.register(key, rule)

    def register(self, layer: LayerKey, rule: Rule | None = None) -> Any:
        """Add (or replace) the rule of ``layer``; without ``rule``, a decorator.

        Raises:
          XavierError: ``layer`` is neither a class nor a class name, or ``rule`` not callable.
        """
        if not isinstance(layer, (type, str)) or layer == "":
            raise bad_argument("layer", layer, "a class or a class name")
        if rule is None:
            return lambda function: self.register(layer, function) or function
        if not callable(rule):
            raise bad_argument("rule", rule, "a callable: layer -> {parameter: plan}")
        self._rules[layer] = rule
        return None

    def unregister(self, layer: LayerKey) -> None:
        """Remove the rule of ``layer`` (a KeyError-free no-op when there is none)."""
        self._rules.pop(layer, None)

    def rule_for(self, layer: object) -> Rule | None:
        """The rule for the object ``layer``, or None when no class of its type has one."""
        return self.rule_for_class(type(layer))

    def rule_for_class(self, layer_class: type) -> Rule | None:
        """The rule for objects of ``layer_class``, looked up along its class hierarchy."""
        for cls in layer_class.__mro__:
            for key in (cls, f"{cls.__module__}.{cls.__qualname__}", cls.__name__):
                if key in self._rules:
                    return self._rules[key]
        return None

    def rule_for_name(self, name: str) -> Rule | None:
        """The rule registered under the class name ``name`` (bare or qualified), or of a
        registered class of that bare name; None when there is none. For layers whose class
        is known only by name (a TorchScript module's ``original_name``)."""
        if name in self._rules:
            return self._rules[name]
        return next((rule for key, rule in self._rules.items()
                     if isinstance(key, type) and key.__name__ == name), None)

    def __contains__(self, layer: object) -> bool:
        return layer in self._rules

    def __iter__(self) -> Iterator[LayerKey]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        names = [k if isinstance(k, str) else k.__name__ for k in self._rules]
        return f"RuleRegistry({self.framework!r}, {len(names)} rules: {', '.join(names)})"


class GlobTable(Generic[T]):
    """``{fnmatch pattern: value}``; :meth:`lookup` gives the value of the first matching key.

    Args:
      mapping: the user's mapping (None: empty).
      name: the argument's name, for error messages (``"layouts"``).
      check_value: turns each value into a checked ``T`` or raises; it gets ``(label, value)``
        with ``label`` such as ``"layouts['*.qkv.weight']"``.

    Raises:
      XavierError: ``mapping`` is not a mapping, a key is not a string, or a value is refused.
    """

    def __init__(self, mapping: Mapping[str, Any] | None, name: str,
                 check_value: Callable[[str, Any], T]) -> None:
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, Mapping):
            raise bad_argument(name, mapping, "a mapping from path globs (fnmatch) to values")
        self.name = name
        self.items: list[tuple[str, T]] = []
        for key, value in mapping.items():
            if not isinstance(key, str):
                raise bad_argument(f"{name} key", key, "a string: a path or an fnmatch glob")
            self.items.append((key, check_value(f"{name}[{key!r}]", value)))
        self._used: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.items)

    def lookup(self, path: str) -> T | None:
        """The value of the first key that matches ``path``, or None."""
        for pattern, value in self.items:
            if fnmatchcase(path, pattern):
                self._used.add(pattern)
                return value
        return None

    def check_all_used(self, paths: Iterable[str]) -> None:
        """Raise if a key matched none of ``paths`` (a typo, or shadowed by an earlier key).

        Call it after every path was looked up, before anything is written.
        """
        paths = list(paths)
        unused = [pattern for pattern, _ in self.items if pattern not in self._used]
        if not unused:
            return
        problems = []
        for pattern in unused:
            hits = [p for p in paths if fnmatchcase(p, pattern)]
            if hits:
                winner = next(k for k, _ in self.items if fnmatchcase(hits[0], k))
                problems.append(f"{pattern!r} matches {hits[0]!r} but the earlier key "
                                f"{winner!r} wins there (the first matching key wins: put the "
                                "more specific key first)")
            else:
                problems.append(f"{pattern!r} matches nothing")
        shown = ", ".join(repr(p) for p in paths[:6]) + (", ..." if len(paths) > 6 else "")
        raise XavierError(f"{self.name} keys must each match a path, got " + "; ".join(problems)
                          + f"; the paths are: {shown or 'none'}")


def check_layout(label: str, value: object) -> Layout:
    """``value`` if it is a :class:`~xavier_core.Layout`, else a clear error naming ``label``."""
    if not isinstance(value, Layout):
        raise bad_argument(label, value, "a xavier_core.Layout, e.g. xc.TORCH.with_(blocks=3)")
    return value


def layout_table(layouts: Mapping[str, Any] | None) -> GlobTable[Layout]:
    """The ``layouts=`` argument of a model-level init, checked."""
    return GlobTable(layouts, "layouts", check_layout)


Gain = float | str | Mapping[str, float | str]
"""What ``gain=`` of a model-level init accepts: a number, a nonlinearity name, or a mapping from
layer-path globs to either."""


def check_one_gain(label: str, value: object) -> float:
    """``value`` as a gain: a finite number >= 0, or a nonlinearity name for
    :func:`~xavier_core.calculate_gain`; else an error naming ``label``."""
    if isinstance(value, str):
        if value not in NONLINEARITIES:
            raise bad_argument(label, value, f"a nonlinearity name ({', '.join(NONLINEARITIES)})"
                               " or a finite number >= 0")
        return calculate_gain(value)
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value) or value < 0):
        raise bad_argument(label, value, "a finite number >= 0 or a nonlinearity name "
                           f"({', '.join(NONLINEARITIES)})")
    return float(value)


class GainTable:
    """The ``gain=`` argument of a model-level init: one gain for every layer, or the first
    matching key of a mapping of layer-path globs (layers no key matches get gain 1).

    Example:
      >>> table = GainTable({"encoder.*": "tanh"})
      >>> round(table.lookup("encoder.0"), 4), table.lookup("head")
      (1.6667, 1.0)
    """

    def __init__(self, gain: Gain) -> None:
        self.per_layer = isinstance(gain, Mapping)
        self.single = 1.0 if self.per_layer else check_one_gain("gain", gain)
        self.table: GlobTable[float] = GlobTable(
            gain if isinstance(gain, Mapping) else None, "gain", check_one_gain)

    def lookup(self, layer: str) -> float:
        """The gain of the layer at path ``layer``."""
        if not self.per_layer:
            return self.single
        found = self.table.lookup(layer)
        return 1.0 if found is None else found

    def check_all_used(self, layers: Iterable[str]) -> None:
        """With a mapping, raise if a key matched none of ``layers`` (the layers with weights)."""
        if self.per_layer:
            self.table.check_all_used(layers)


BiasPolicy = Literal["zeros", "keep"] | float
"""What ``bias=`` of a model-level init accepts: ``"zeros"``, ``"keep"`` or a constant."""


def check_bias_policy(bias: object) -> BiasPolicy:
    """``bias`` if it is ``"zeros"``, ``"keep"`` or a finite number (as a float), else an error."""
    if isinstance(bias, str) and bias in ("zeros", "keep"):
        return bias  # type: ignore[return-value]
    if isinstance(bias, numbers.Real) and not isinstance(bias, bool) and math.isfinite(bias):
        return float(bias)
    raise bad_argument("bias", bias, "'zeros', 'keep' or a finite number (a constant fill)")


def bias_outcome(policy: BiasPolicy) -> tuple[str, float | None, str]:
    """What ``policy`` does to a bias: ``(state, constant to write or None, note)``.

    Example:
      >>> bias_outcome("keep"), bias_outcome("zeros"), bias_outcome(0.1)
      (('kept', None, "bias='keep'"), ('zeroed', 0.0, ''), ('filled', 0.1, 'constant 0.1'))
    """
    if policy == "keep":
        return "kept", None, "bias='keep'"
    if policy == "zeros":
        return "zeroed", 0.0, ""
    return "filled", float(policy), f"constant {float(policy):g}"


PACKED_NAMES: dict[str, int] = {
    "qkv": 3, "in_proj": 3, "c_attn": 3, "qkv_proj": 3, "query_key_value": 3, "wqkv": 3,
    "gate_up_proj": 2, "gate_up": 2, "w13": 2, "kv": 2, "kv_proj": 2,
}
"""Layer names that usually hold packed weights (q/k/v, gate/up), with their usual block count."""


def packed_hint(path: str, layer_name: str, base: str) -> str:
    """A note for a weight whose layer name says it may hold weights packed side by side, with
    the ``layouts=`` entry that says so; empty when the name does not look packed.

    It never changes fans: only the user knows. ``path`` is the weight's path, ``layer_name``
    the last part of its layer's path, ``base`` the expression of its layout (``"xc.TORCH"``);
    layer numbers in the path become ``*`` so that one entry covers every block of a model.

    Example:
      >>> packed_hint("blocks.0.attn.qkv.weight", "qkv", "xc.TORCH").split("pass ")[1]
      "layouts={'blocks.*.attn.qkv.weight': xc.TORCH.with_(blocks=3)}"
    """
    name = layer_name.lower()
    blocks = next((n for key, n in PACKED_NAMES.items()
                   if name == key or name.endswith("_" + key)), None)
    if blocks is None:
        return ""
    parts = re.split(r"([./])", path)  # separators kept; "layers_11" -> "layers_*", "0" -> "*"
    glob = "".join(re.sub(r"(^|_)\d+$", r"\1*", part) for part in parts)
    return (f"looks packed ({layer_name}); if so, pass layouts={{{glob!r}: "
            f"{base}.with_(blocks={blocks})}}")


NAMED_LAYOUTS: dict[str, Layout] = {
    "TORCH": TORCH, "TORCH_TRANSPOSED": TORCH_TRANSPOSED, "CHANNELS_LAST": CHANNELS_LAST,
    "KERAS_TRANSPOSED": KERAS_TRANSPOSED, "DEPTHWISE_CHANNELS_LAST": DEPTHWISE_CHANNELS_LAST,
}


def layout_source(layout: Layout, prefix: str = "xc.") -> str:
    """``layout`` as the Python expression a user would write, from the nearest named layout:
    ``xc.TORCH.with_(blocks=3)``; for hints that give a ``layouts=`` entry.

    Example:
      >>> layout_source(TORCH.stacked(1))
      'xc.TORCH.with_(in_axis=2, out_axis=1, batch_axis=(0,))'
    """
    def changes(base: Layout) -> dict[str, object]:
        return {k: v for k, v in layout.__dict__.items() if base.__dict__[k] != v}

    name, base = min(NAMED_LAYOUTS.items(), key=lambda item: len(changes(item[1])))
    diff = changes(base)
    if not diff:
        return f"{prefix}{name}"
    return f"{prefix}{name}.with_({', '.join(f'{k}={v!r}' for k, v in diff.items())})"


def check_plan(label: str, plan: object) -> Plan:
    """``plan`` if it is a :class:`Weight`, :class:`Bias` or :class:`Keep`, else an error."""
    if not isinstance(plan, (Weight, Bias, Keep)):
        raise bad_argument(label, plan, "a xavier_core.rules Weight, Bias or Keep")
    return plan
