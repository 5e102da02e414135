"""The backends the MNIST stage trains on, and what each one's worker process needs."""

from __future__ import annotations

BACKENDS: dict[str, tuple[str, dict[str, str]]] = {
    "torch": ("train_torch", {}),
    "jax": ("train_jax", {}),
    "keras-tensorflow": ("train_keras", {"KERAS_BACKEND": "tensorflow"}),
    "keras-jax": ("train_keras", {"KERAS_BACKEND": "jax"}),
    "keras-torch": ("train_keras", {"KERAS_BACKEND": "torch"}),
}
"""Backend name -> (harness module in this package, environment its worker needs)."""
ALL_BACKENDS: tuple[str, ...] = tuple(BACKENDS)
"""torch, jax, keras-tensorflow, keras-jax, keras-torch."""
