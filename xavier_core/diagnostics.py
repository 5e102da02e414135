"""Layer diagnostics: what one batch does to each layer at initialization, framework-free.

Glorot & Bengio (2010) watch three things per layer ``i`` with pre-activation ``s_i = W_i h_{i-1}
+ b_i`` and activation ``h_i = f(s_i)``:

- the activations ``h_i``: mean, std, and the fraction of saturated units (figure 6);
- the back-propagated gradient ``dC/ds_i``: its variance, which with the "standard" init
  U(+-1/sqrt(n)) shrinks by about ``n Var[W] = 1/3`` per layer on its way down, and with Glorot's
  init stays level (figure 7);
- the weight gradient ``dC/dW_i``: its variance (figure 8).

A framework probe (``xavier_adapters.probes.{torch,keras,jax}``) runs the batch and hands the raw
values of each weight layer to :func:`summarize`; everything computed from them lives here.
A unit is *saturated* when its output lies within 1% of an asymptote, measured on the half-range:
``|h| >= 0.99`` for tanh and softsign, ``h <= 0.005`` or ``h >= 0.995`` for the sigmoid (for tanh
and the sigmoid, where the slope has fallen to 2% of its maximum).

Example:
  >>> import numpy as np
  >>> record = summarize("0", "Linear", (3, 2), "tanh", activations=np.array([0.0, 0.995]),
  ...                    backprop=np.array([1.0, -1.0]), weight_gradient=np.zeros(6))
  >>> record.saturated_fraction, record.backprop_variance
  (0.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import SupportsIndex, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from xavier_core.errors import XavierError, bad_argument
from xavier_core.record import render_table

ASYMPTOTES: dict[str, tuple[float, float]] = {
    "tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
}
"""The saturating nonlinearities and the two values their output tends to."""
SATURATION_LEVEL = 0.99
"""A unit is saturated when |h - centre| >= SATURATION_LEVEL * half-range."""
ACTIVATION_ALIASES: dict[str, str] = {"logistic": "sigmoid", "linear": "none", "identity": "none"}
MAX_VALUES = 100_000
"""How many values of each kind a record keeps for histograms, drawn without replacement."""


def activation_name(name: str | None) -> str:
    """The canonical name of a nonlinearity: ``"Tanh"``, ``"soft_sign"`` -> ``"tanh"``,
    ``"softsign"``; ``None``, ``"linear"`` and ``"identity"`` -> ``"none"``."""
    if name is None:
        return "none"
    plain = name.lower().replace("_", "")
    return ACTIVATION_ALIASES.get(plain, plain)


def saturated_fraction(values: ArrayLike, activation: str,
                       level: float = SATURATION_LEVEL) -> float | None:
    """Fraction of ``values`` with |h - centre| >= level * half-range of ``activation``.

    Returns ``None`` for a nonlinearity that does not saturate on both sides (relu, none, ...).

    Example:
      >>> saturated_fraction([0.1, -0.999, 0.5, 0.995], "tanh")
      0.5
    """
    name = activation_name(activation)
    if name not in ASYMPTOTES:
        return None
    if not 0.0 < level < 1.0:
        raise bad_argument("level", level, "a number in (0, 1)")
    low, high = ASYMPTOTES[name]
    centre, half_range = (low + high) / 2.0, (high - low) / 2.0
    flat = _as_flat_float64(values, "values")
    return float(np.mean(np.abs(flat - centre) >= level * half_range))


def _as_flat_float64(values: ArrayLike, name: str) -> NDArray[np.float64]:
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size == 0:
        raise bad_argument(name, f"array of shape {np.shape(values)}", "a non-empty array")
    return flat


def keep_values(values: ArrayLike, max_values: int = MAX_VALUES,
                seed: int = 0) -> NDArray[np.float32]:
    """At most ``max_values`` of ``values`` as float32, drawn without replacement (all of them,
    in order, when there are no more)."""
    flat = np.asarray(values, dtype=np.float32).ravel()
    if flat.size <= max_values:
        return flat
    chosen = np.random.default_rng(seed).choice(flat.size, size=max_values, replace=False)
    return flat[np.sort(chosen)]


@dataclass(frozen=True)
class LayerRecord:
    """One weight layer seen through one batch.

    ``activation`` is the nonlinearity the probe found after the layer (``"none"`` when it saw
    none: the activation statistics are then those of the layer's own output).
    ``saturated_fraction`` is ``None`` for a nonlinearity that does not saturate.
    ``activation_sample`` and ``backprop_sample`` keep some of the values (at most
    :data:`MAX_VALUES`) for histograms; they take no part in equality.
    """

    name: str
    layer: str
    shape: tuple[int, ...]
    activation: str
    activation_mean: float
    activation_std: float
    saturated_fraction: float | None
    backprop_variance: float
    weight_gradient_variance: float
    activation_sample: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, np.float32), repr=False, compare=False)
    backprop_sample: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, np.float32), repr=False, compare=False)

    def row(self) -> tuple[str, ...]:
        """The record as table cells."""
        saturated = "" if self.saturated_fraction is None else f"{self.saturated_fraction:.1%}"
        return (self.name, self.layer, str(self.shape), self.activation,
                f"{self.activation_mean:+.3f}", f"{self.activation_std:.3f}", saturated,
                f"{self.backprop_variance:.3e}", f"{self.weight_gradient_variance:.3e}")


HEADER = ("layer", "type", "weight shape", "activation", "act mean", "act std", "saturated",
          "Var[dC/ds]", "Var[dC/dW]")


def summarize(
    name: str,
    layer: str,
    shape: Sequence[int],
    activation: str | None,
    *,
    activations: ArrayLike,
    backprop: ArrayLike,
    weight_gradient: ArrayLike,
    max_values: int = MAX_VALUES,
) -> LayerRecord:
    """The record of one layer from its raw values over the batch.

    mean and std of ``activations``; Var = mean((x - mean x)^2) over every entry of
    ``backprop`` (dC/ds, batch and units together) and of ``weight_gradient`` (dC/dW).

    Args:
      name, layer, shape: the layer's name in its model, its type and its weight's shape.
      activation: the nonlinearity after the layer, any spelling (:func:`activation_name`).
      activations: its output values h over the batch (any shape, any float dtype).
      backprop: the gradient of the loss with respect to the layer's pre-activation s.
      weight_gradient: the gradient of the loss with respect to the layer's weight.
      max_values: how many values of ``activations`` and ``backprop`` to keep for histograms.

    Raises:
      XavierError: an empty array.
    """
    name_of = activation_name(activation)
    h = _as_flat_float64(activations, "activations")
    g = _as_flat_float64(backprop, "backprop")
    dw = _as_flat_float64(weight_gradient, "weight_gradient")
    return LayerRecord(
        name=name, layer=layer, shape=tuple(int(d) for d in shape), activation=name_of,
        activation_mean=float(h.mean()), activation_std=float(h.std()),
        saturated_fraction=saturated_fraction(h, name_of),
        backprop_variance=float(g.var()), weight_gradient_variance=float(dw.var()),
        activation_sample=keep_values(h, max_values), backprop_sample=keep_values(g, max_values),
    )


class LayerReport(tuple[LayerRecord, ...]):
    """The records of one probe, in the order the layers ran; ``print(report)`` shows a table.

    The last record is taken to be the output layer; the others are the hidden layers.
    """

    def __new__(cls, records: Iterable[LayerRecord] = ()) -> LayerReport:
        return super().__new__(cls, tuple(records))

    @overload
    def __getitem__(self, key: str) -> LayerRecord: ...
    @overload
    def __getitem__(self, key: SupportsIndex) -> LayerRecord: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[LayerRecord, ...]: ...

    def __getitem__(
        self, key: str | SupportsIndex | slice
    ) -> LayerRecord | tuple[LayerRecord, ...]:
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            raise KeyError(f"no layer named {key!r} in this report; layers: "
                           f"{', '.join(r.name for r in self)}")
        return super().__getitem__(key)

    @property
    def hidden(self) -> LayerReport:
        """Every record but the last (the output layer)."""
        return LayerReport(tuple(self)[:-1])

    def backprop_variance_ratio(self) -> float:
        """Var[dC/ds] of the first hidden layer over that of the last hidden layer.

        About 1 when gradients flow evenly (Glorot), far below 1 when they shrink on their way
        down (the standard init gives about (1/3)^(L-1) for L equal hidden layers).

        Raises:
          XavierError: fewer than two hidden layers.
        """
        hidden = self.hidden
        if len(hidden) < 2:
            raise XavierError(f"backprop_variance_ratio needs at least two hidden layers (three "
                              f"weight layers), got {len(self)} weight layer(s)")
        first, last = hidden[0].backprop_variance, hidden[-1].backprop_variance
        if last == 0:
            return math.inf if first > 0 else math.nan
        return first / last

    def table(self) -> str:
        """A plain-text table, one row per weight layer."""
        return render_table(HEADER, [r.row() for r in self])

    def __str__(self) -> str:
        return self.table()
