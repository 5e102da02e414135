"""init_params: layer-aware init of a Flax (linen or nnx) or Equinox model, on the model-level
contract of :mod:`xavier_core.record` (the same as torch's and Keras' ``init_model``).

A bare array carries no layer semantics, so ``kernel_init`` alone cannot know that a Flax Conv is
grouped or that nnx packs four LSTM gates in one kernel. ``init_params`` reads the layers
(:data:`xavier_adapters.jax.layers.RULES`) and gives every weight the fans of DESIGN.md
section 3. The tree is read by :mod:`~xavier_adapters.jax.trees` and planned by
:mod:`~xavier_adapters.jax.plan`; every check is done and every new value computed before the
first one is written.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.jax.initializers import draw
from xavier_adapters.jax.layers import ensure_builtin_rules
from xavier_adapters.jax.plan import Planner, Step, plan_owners
from xavier_adapters.jax.sharding import leaf_sharding, zeros
from xavier_adapters.jax.trees import Tree, read
from xavier_core.errors import bad_argument
from xavier_core.rules import BiasPolicy, Gain, GainTable, Plan, Weight

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:
    jax = require("jax", "jax")
    jnp = require("jax.numpy", "jax")

WHAT_TO_DO = (
    "Each line says what fixes it: register a rule for the layer "
    "(xj.RULES.register(class or class name, rule)), give a weight its layout "
    "(init_params(..., layouts={path glob: layout})), or initialize the leaf yourself after "
    "init_params.")
STRICT_HINT = (" init_params(..., strict=True) makes this an error, raised before anything is "
               "written.")
RESET_SALT = 0x5E5E7
"""Folded into the key for the framework's own initializers, apart from the drawn weights."""

_FRAMEWORK_OF_KIND = {"linen": "flax.linen", "nnx": "flax.nnx", "equinox": "equinox"}


def init_params(
    params: Any,
    key: jax.Array,
    distribution: xc.DistributionName = "uniform",
    *,
    model: Any = None,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    gain: Gain = 1.0,
    bias: BiasPolicy = "zeros",
    embeddings: bool = False,
    layouts: Mapping[str, xc.Layout] | None = None,
    stride_aware: bool = True,
    strict: bool = False,
) -> tuple[Any, xc.InitReport]:
    """Glorot-initialize every weight of a known layer with that layer's fans, and say what became
    of every other leaf.

    Var[W] = gain^2 * 2 / (fan_in + fan_out) (Glorot & Bengio, 2010), with the fans read per
    layer type by the rules of :data:`xavier_adapters.jax.RULES` (the table is in
    :mod:`xavier_adapters.jax.layers`): grouped convolutions per group, packed gates per gate,
    transposed kernels the right way round, strided convolutions stride-aware. Weight ``p`` is
    drawn with ``jax.random.fold_in(key, crc32(p))``: its values depend on its name, not on the
    rest of the model, and two weights of one call never share a stream.

    Every array leaf ends in one state (``xavier_core.record``): ``drawn`` (with its fans),
    ``zeroed``/``filled`` (a bias, by ``bias``), ``reset`` (an abstract leaf given the framework's
    own initializer), ``kept`` with a reason (norm scales and running statistics, embeddings
    unless asked, integer leaves) or ``unhandled`` (no rule knows it): those are warned about
    (``xavier_core.UnhandledWarning``) with what to do.

    Layers stacked by ``nn.scan``/``nn.vmap`` (the shape of one layer read from linen's trace),
    ``nnx.vmap``/``nnx.scan`` or ``eqx.filter_vmap`` (the leading axes) are drawn with one layer's
    fans; a stacked weight that cannot be read is refused, in ONE error that lists every such
    weight with the ``layouts=`` entry that fixes it.

    Args:
      params: an ``equinox.Module``, a ``flax.nnx.Module``, or the variables (or params) of a
        ``flax.linen`` model, which also needs ``model``; or any pytree, with ``layouts``.
        Leaves may be ``jax.ShapeDtypeStruct`` (a model built by ``jax.eval_shape(model.init,
        ...)`` or ``nnx.eval_shape``): afterwards none is left abstract but those named as
        unhandled.
      key: a JAX PRNG key.
      distribution: ``"uniform"``, ``"normal"`` (untruncated) or ``"truncated_normal"``.
      model: the ``flax.linen.Module`` that ``params`` belong to.
      args, kwargs: a linen model's inputs, to find its layers by an abstract trace of
        ``model.init`` (no values are computed). ``args`` may be arrays or ``ShapeDtypeStruct``;
        ``kwargs`` pass as they are (static flags such as ``train=False``).
      gain: a number, a nonlinearity name for ``xavier_core.calculate_gain`` (``"relu"``), or
        a mapping from layer-path globs (``"encoder/*"``, fnmatch) to either.
      bias: ``"zeros"`` (default), ``"keep"``, or a number every bias is filled with.
      embeddings: also draw embedding tables (Flax ``Embed``, Equinox ``Embedding``), reading
        ``(num, dim)`` as ``(in, out)``, as torch's ``init_model`` does.
      layouts: ``{parameter-path glob: xavier_core.Layout}``, winning over every rule (the layout
        covers the whole leaf, stacking axes as batch axes); a key that matches no leaf is an
        error.
      stride_aware: a strided convolution's fans count what each unit really feeds (README,
        "Strided convolutions"); False reads fans as Flax and Equinox do.
      strict: raise, before anything is written, if any leaf would be unhandled.

    Returns:
      ``(new_params, report)``: for linen and Equinox a new tree (the input is not modified);
      an nnx Module is updated in place and returned. ``report`` is an ``InitReport``, one
      record per array leaf; ``print(report)`` shows a summary line and a table.

    Raises:
      XavierError: a bad distribution, gain, bias, flag or layout; a plain pytree without
        ``model`` or ``layouts``; a ``model`` that is not a linen Module; a ``layouts`` or
        ``gain`` key that matches nothing; stacked weights that cannot be read; a weight dtype
        the spec cannot draw; with ``strict=True``, any unhandled leaf. Nothing is written (no
        nnx Variable changes) when it raises.

    Example:
      >>> import equinox as eqx, jax
      >>> cell = eqx.nn.LSTMCell(16, 32, key=jax.random.key(0))
      >>> cell, report = init_params(cell, jax.random.key(1), gain="tanh")
      >>> report["weight_ih"].fans                   # (4 * 32, 16): fans per gate
      Fans(fan_in=16, fan_out=32)
      >>> report.summary()
      '3 tensors: 2 drawn, 1 zeroed (bias 1), 0 unhandled'
    """
    xc.glorot(distribution)  # checks the name
    planner, tree = _planner(params, model, args, kwargs, gain, bias, embeddings, layouts,
                             stride_aware, plain=layouts is not None, distribution=distribution)
    strict = _check_flag("strict", strict)
    steps = planner.plan()
    planner.check_readable()
    planner.layouts.check_all_used([step.leaf.name for step in steps])
    planner.gains.check_all_used(planner.drawn_layers)
    report = xc.InitReport(step.record for step in steps)
    if strict and report.unhandled:
        raise xc.XavierError("strict=True: " + report.unhandled_message(WHAT_TO_DO))
    new = _values(tree, steps, key)  # every value computed before the first is written
    result = tree.write(new)
    report.warn_unhandled(WHAT_TO_DO + STRICT_HINT)
    return result, report


