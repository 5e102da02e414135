"""Planning an ``init_params`` call: one :class:`Step` per array leaf, every check done, before
any value is computed or written.

Each leaf ends in one state of :mod:`xavier_core.record`. A weight of a known layer is drawn with
its layer's fans; a weight with more axes than its layer's (layers stacked by ``nn.scan``,
``nn.vmap``, ``nnx.vmap``, ``eqx.filter_vmap``) is drawn with ONE layer's fans: the shape one
layer sees is read from linen's trace, and the stacking axes of nnx and Equinox stacks are the
leading ones (their transforms put them there). Values are i.i.d., so the stacking axes only
count layers. Abstract leaves (``jax.ShapeDtypeStruct``, from ``eval_shape``) that are not drawn
get the framework's own initializer (``reset``) where it can be had, else are named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.jax.initializers import weight_dtype
from xavier_adapters.jax.layers import RULES
from xavier_adapters.jax.trees import Leaf, OwnInit, Path, Tree
from xavier_core.record import State
from xavier_core.rules import Bias, BiasPolicy, EmbeddingWeight, GainTable, Keep, Plan, Weight

if TYPE_CHECKING:
    import jax.numpy as jnp
else:
    jnp = require("jax.numpy", "jax")


@dataclass(frozen=True)
class Step:
    """One leaf: its record and how its new value is made (``action``: ``"draw"``, ``"fill"``,
    ``"own"`` (the framework's own initializer) or ``""``: left as it is)."""

    leaf: Leaf
    record: xc.InitRecord
    action: str = ""
    constant: float = 0.0
    own_init: OwnInit | None = None


@dataclass
class Owner:
    """The layer a leaf belongs to, and the plan its rule gives the leaf (None: no plan)."""

    layer: Any
    path: Path
    plan: Plan | None
    has_rule: bool


@dataclass
class Planner:
    """Turns each leaf into a :class:`Step`, collecting stacked weights it cannot read."""

    tree: Tree
    distribution: xc.DistributionName
    gains: GainTable
    bias: BiasPolicy
    embeddings: bool
    stride_aware: bool
    layouts: xc.GlobTable[xc.Layout]
    specs: dict[float, xc.VarianceScaling] = field(default_factory=dict)
    drawn_layers: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def plan(self) -> list[Step]:
        owners, layers = plan_owners(self.tree), dict(self.tree.layers)
        return [self.leaf(leaf, owners.get(leaf.path) or _nearest(leaf.path, layers))
                for leaf in self.tree.leaves]

    def leaf(self, leaf: Leaf, owner: Owner | None) -> Step:
        kind = "" if owner is None else type(owner.layer).__name__
        record = xc.InitRecord(leaf.name, kind, tuple(leaf.value.shape), "unhandled")
        if not jnp.issubdtype(leaf.value.dtype, jnp.inexact):
            return self.untouched(leaf, owner, _with(record, "kept", "not a float",
                                                     f"dtype {leaf.value.dtype}"))
        override = self.layouts.lookup(leaf.name) if self.layouts else None
        if override is not None:
            return self.weight(leaf, owner, record, Weight(override, "layout from layouts="),
                               override=True)
        if owner is None or not owner.has_rule:
            reason = f"no rule for {kind}" if kind else "no layer owns it"
            return self.untouched(leaf, owner, _with(record, "unhandled", reason))
        plan = owner.plan
        if plan is None:
            return self.untouched(leaf, owner, _with(
                record, "unhandled", f"no rule for this parameter of {kind}",
                f"parameter {leaf.path[-1]!r}"))
        if isinstance(plan, Keep):
            return self.untouched(leaf, owner, _with(record, "kept", plan.reason, plan.note))
        if isinstance(plan, Bias):
            state, constant, note = xc.rules.bias_outcome(self.bias)
            record = _with(record, state, "bias", _join(plan.note, note))  # type: ignore[arg-type]
            if constant is None:
                return self.untouched(leaf, owner, record)
            return Step(leaf, record, "fill", constant)
        return self.weight(leaf, owner, record, plan)

    def weight(self, leaf: Leaf, owner: Owner | None, record: xc.InitRecord, plan: Weight,
               override: bool = False) -> Step:
        if isinstance(plan, EmbeddingWeight) and not self.embeddings:
            return self.untouched(leaf, owner, _with(
                record, "kept", "embedding", _join(plan.note, "pass embeddings=True to draw it")))
        layout, notes = plan.layout, [plan.note]
        if layout.strides and not (self.stride_aware or override):
            layout = layout.with_(strides=())
        elif layout.strides and any(s > 1 for s in layout.strides):
            notes.append(f"strides {layout.strides}")
        shape = self.layer_shape(leaf, plan, notes, override)
        if shape is None:
            return Step(leaf, record)
        layer_path = "/".join(owner.path) if owner is not None else "/".join(leaf.path[:-1])
        gain = self.gains.lookup(layer_path)
        self.drawn_layers.append(layer_path)
        try:
            weight_dtype(leaf.value.dtype)
            resolved = self.spec(gain).resolve(shape, layout)
        except xc.XavierError as error:
            raise xc.XavierError(f"{leaf.name} ({record.layer}): {error}") from error
        if gain != 1.0:
            notes.append(f"gain {gain:.4g}")
        if layout in (xc.CHANNELS_LAST, xc.TORCH) and not override and owner is not None:
            base = "xc.CHANNELS_LAST" if layout == xc.CHANNELS_LAST else "xc.TORCH"
            notes.append(xc.rules.packed_hint(leaf.name, owner.path[-1] if owner.path else "",
                                              base))
        drawn = xc.InitRecord(record.name, record.layer, record.shape, "drawn", resolved.fans,
                              resolved.distribution, note=_join(*notes))
        return Step(leaf, drawn, "draw")

    def layer_shape(self, leaf: Leaf, plan: Weight, notes: list[str], override: bool
                    ) -> tuple[int, ...] | None:
        """The shape of ONE layer's weight (stacked layers: without the stacking axes), or None
        when the leaf is stacked in a way that cannot be read (noted in ``unreadable``)."""
        shape = tuple(leaf.value.shape)
        if override:
            return shape
        if leaf.layer_shape is not None and leaf.layer_shape != shape:  # linen's trace
            count = math.prod(shape) // max(math.prod(leaf.layer_shape), 1)
            notes.append(f"{count} stacked layers (nn.scan/nn.vmap): fans of one "
                         f"{leaf.layer_shape} layer")
            shape = leaf.layer_shape
        if plan.rank is None or len(shape) == plan.rank:
            return shape
        extra = len(shape) - plan.rank
        if extra > 0 and self.tree.kind in ("nnx", "equinox"):
            notes.append(f"{math.prod(shape[:extra])} stacked layers on the leading "
                         f"{extra} axis(es) ({self.tree.kind} vmap/scan): fans of one layer")
            return shape[extra:]
        fix = (f"layouts={{{leaf.name!r}: {xc.rules.layout_source(plan.layout.stacked(extra))}}}"
               if extra > 0 else "a layouts= entry with its layout")
        self.unreadable.append(f"  {leaf.name} (shape {shape}, a rank-{plan.rank} layer weight): "
                               f"{fix}")
        return None

    def untouched(self, leaf: Leaf, owner: Owner | None, record: xc.InitRecord) -> Step:
        """A leaf not drawn nor filled: as it is, or, if abstract, the framework's own values."""
        if not leaf.abstract:
            return Step(leaf, record)
        own = "the module's own initializer (abstract leaf from eval_shape)"
        if self.tree.own_values is not None:
            return Step(leaf, _reset(record, own), "own")
        own_init = None if owner is None else self.tree.own_init(leaf, owner.layer)
        if own_init is not None:
            return Step(leaf, _reset(record, own + "; its class's default"), "own",
                        own_init=own_init)
        return Step(leaf, _with(record, "unhandled", record.reason or "abstract leaf",
                                _join(record.note, "a jax.ShapeDtypeStruct from eval_shape that "
                                      "no initializer of the framework restores: build the "
                                      "model for real, or give it a rule or layouts= entry")))

    def spec(self, gain: float) -> xc.VarianceScaling:
        if gain not in self.specs:
            self.specs[gain] = xc.glorot(self.distribution, gain)
        return self.specs[gain]

    def check_readable(self) -> None:
        """ONE error listing every stacked weight whose layer axes cannot be read."""
        if self.unreadable:
            raise xc.XavierError(
                f"{len(self.unreadable)} weight(s) do not have the rank of their layer's weight "
                "(layers stacked by vmap or scan, on axes the framework does not record); pass "
                "the layouts= entries that say where the stacking axes are:\n"
                + "\n".join(self.unreadable))


def plan_owners(tree: Tree) -> dict[Path, Owner]:
    """``{leaf path: Owner}`` for every leaf a layer's rule names. Parents are read first, so a
    layer can claim its children's parameters (packed gates)."""
    found: dict[Path, Owner] = {}
    for layer_path, layer in sorted(tree.layers, key=lambda item: len(item[0])):
        rule = RULES.rule_for(layer)
        if rule is None:
            continue
        for relative, plan in rule(layer).items():
            label = f"the rule of {type(layer).__name__} for {relative!r}"
            found.setdefault(layer_path + tuple(relative.split("/")),
                             Owner(layer, layer_path, xc.rules.check_plan(label, plan), True))
    return found


def _nearest(path: Path, layers: Mapping[Path, Any]) -> Owner | None:
    """The deepest layer above ``path``, with no plan for it (its rule, if any, omits it)."""
    for cut in range(len(path) - 1, -1, -1):
        layer = layers.get(path[:cut])
        if layer is not None:
            return Owner(layer, path[:cut], None, RULES.rule_for(layer) is not None)
    return None


def _join(*notes: str) -> str:
    return "; ".join(filter(None, notes))


def _with(record: xc.InitRecord, state: State, reason: str, note: str = "") -> xc.InitRecord:
    return xc.InitRecord(record.name, record.layer, record.shape, state, reason=reason,
                         note=note)


def _reset(record: xc.InitRecord, note: str) -> xc.InitRecord:
    reason = record.reason if record.state != "unhandled" else "no rule: framework default"
    return _with(record, "reset", reason, _join(record.note, note))
