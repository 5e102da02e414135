"""Reading a Flax (linen, nnx), Equinox or plain parameter tree: its layers, its leaves, and how
to write new leaf values back (a new tree, or nnx Variables set in place).

Nothing here decides what a leaf becomes (that is :mod:`xavier_adapters.jax.plan`).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from xavier_adapters._require import require
from xavier_core.errors import bad_argument

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:
    jax = require("jax", "jax")
    jnp = require("jax.numpy", "jax")

Path = tuple[str, ...]
OwnInit = Callable[[jax.Array, tuple[int, ...], Any], jax.Array]
"""A framework's own initializer of one leaf: ``(key, shape, dtype) -> array``."""


@dataclass
class Leaf:
    """One array leaf of the tree.

    ``path`` is the leaf's path relative to the model's layers (what rules and globs see),
    ``name`` what the report calls it (linen collections other than params are prefixed),
    ``layer_shape`` the shape one layer sees, where the framework's trace recorded it (linen:
    differs from ``value.shape`` for layers stacked by ``nn.scan``/``nn.vmap``).
    """

    key: Any
    path: Path
    name: str
    value: Any
    layer_shape: tuple[int, ...] | None = None

    @property
    def abstract(self) -> bool:
        """Is the leaf a ``jax.ShapeDtypeStruct`` (a model built by ``eval_shape``)?"""
        return isinstance(self.value, jax.ShapeDtypeStruct)


@dataclass
class Tree:
    """A read tree: its layers by path, its array leaves, and how to write new values.

    ``write(new)`` takes ``{leaf.key: value}`` and returns the tree to give back;
    ``own_init(leaf, layer)`` is the framework's own initializer of a leaf, if it can be had;
    ``own_values(key)`` computes every leaf the framework's own way at once (linen).
    """

    kind: str
    layers: list[tuple[Path, Any]]
    leaves: list[Leaf]
    write: Callable[[dict[Any, Any]], Any]
    own_init: Callable[[Leaf, Any], OwnInit | None] = lambda leaf, layer: None
    own_values: Callable[[jax.Array], dict[Any, Any]] | None = None
    note: str = field(default="")


def names(path: Iterable[Any]) -> Path:
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


def is_array(leaf: Any) -> bool:
    return hasattr(leaf, "shape") and hasattr(leaf, "dtype")


