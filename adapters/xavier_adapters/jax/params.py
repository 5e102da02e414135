"""init_params: layer-aware init of a Flax (linen or nnx) or Equinox parameter tree.

A bare array carries no layer semantics, so ``kernel_init`` alone cannot know that a Flax Conv is
grouped or that nnx packs four LSTM gates in one kernel. ``init_params`` reads the layers
(:mod:`xavier_adapters.jax.layers`) and gives every weight the fans of DESIGN.md section 3.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.jax.initializers import draw
from xavier_adapters.jax.layers import Plan, Rules, equinox_rules, linen_rules, nnx_rules
from xavier_adapters.jax.sharding import leaf_sharding, zeros
from xavier_core.errors import bad_argument

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:
    jax = require("jax", "jax")
    jnp = require("jax.numpy", "jax")

Path = tuple[str, ...]
Rebuild = Callable[[dict[Path, Any]], Any]


@dataclass(frozen=True)
class TreeParam:
    """One parameter as found in a tree: where it is, which layer owns it, and what to do."""

    path: Path
    layer: str
    value: Any
    plan: Plan | None

    @property
    def name(self) -> str:
        return "/".join(self.path)


def init_params(
    params: Any,
    key: jax.Array,
    distribution: xc.DistributionName = "uniform",
    *,
    gain: float | str = 1.0,
    model: Any = None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    layouts: Mapping[str, xc.Layout] | None = None,
) -> tuple[Any, xc.InitReport]:
    """Glorot-initialize every weight of a known layer with that layer's fans; zero its biases.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), with grouped convolutions
    counted per group, packed gates per gate and transposed kernels the right way round (the
    layer table is in :mod:`xavier_adapters.jax.layers`). Parameters of other layers are left as
    they are and reported as ``unhandled``. Parameter ``p`` is drawn with
    ``jax.random.fold_in(key, crc32(p))``: its values depend on its name, not on the rest of the
    model.

    Args:
      params: an ``equinox.Module``, a ``flax.nnx.Module``, or the variables (or params) of a
        ``flax.linen`` model, which also needs ``model``; or any pytree, with ``layouts``.
        Leaves may be arrays or ``jax.ShapeDtypeStruct`` (a model built abstractly by
        ``jax.eval_shape(model.init, ...)`` or ``nnx.eval_shape``: nothing is drawn twice).
      key: a JAX PRNG key.
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      gain: a number, or a nonlinearity name for ``xavier_core.calculate_gain`` (``"relu"``).
      model: the ``flax.linen.Module`` that ``params`` belong to.
      args, kwargs: a linen model's inputs, to find its layers by an abstract trace of
        ``model.init`` (no values are computed). ``args`` may be arrays or ``ShapeDtypeStruct``;
        ``kwargs`` pass as they are (static flags such as ``train=False``).
      layouts: ``{"path/to/param": Layout}`` for weights of other layers; they win over the table.

    Returns:
      ``(new_params, report)``: a new tree of the same kind (the input is not modified) and an
      ``InitReport`` with one record per parameter; ``print(report)`` shows a table.

    Raises:
      XavierError: a bad distribution or gain, a plain pytree without ``model`` or ``layouts``, a
        ``model`` that is not a linen Module, a ``layouts`` entry that names no parameter, a
        weight whose rank does not fit its layer (layers stacked by vmap or scan: pass
        ``layouts``), or a weight dtype the spec cannot draw. Nothing is returned when it raises.

    Example:
      >>> import equinox as eqx, jax
      >>> cell = eqx.nn.LSTMCell(16, 32, key=jax.random.key(0))
      >>> cell, report = init_params(cell, jax.random.key(1), gain="tanh")
      >>> report["weight_ih"].fans                   # (4 * 32, 16): fans per gate
      Fans(fan_in=16, fan_out=32)
    """
    spec = xc.glorot(distribution, xc.calculate_gain(gain) if isinstance(gain, str) else gain)
    found, rebuild = _read(params, model, args, dict(kwargs or {}), plain=bool(layouts))
    found = _override(found, layouts or {})
    for param in found:
        _check_rank(param)
    steps = [_init_one(param, key, spec) for param in found]
    new = {param.path: value for param, (value, _) in zip(found, steps, strict=True)
           if value is not None}
    return rebuild(new), xc.InitReport(record for _, record in steps)


def plan_params(params: Any, *, model: Any = None, args: tuple[Any, ...] = (),
                kwargs: Mapping[str, Any] | None = None) -> dict[str, Plan]:
    """The plan of each parameter a layer rule knows: its layout (None for a bias), its rank.

    The same reading of the tree as :func:`init_params` (same arguments), for drawing another
    spec with a layer's layout, e.g. He's fan_in: ``Initializer(xc.he(), plan.layout)``.

    Example:
      >>> import equinox as eqx, jax
      >>> layout = plan_params(eqx.nn.Conv2d(32, 64, 3, groups=4, key=jax.random.key(0)))[
      ...     "weight"].layout
      >>> layout.in_axis, layout.out_axis, layout.groups
      (1, 0, 4)
    """
    found, _ = _read(params, model, args, dict(kwargs or {}), plain=True)
    return {param.name: param.plan for param in found if param.plan is not None}


def _init_one(param: TreeParam, key: jax.Array, spec: xc.VarianceScaling
              ) -> tuple[jax.Array | None, xc.InitRecord]:
    """The new value of ``param`` (None: leave it) and its record."""
    shape, plan = tuple(param.value.shape), param.plan
    record = partial(xc.InitRecord, param.name, param.layer, shape)
    if plan is None:
        why = f"{param.layer} is not in the layer table" if param.layer else "no known layer"
        return None, record("unhandled", reason=why)
    placed = leaf_sharding(param.value)  # a sharded leaf stays sharded, each shard on its device
    if plan.layout is None:
        return zeros(shape, param.value.dtype, placed), record("zeroed", note=plan.note)
    resolved = spec.resolve(shape, plan.layout)
    param_key = jax.random.fold_in(key, zlib.crc32(param.name.encode()))
    value = draw(resolved.distribution, param_key, shape, param.value.dtype, placed)
    return value, record("drawn", resolved.fans, resolved.distribution, note=plan.note)


def _check_rank(param: TreeParam) -> None:
    """Refuse a weight whose rank does not fit its layer's layout (stacked layers)."""
    plan, shape = param.plan, tuple(param.value.shape)
    if plan is not None and plan.layout is not None and len(shape) != plan.rank:
        raise xc.XavierError(
            f"{param.name} must have rank {plan.rank} as a {param.layer} weight, got shape "
            f"{shape}; for layers stacked by vmap or scan, pass "
            f"layouts={{{param.name!r}: Layout(..., batch_axis=0)}}")


