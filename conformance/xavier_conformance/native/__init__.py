"""Native layers per backend, initialized through the adapter's layer-aware path.

Each backend module exposes ``rows(seed) -> list[NativeRow]``: a weight drawn by the adapter
for a real layer of that framework, with the fans DESIGN.md's table gives for it, written out
as numbers (never computed with xavier_core, so that the check is not circular).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import xavier_core as xc

GLOROT_UNIFORM = xc.glorot_uniform()


@dataclass(frozen=True)
class NativeRow:
    """One layer's weight as drawn by the adapter, and the fans it must have been drawn with.

    ``spec`` is Glorot uniform unless the row needs a fan_in mode to make a swap of the fans
    visible (Glorot's fan_avg is symmetric).
    """

    id: str
    weight: np.ndarray
    fans: xc.Fans
    spec: xc.VarianceScaling = GLOROT_UNIFORM


MODULES = {"torch": "torch", "jax": "jax", "keras-tensorflow": "keras", "keras-jax": "keras",
           "keras-torch": "keras"}
"""The native-layer module of each backend that has layers (numpy has none)."""


def rows_for(backend: str, seed: int) -> list[NativeRow]:
    """The native rows of ``backend``, its framework imported on first use."""
    import importlib

    return importlib.import_module(f"xavier_conformance.native.{MODULES[backend]}").rows(seed)
