"""The statistical cases: dtype x distribution x layout, in each backend's native layout.

Shapes are chosen so each sample holds 50k-150k values: enough for the Kolmogorov-Smirnov test to
see a 3 % error in scale, few enough for the whole suite to run in minutes on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass

import xavier_core as xc

DISTRIBUTIONS = {
    "uniform": xc.glorot_uniform(),
    "normal": xc.glorot_normal(),
    "truncated_normal": xc.glorot_truncated_normal(),
}

# (shape in channels-last layout, shape in torch layout) per kind of weight.
_WEIGHTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "dense": ((784, 128), (128, 784)),
    "conv1d": ((5, 96, 128), (128, 96, 5)),
    "conv2d": ((3, 3, 64, 128), (128, 64, 3, 3)),
    "conv3d": ((3, 3, 3, 32, 64), (64, 32, 3, 3, 3)),
}
CUSTOM_AXES = ((6, 96, 128), xc.Layout(in_axis=1, out_axis=2, batch_axis=0))
"""Six stacked dense weights with the stack axis in front: a batch axis, in neither fan."""


@dataclass(frozen=True)
class Case:
    """One statistical case: draw ``spec`` for a weight of ``shape`` in ``layout`` as ``dtype``."""

    weight: str
    distribution: str
    dtype: str
    shape: tuple[int, ...]
    layout: xc.Layout

    @property
    def spec(self) -> xc.VarianceScaling:
        return DISTRIBUTIONS[self.distribution]

    @property
    def id(self) -> str:
        return f"{self.dtype}-{self.distribution}-{self.weight}"

    def seed(self, base: int = 0) -> int:
        """A fixed seed per case, so a run is deterministic and cases are independent."""
        return base * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(self.id))


def cases_for(native: xc.Layout, dtypes: tuple[str, ...]) -> list[Case]:
    """Every case for a backend whose native layout is ``native`` (TORCH or CHANNELS_LAST)."""
    torch_like = native == xc.TORCH
    weights = {name: (shapes[1] if torch_like else shapes[0], native)
               for name, shapes in _WEIGHTS.items()}
    weights["custom-axes"] = CUSTOM_AXES
    return [
        Case(weight, distribution, dtype, shape, layout)
        for dtype in dtypes
        for distribution in DISTRIBUTIONS
        for weight, (shape, layout) in weights.items()
    ]