def _override(found: list[TreeParam], layouts: Mapping[str, xc.Layout]) -> list[TreeParam]:
    """``found`` with the plans of the parameters named in ``layouts`` replaced."""
    names = [param.name for param in found]
    for name, layout in layouts.items():
        if name not in names:
            examples = ", ".join(repr(n) for n in names[:3])
            raise bad_argument("layouts", name, f"keyed by parameter paths such as {examples}")
        if not isinstance(layout, xc.Layout):
            raise bad_argument(f"layouts[{name!r}]", layout, "a xavier_core.Layout")
    return [
        replace(p, plan=Plan(layouts[p.name], len(p.value.shape), "layout given"))
        if p.name in layouts else p
        for p in found
    ]


def _read(params: Any, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
          plain: bool) -> tuple[list[TreeParam], Rebuild]:
    """The parameters of ``params`` with their plans, and how to rebuild the tree. A plain
    pytree (no model) is refused unless ``plain``: nothing in it says what its layers are."""
    equinox = sys.modules.get("equinox")  # a Module of a framework implies it is imported
    nnx = sys.modules.get("flax.nnx")
    if equinox is not None and isinstance(params, equinox.Module):
        _refuse_model(model, "an equinox.Module")
        return _equinox(params)
    if nnx is not None and isinstance(params, nnx.Module):
        _refuse_model(model, "a flax.nnx.Module")
        return _nnx(params)
    if model is not None:
        return _linen(params, model, args, kwargs)
    if not plain:
        raise bad_argument("model", model, "the flax.linen Module of these variables",
                           "a plain pytree carries no layer types; or pass layouts=")
    return _pytree(params)


def _refuse_model(model: Any, kind: str) -> None:
    if model is not None:
        raise bad_argument("model", type(model).__name__, "None", f"{kind} knows its layers")


def _names(path: Iterable[Any]) -> Path:
    """A jax key path as plain names: ``("layers", "0", "weight")``."""
    parts = []
    for entry in path:
        for attribute in ("key", "name", "idx"):
            if hasattr(entry, attribute):
                parts.append(str(getattr(entry, attribute)))
                break
        else:
            parts.append(str(entry))
    return tuple(parts)


