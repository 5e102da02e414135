"""How an ``out_sharding`` reaches JAX: the part ``jax.random`` builds, the part ``jax.jit`` does.

``jax.random``'s samplers take an ``out_sharding`` over Explicit mesh axes and build each shard on
its device. Auto mesh axes (the default of ``jax.sharding.Mesh``) are for the partitioner of
``jax.jit`` instead: a ``with_sharding_constraint`` on the sample, which it pushes back into the
sampler, so there too each device builds only its shard. Either way the fans are those of the
global shape, and with JAX's partitionable threefry (the default) the values equal the unsharded
call's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xavier_adapters._require import require
from xavier_core.errors import bad_argument

if TYPE_CHECKING:
    import jax
else:
    jax = require("jax", "jax")
P = jax.sharding.PartitionSpec


def _keep(entry: Any, types: dict[str, Any], kind: Any) -> Any:
    """One spec entry with only the mesh axes of type ``kind`` (None if none is left)."""
    names = () if entry is None else entry if isinstance(entry, tuple) else (entry,)
    kept = tuple(name for name in names if types[name] == kind)
    return None if not kept else kept[0] if len(kept) == 1 else kept


def split_sharding(out_sharding: Any) -> tuple[Any, Any]:
    """``(for jax.random, for with_sharding_constraint)``; each None when it shards nothing
    (both None for ``out_sharding=None``).

    A ``NamedSharding`` or ``PartitionSpec`` (over the mesh of ``jax.set_mesh``) is split by axis
    type, Explicit to the sampler and Auto to the partitioner; any other ``Sharding`` goes whole
    to the partitioner.

    Raises:
      XavierError: the spec names a Manual axis (inside ``shard_map`` shapes are local already).
    """
    if out_sharding is None:
        return None, None
    if isinstance(out_sharding, P):
        mesh, spec = jax.sharding.get_abstract_mesh(), out_sharding
    elif isinstance(out_sharding, jax.sharding.NamedSharding):
        mesh, spec = out_sharding.mesh, out_sharding.spec
    else:
        return None, out_sharding
    types = dict(zip(mesh.axis_names, mesh.axis_types, strict=True))
    kinds = (jax.sharding.AxisType.Explicit, jax.sharding.AxisType.Auto)
    if any(types[name] not in kinds for entry in spec if entry is not None
           for name in (entry if isinstance(entry, tuple) else (entry,))):
        raise bad_argument("out_sharding", out_sharding, "a sharding over Explicit or Auto mesh "
                           "axes", "inside shard_map, call the initializer with the local shape")
    parts = []
    for kind in kinds:
        entries = [_keep(entry, types, kind) for entry in spec]
        named = P(*entries) if isinstance(out_sharding, P) else (
            jax.sharding.NamedSharding(mesh, P(*entries)))
        parts.append(named if any(e is not None for e in entries) else None)
    return parts[0], parts[1]


def leaf_sharding(leaf: Any) -> Any:
    """The ``out_sharding`` that puts a new value where ``leaf`` (an array or a
    ``jax.ShapeDtypeStruct``) is: its ``NamedSharding``, or just the spec when its mesh is
    abstract (``nnx.eval_shape``; the mesh of ``jax.set_mesh`` then places it); None for an
    unsharded leaf (a single device, or no sharding), which keeps JAX's default placement."""
    sharding = getattr(leaf, "sharding", None)
    if not isinstance(sharding, jax.sharding.NamedSharding):
        return None
    if isinstance(sharding.mesh, jax.sharding.AbstractMesh):
        return None if jax.sharding.get_abstract_mesh().empty else sharding.spec
    return sharding


def zeros(shape: tuple[int, ...], dtype: Any, out_sharding: Any = None) -> jax.Array:
    """``jnp.zeros`` placed by ``out_sharding`` (as :func:`leaf_sharding` gives it), each
    device writing only its shard: a ``Sharding`` goes to ``device=`` (Auto axes too), a bare
    spec to ``out_sharding=`` (Explicit axes of the mesh of ``jax.set_mesh``)."""
    import jax.numpy as jnp

    if isinstance(out_sharding, P):
        return jnp.zeros(shape, dtype, out_sharding=out_sharding)
    return jnp.zeros(shape, dtype, device=out_sharding)


def check_sharding(out_sharding: Any, shape: tuple[int, ...]) -> None:
    """Raise unless a ``NamedSharding`` or ``PartitionSpec`` fits ``shape``: at most one entry
    per axis, each naming axes of its mesh (JAX would raise a KeyError, or an AssertionError).

    Raises:
      XavierError: a spec longer than the rank, or a mesh axis the mesh does not have.
    """
    if isinstance(out_sharding, P):
        mesh, spec = jax.sharding.get_abstract_mesh(), out_sharding
    elif isinstance(out_sharding, jax.sharding.NamedSharding):
        mesh, spec = out_sharding.mesh, out_sharding.spec
    else:
        return
    if len(spec) > len(shape):
        raise bad_argument("out_sharding", out_sharding, f"a spec of at most {len(shape)} "
                           f"entries, one per axis of the weight's shape {shape}")
    names = set(getattr(mesh, "axis_names", ()) or ())
    unknown = sorted({name for entry in spec if entry is not None
                      for name in (entry if isinstance(entry, tuple) else (entry,))} - names)
    if unknown:
        where = f"the mesh's axes {sorted(names)}" if names else (
            "the axes of a mesh (a PartitionSpec needs jax.set_mesh)")
        raise bad_argument("out_sharding", out_sharding, f"a spec over {where}",
                           f"{', '.join(map(repr, unknown))} is not one of them")
