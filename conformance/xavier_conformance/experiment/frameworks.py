"""The experiment's per-framework modules, loaded only when asked for.

Each of ``torch_mlp``, ``keras_mlp`` and ``jax_mlp`` offers the same five names:

- ``name()``: the framework as tables show it (``"torch"``, ``"keras-tensorflow"``, ``"jax"``);
- ``build(activation, spec, seed, sizes)``: the paper's MLP, every kernel drawn from ``spec``
  through this project's adapter for that framework, biases 0;
- ``probe(model, images, labels)``: the framework's layer probe on one batch;
- ``train(model, images, labels, order, learning_rate)``: plain SGD over the batches of
  ``order`` (an int array of shape (steps, batch size)), returning the trained model;
- ``test_error(model, images, labels)``: the error in percent.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from xavier_core.errors import bad_argument

FRAMEWORKS: tuple[str, ...] = ("torch", "keras", "jax")


def load(framework: str) -> ModuleType:
    """The experiment module of ``framework`` (imports the framework itself)."""
    if framework not in FRAMEWORKS:
        raise bad_argument("framework", framework, f"one of {', '.join(FRAMEWORKS)}")
    return importlib.import_module(f"xavier_conformance.experiment.{framework}_mlp")