def _is_float(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return hasattr(leaf, "shape") and dtype is not None and jnp.issubdtype(dtype, jnp.inexact)


def _collect(modules: Iterable[tuple[Path, Any]], leaves: Iterable[tuple[Path, Any]],
             rules_of: Callable[[Any], Rules]) -> list[TreeParam]:
    """Each float leaf with the plan its layer's rule gives it. Parents are read first, so a
    layer can claim its children's parameters (packed gates)."""
    owners: dict[Path, str] = {}
    plans: dict[Path, tuple[str, Plan]] = {}
    for module_path, module in sorted(modules, key=lambda item: len(item[0])):
        owners[module_path] = type(module).__name__
        for relative, plan in rules_of(module).items():
            plans.setdefault(module_path + relative, (type(module).__name__, plan))

    def owner(path: Path) -> str:
        prefixes = (path[:cut] for cut in range(len(path) - 1, -1, -1))
        return next((owners[p] for p in prefixes if p in owners), "")

    found = []
    for path, leaf in leaves:
        if _is_float(leaf):
            layer, plan = plans.get(path, (owner(path), None))
            found.append(TreeParam(path, layer, leaf, plan))
    return found


def _replacer(new: dict[Path, Any], strip: Callable[[Path], Path | None]) -> Callable[..., Any]:
    def replace_leaf(path: Any, leaf: Any) -> Any:
        name = strip(_names(path))
        return leaf if name is None else new.get(name, leaf)

    return replace_leaf


def _equinox(model: Any) -> tuple[list[TreeParam], Rebuild]:
    equinox = sys.modules["equinox"]

    def modules(node: Any, prefix: Path) -> Iterable[tuple[Path, Any]]:
        yield prefix, node
        children = jax.tree_util.tree_flatten_with_path(
            node, is_leaf=lambda x: x is not node and isinstance(x, equinox.Module))[0]
        for path, child in children:
            if isinstance(child, equinox.Module):
                yield from modules(child, prefix + _names(path))

    leaves = [(_names(p), leaf) for p, leaf in jax.tree_util.tree_flatten_with_path(model)[0]]
    found = _collect(modules(model, ()), leaves, equinox_rules)
    return found, lambda new: jax.tree_util.tree_map_with_path(
        _replacer(new, lambda name: name), model)


def _nnx(model: Any) -> tuple[list[TreeParam], Rebuild]:
    nnx = sys.modules["flax.nnx"]
    modules = [(tuple(map(str, path)), node) for path, node in nnx.iter_graph(model)
               if isinstance(node, nnx.Module)]
    graphdef, state, rest = nnx.split(model, nnx.Param, ...)
    # An nnx.Param holds its array one attribute down (.value): strip that last key.
    leaves = [(_names(p[:-1]), leaf) for p, leaf in jax.tree_util.tree_flatten_with_path(state)[0]]
    found = _collect(modules, leaves, nnx_rules)

    def rebuild(new: dict[Path, Any]) -> Any:
        replace_leaf = _replacer(new, lambda name: name[:-1])
        return nnx.merge(graphdef, jax.tree_util.tree_map_with_path(replace_leaf, state), rest)

    return found, rebuild


def _linen(variables: Any, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
           ) -> tuple[list[TreeParam], Rebuild]:
    nn = require("flax.linen", "flax")
    if not isinstance(model, nn.Module):
        raise bad_argument("model", type(model).__name__, "a flax.linen Module")
    nested = isinstance(variables, Mapping) and "params" in variables

    def strip(name: Path) -> Path | None:  # "params/Dense_0/kernel" -> "Dense_0/kernel"
        if not nested:
            return name
        return name[1:] if name[:1] == ("params",) else None

    leaves = [(strip(_names(p)), leaf)
              for p, leaf in jax.tree_util.tree_flatten_with_path(variables)[0]]
    found = _collect(_linen_modules(model, args, kwargs),
                     [(name, leaf) for name, leaf in leaves if name is not None], linen_rules)
    return found, lambda new: jax.tree_util.tree_map_with_path(_replacer(new, strip), variables)


def _linen_modules(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                   ) -> list[tuple[Path, Any]]:
    """Every module ``model.init(key, *args, **kwargs)`` calls, by path, from an abstract trace."""
    nn = require("flax.linen", "flax")
    seen: dict[Path, Any] = {}

    def record(next_fun: Callable[..., Any], call_args: Any, call_kwargs: Any, context: Any
               ) -> Any:
        seen.setdefault(tuple(context.module.path), context.module)
        return next_fun(*call_args, **call_kwargs)

    with nn.intercept_methods(record):
        jax.eval_shape(partial(model.init, **kwargs), jax.random.key(0), *args)
    return list(seen.items())


def _pytree(params: Any) -> tuple[list[TreeParam], Rebuild]:
    leaves = [(_names(p), leaf) for p, leaf in jax.tree_util.tree_flatten_with_path(params)[0]]
    found = [TreeParam(path, "", leaf, None) for path, leaf in leaves if _is_float(leaf)]
    return found, lambda new: jax.tree_util.tree_map_with_path(
        _replacer(new, lambda name: name), params)