def read(params: Any, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tree:
    """The :class:`Tree` of ``params``: an Equinox or nnx Module, linen variables with their
    ``model``, or any pytree (no layers)."""
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
    return _pytree(params)


def _refuse_model(model: Any, kind: str) -> None:
    if model is not None:
        raise bad_argument("model", type(model).__name__, "None", f"{kind} knows its layers")


def _joined(path: Path) -> str:
    return "/".join(path)


def _equinox(model: Any) -> Tree:
    equinox = sys.modules["equinox"]

    def modules(node: Any, prefix: Path) -> Iterable[tuple[Path, Any]]:
        yield prefix, node
        children = jax.tree_util.tree_flatten_with_path(
            node, is_leaf=lambda x: x is not node and isinstance(x, equinox.Module))[0]
        for path, child in children:
            if isinstance(child, equinox.Module):
                yield from modules(child, prefix + names(path))

    flat, treedef = jax.tree_util.tree_flatten_with_path(model)
    leaves = [Leaf(index, names(p), _joined(names(p)), leaf)
              for index, (p, leaf) in enumerate(flat) if is_array(leaf)]

    def write(new: dict[Any, Any]) -> Any:
        values = [new.get(index, leaf) for index, (_, leaf) in enumerate(flat)]
        return jax.tree_util.tree_unflatten(treedef, values)

    return Tree("equinox", list(modules(model, ())), leaves, write)


_NNX_STATISTICS = {"mean": jnp.zeros, "var": jnp.ones}


def _nnx_own_init(leaf: Leaf, layer: Any) -> OwnInit | None:
    """The initializer an nnx layer's class uses by default for ``leaf`` (nnx stores none)."""
    nnx = sys.modules["flax.nnx"]
    name = leaf.path[-1]
    if isinstance(layer, nnx.BatchNorm) and name in _NNX_STATISTICS:
        fill = _NNX_STATISTICS[name]
        return lambda key, shape, dtype: fill(shape, dtype)
    try:
        parameter = inspect.signature(type(layer).__init__).parameters.get(f"{name}_init")
    except (TypeError, ValueError):
        return None
    if parameter is None or not callable(parameter.default):
        return None
    return parameter.default  # type: ignore[no-any-return]


def _nnx(model: Any) -> Tree:
    nnx = sys.modules["flax.nnx"]
    layers: list[tuple[Path, Any]] = []
    leaves: list[Leaf] = []
    variables: list[Any] = []
    for raw, node in nnx.iter_graph(model):
        path = tuple(map(str, raw))
        if isinstance(node, nnx.Module):
            layers.append((path, node))
        elif isinstance(node, nnx.Variable):
            value = node.get_value()
            if is_array(value):
                leaves.append(Leaf(len(variables), path, _joined(path), value))
                variables.append(node)

    def write(new: dict[Any, Any]) -> Any:
        for index, value in new.items():  # every value is computed: nothing here can fail
            variables[index].set_value(value)
        return model

    return Tree("nnx", layers, leaves, write, _nnx_own_init)


def _linen(variables: Any, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tree:
    nn = require("flax.linen", "flax")
    if not isinstance(model, nn.Module):
        raise bad_argument("model", type(model).__name__, "a flax.linen Module")
    nested = isinstance(variables, Mapping) and "params" in variables

    def is_box(x: Any) -> bool:  # nn.Partitioned and the like
        return isinstance(x, nn.meta.AxisMetadata)

    flat, treedef = jax.tree_util.tree_flatten_with_path(variables, is_leaf=is_box)
    layers, shapes = _linen_trace(model, args, kwargs)
    leaves = []
    for index, (p, leaf) in enumerate(flat):
        value = leaf.unbox() if is_box(leaf) else leaf
        if not is_array(value):
            continue
        full = names(p)
        collection, path = (full[0], full[1:]) if nested else ("params", full)
        name = _joined(path) if collection == "params" else _joined(full)
        leaves.append(Leaf(index, path, name, value, shapes.get((collection, *path))))

    def write(new: dict[Any, Any]) -> Any:
        values = []
        for index, (_, leaf) in enumerate(flat):
            if index not in new:
                values.append(leaf)
            else:
                values.append(leaf.replace_boxed(new[index]) if is_box(leaf) else new[index])
        return jax.tree_util.tree_unflatten(treedef, values)

    def own_values(key: jax.Array) -> dict[Any, Any]:
        concrete = jax.tree_util.tree_map(
            lambda a: jnp.zeros(a.shape, a.dtype) if isinstance(a, jax.ShapeDtypeStruct) else a,
            args)
        fresh = jax.jit(partial(model.init, **kwargs))(key, *concrete)
        fresh_flat = jax.tree_util.tree_flatten_with_path(fresh, is_leaf=is_box)[0]
        by_path = {names(p): (v.unbox() if is_box(v) else v) for p, v in fresh_flat}
        if not nested:
            by_path = {k[1:]: v for k, v in by_path.items() if k[:1] == ("params",)}
        return {index: by_path[names(p)] for index, (p, _) in enumerate(flat)
                if names(p) in by_path}

    return Tree("linen", layers, leaves, write, own_values=own_values)


def _linen_trace(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                 ) -> tuple[list[tuple[Path, Any]], dict[Path, tuple[int, ...]]]:
    """Every module ``model.init(key, *args, **kwargs)`` calls, by path, and the shape each
    variable has inside its module (one layer's, under ``nn.scan``/``nn.vmap``), from one
    abstract trace: no values are computed."""
    nn = require("flax.linen", "flax")
    seen: dict[Path, Any] = {}
    shapes: dict[Path, tuple[int, ...]] = {}
    depth: dict[Path, int] = {}

    def record(next_fun: Callable[..., Any], call_args: Any, call_kwargs: Any, context: Any
               ) -> Any:
        out = next_fun(*call_args, **call_kwargs)
        module = context.module
        path = tuple(module.path)
        seen.setdefault(path, module)
        inner = jax.tree_util.tree_flatten_with_path(
            module.variables, is_leaf=lambda x: isinstance(x, nn.meta.AxisMetadata))[0]
        for p, value in inner:
            value = value.unbox() if isinstance(value, nn.meta.AxisMetadata) else value
            full = names(p)
            key = (full[0], *path, *full[1:])
            if is_array(value) and depth.get(key, -1) <= len(path):
                shapes[key], depth[key] = tuple(value.shape), len(path)
        return out

    with nn.intercept_methods(record):
        jax.eval_shape(partial(model.init, **kwargs), jax.random.key(0), *args)
    return list(seen.items()), shapes


def _pytree(params: Any) -> Tree:
    flat, treedef = jax.tree_util.tree_flatten_with_path(params)
    leaves = [Leaf(index, names(p), _joined(names(p)), leaf)
              for index, (p, leaf) in enumerate(flat) if is_array(leaf)]

    def write(new: dict[Any, Any]) -> Any:
        values = [new.get(index, leaf) for index, (_, leaf) in enumerate(flat)]
        return jax.tree_util.tree_unflatten(treedef, values)

    return Tree("pytree", [], leaves, write)
