"""Flax ``nnx.with_partitioning`` that builds each shard on its device.

``flax.nnx.with_partitioning(init, sharding)`` calls ``init(key, shape, dtype)`` without
``out_sharding``: under an explicit mesh the initializer returns the whole weight replicated on
every device (a buffer of the global size on each), which Flax reshards afterwards.
:func:`with_partitioning` takes the same arguments and returns the same Flax metadata, but calls
``init`` with the ``out_sharding`` Flax would apply (logical axis rules resolved as Flax resolves
them), so each device draws only its shard, from the fans of the global shape. JAX's partitionable
threefry (the default) makes the values those of the unsharded call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xavier_adapters._require import require

if TYPE_CHECKING:
    import jax
else:
    jax = require("jax", "jax")


def target_sharding(sharding: Any, mesh: Any = None, sharding_rules: Any = None) -> Any:
    """The ``out_sharding`` Flax's eager sharding would give a variable annotated ``sharding``:
    logical names mapped by the axis rules (context and ``sharding_rules``), on ``mesh`` or the
    mesh of ``jax.set_mesh``; None when neither is there (nothing to shard over)."""
    from flax.core import spmd

    spec = spmd.apply_rules(sharding, sharding_rules)
    if isinstance(spec, jax.sharding.NamedSharding):
        return spec
    if not isinstance(spec, jax.sharding.PartitionSpec):
        return None  # a Format or something else: left to Flax
    if mesh is not None:
        return jax.sharding.NamedSharding(mesh, spec)
    return None if jax.sharding.get_abstract_mesh().empty else spec


def _takes_out_sharding(initializer: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(initializer).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "out_sharding" or p.kind is p.VAR_KEYWORD for p in parameters)


def with_partitioning(initializer: Callable[..., jax.Array], sharding: Any,
                      mesh: Any = None, **metadata: Any) -> Callable[..., Any]:
    """``flax.nnx.with_partitioning`` whose initializer gets the ``out_sharding``.

    Args:
      initializer: an initializer taking ``out_sharding=`` (every ``xavier_adapters.jax`` one,
        ``jax.nn.initializers``' and Flax's); one that does not is wrapped as Flax wraps it.
      sharding: the variable's sharding, as for Flax: a tuple of mesh or logical axis names, a
        ``PartitionSpec`` or a ``NamedSharding``.
      mesh: the mesh, if not the one of ``jax.set_mesh``.
      metadata: more Flax variable metadata (``sharding_rules=...``), passed on.

    Returns:
      What ``flax.nnx.with_partitioning(initializer, sharding, mesh, **metadata)`` returns, for
      ``kernel_init=``.

    Example:
      >>> import jax
      >>> from flax import nnx
      >>> from xavier_adapters import jax as xj
      >>> mesh = jax.make_mesh((1,), ("model",), axis_types=(jax.sharding.AxisType.Explicit,))
      >>> init = with_partitioning(xj.glorot_uniform(), (None, "model"))
      >>> with jax.set_mesh(mesh):
      ...     layer = nnx.Linear(4, 8, kernel_init=init, rngs=nnx.Rngs(0))
      >>> layer.kernel.get_value().sharding.spec
      P(None, 'model')
    """
    from flax import nnx

    if not _takes_out_sharding(initializer):  # a custom initializer: Flax's behaviour
        return nnx.with_partitioning(initializer, sharding, mesh, **metadata)

    def sharded(key: jax.Array, shape: Any, dtype: Any = None) -> jax.Array:
        out = target_sharding(sharding, mesh, metadata.get("sharding_rules"))
        return initializer(key, shape, dtype, out_sharding=out)

    return nnx.with_partitioning(sharded, sharding, mesh, **metadata)
