"""The names of ``jax.nn.initializers`` that are not variance scaling: JAX's own, re-exported.

So ``from xavier_adapters import jax as initializers`` replaces ``jax.nn.initializers``:
:data:`OURS` are drawn from the xavier_core spec (:mod:`xavier_adapters.jax.initializers`),
:data:`JAX_OWN` are the very objects of ``jax.nn.initializers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xavier_adapters._require import require

if TYPE_CHECKING:
    from jax.nn import initializers as _jax_init
else:
    _jax_init = require("jax.nn.initializers", "jax")

constant = _jax_init.constant
delta_orthogonal = _jax_init.delta_orthogonal
normal = _jax_init.normal
ones = _jax_init.ones
orthogonal = _jax_init.orthogonal
truncated_normal = _jax_init.truncated_normal
uniform = _jax_init.uniform
zeros = _jax_init.zeros

OURS = ("Initializer", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
        "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "variance_scaling",
        "xavier_normal", "xavier_uniform")
"""The names of ``jax.nn.initializers`` drawn here from the spec (``Initializer``: our class,
which satisfies JAX's ``Initializer`` protocol)."""
JAX_OWN = ("constant", "delta_orthogonal", "normal", "ones", "orthogonal", "truncated_normal",
           "uniform", "zeros")
"""The names of ``jax.nn.initializers`` re-exported unchanged."""