def plan_params(params: Any, *, model: Any = None, args: tuple[Any, ...] = (),
                kwargs: Mapping[str, Any] | None = None,
                layouts: Mapping[str, xc.Layout] | None = None,
                stride_aware: bool = True) -> dict[str, Plan]:
    """What :func:`init_params` would do to each leaf a rule (or ``layouts``) knows: a
    ``xavier_core.rules`` plan (``Weight`` with its layout, ``Bias``, ``Keep``), by leaf name.

    The same reading of the tree as :func:`init_params` (same arguments), for drawing another
    spec with a layer's layout, e.g. He's fan_in: ``Initializer(xc.he(), plan.layout)``.

    Example:
      >>> import equinox as eqx, jax
      >>> layout = plan_params(eqx.nn.Conv2d(32, 64, 3, groups=4, key=jax.random.key(0)))[
      ...     "weight"].layout
      >>> layout.in_axis, layout.out_axis, layout.groups
      (1, 0, 4)
    """
    planner, _ = _planner(params, model, args, kwargs, 1.0, "zeros", True, layouts,
                          stride_aware, plain=True, distribution="uniform")
    found: dict[str, Plan] = {}
    owners = {path: owner.plan for path, owner in plan_owners(planner.tree).items()}
    for leaf in planner.tree.leaves:
        override = planner.layouts.lookup(leaf.name) if planner.layouts else None
        if override is not None:
            found[leaf.name] = Weight(override, "layout from layouts=")
        elif leaf.path in owners:
            plan = owners[leaf.path]
            if isinstance(plan, Weight) and plan.layout.strides and not stride_aware:
                plan = Weight(plan.layout.with_(strides=()), plan.note, plan.rank)
            found[leaf.name] = plan  # type: ignore[assignment]
    return found


def _planner(params: Any, model: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None,
             gain: Gain, bias: BiasPolicy, embeddings: bool,
             layouts: Mapping[str, xc.Layout] | None, stride_aware: bool, plain: bool,
             distribution: xc.DistributionName) -> tuple[Planner, Tree]:
    if not isinstance(args, tuple):
        raise bad_argument("args", args, "a tuple of the linen model's inputs")
    tree = read(params, model, args, dict(kwargs or {}))
    if tree.kind == "pytree" and not plain:
        raise bad_argument("model", model, "the flax.linen Module of these variables",
                           "a plain pytree carries no layer types; or pass layouts=")
    if tree.kind in _FRAMEWORK_OF_KIND:
        ensure_builtin_rules(_FRAMEWORK_OF_KIND[tree.kind])
    planner = Planner(tree, distribution, GainTable(gain), xc.rules.check_bias_policy(bias),
                      _check_flag("embeddings", embeddings),
                      _check_flag("stride_aware", stride_aware), xc.rules.layout_table(layouts))
    return planner, tree


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise bad_argument(name, value, "True or False")
    return value


def _stream(key: jax.Array, name: str) -> jax.Array:
    return jax.random.fold_in(key, zlib.crc32(name.encode()))


def _values(tree: Tree, steps: list[Step], key: jax.Array) -> dict[Any, Any]:
    """The new value of every leaf that changes, by leaf key."""
    new: dict[Any, Any] = {}
    own_values = None
    reset_key = jax.random.fold_in(key, RESET_SALT)
    for step in steps:
        leaf, record = step.leaf, step.record
        shape, dtype, sharding = record.shape, leaf.value.dtype, leaf_sharding(leaf.value)
        if step.action == "draw":
            assert record.distribution is not None
            new[leaf.key] = draw(record.distribution, _stream(key, leaf.name), shape, dtype,
                                 sharding)
        elif step.action == "fill":
            new[leaf.key] = zeros(shape, dtype, sharding) + jnp.asarray(step.constant, dtype)
        elif step.action == "own" and step.own_init is not None:
            new[leaf.key] = step.own_init(_stream(reset_key, leaf.name), shape, dtype)
        elif step.action == "own":
            if own_values is None:
                assert tree.own_values is not None
                own_values = tree.own_values(reset_key)
            new[leaf.key] = own_values[leaf.key]
    return new
