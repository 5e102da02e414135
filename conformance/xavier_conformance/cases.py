"""The statistical cases: dtype x distribution x weight, in each backend's native layout.

Shapes are chosen so each sample holds 50k-150k values: enough for the Kolmogorov-Smirnov test to
see a 3 % error in scale, few enough for the whole suite to run in minutes on two cores.

Besides plain dense and convolution weights, four layouts that a sampler must pass on, not
drop: a stack of dense weights with a batch axis (``custom-axes``), a stack of convolution
kernels (``stacked-conv2d``: the batch axis must leave the receptive field too, as in a
scanned layer), a grouped convolution (Glorot's fans shrink by the groups) and a strided
transposed convolution drawn with He's fan_in (so that a swapped in/out or an ignored stride
changes the variance, which Glorot's symmetric fan_avg would hide). :data:`LAYOUT_FANS` writes
their fans out as numbers, for tests that must not compute them with ``xavier_core``.
``quick=True`` keeps one case per weight, the dtypes and distributions rotating through them:
every weight, dtype and distribution is still drawn once.
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
# (channels-last shape and layout, torch shape and layout) of the layouts a sampler must keep.
_LAYOUTS: dict[str, tuple[tuple[tuple[int, ...], xc.Layout], tuple[tuple[int, ...], xc.Layout]]] = {
    # Conv2d 128->256, k3, groups 4: fans (32 * 9, 256 / 4 * 9) = (288, 576).
    "grouped-conv2d": (((3, 3, 32, 256), xc.CHANNELS_LAST.with_(groups=4)),
                       ((256, 32, 3, 3), xc.TORCH.with_(groups=4))),
    # Four Conv2d 32->64 k3 kernels stacked on a leading axis: fans (32 * 9, 64 * 9) each.
    "stacked-conv2d": (((4, 3, 3, 32, 64), xc.CHANNELS_LAST.with_(batch_axis=0)),
                       ((4, 64, 32, 3, 3), xc.Layout(in_axis=2, out_axis=1, batch_axis=0))),
    # ConvTranspose2d 64->128, k3, stride 2: fan_in = 64 * 9 / 4 = 144 (He reads only fan_in).
    "transposed-conv2d-s2": (((3, 3, 128, 64), xc.KERAS_TRANSPOSED.with_(strides=(2, 2))),
                             ((64, 128, 3, 3), xc.TORCH_TRANSPOSED.with_(strides=(2, 2)))),
}
LAYOUT_FANS: dict[str, tuple[int, int]] = {
    "custom-axes": (96, 128),
    "stacked-conv2d": (288, 576),
    "grouped-conv2d": (288, 576),
    "transposed-conv2d-s2": (144, 1152),  # fan_out 128 * 9: the stride divides fan_in only
}
"""(fan_in, fan_out) of each layout weight, the same in both storage orders, as numbers."""
FAN_IN_WEIGHTS = frozenset({"transposed-conv2d-s2"})
"""Weights drawn with He (fan_in) instead of Glorot: their fans' order and stride matter."""


COMPLEX_WEIGHTS = frozenset({"dense", "conv2d", "custom-axes", "grouped-conv2d",
                             "transposed-conv2d-s2"})
"""The weights drawn in complex64 and complex128 in the full matrix (the dtype path does not see
the layout; a batch-axis, a grouped and a He-drawn strided transposed one show it is still
passed on; the quick rotation lands its complex dtypes on custom-axes and grouped-conv2d)."""


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
        if self.weight in FAN_IN_WEIGHTS:
            return xc.he(self.distribution)  # type: ignore[arg-type]
        return DISTRIBUTIONS[self.distribution]

    @property
    def id(self) -> str:
        family = "-he" if self.weight in FAN_IN_WEIGHTS else ""
        return f"{self.dtype}-{self.distribution}{family}-{self.weight}"

    def seed(self, base: int = 0) -> int:
        """A fixed seed per case, so a run is deterministic and cases are independent."""
        return base * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(self.id))


def cases_for(native: xc.Layout, dtypes: tuple[str, ...], quick: bool = False) -> list[Case]:
    """Every case for a backend whose native layout is ``native`` (TORCH or CHANNELS_LAST);
    with ``quick``, one per weight (dtypes and distributions rotating): a subset of the full
    matrix, with the same ids and seeds."""
    torch_like = native == xc.TORCH
    weights = {name: (shapes[1] if torch_like else shapes[0], native)
               for name, shapes in _WEIGHTS.items()}
    weights["custom-axes"] = CUSTOM_AXES
    weights.update({name: pair[1] if torch_like else pair[0] for name, pair in _LAYOUTS.items()})
    if quick:
        names = list(DISTRIBUTIONS)
        return [Case(weight, names[i % len(names)], dtypes[i % len(dtypes)], shape, layout)
                for i, (weight, (shape, layout)) in enumerate(weights.items())]
    return [
        Case(weight, distribution, dtype, shape, layout)
        for dtype in dtypes
        for distribution in DISTRIBUTIONS
        for weight, (shape, layout) in weights.items()
        if not xc.is_complex(dtype) or weight in COMPLEX_WEIGHTS
    ]


def layout_cases(native: xc.Layout) -> list[Case]:
    """The float32 cases of the :data:`LAYOUT_FANS` weights in ``native``'s storage order, one
    per weight (distributions rotating as with ``quick``): the layouts an entry point must keep."""
    return [case for case in cases_for(native, ("float32",), quick=True)
            if case.weight in LAYOUT_FANS]


def written_distribution(case: Case) -> xc.Distribution:
    """The exact law of a :func:`layout_cases` case at its fans from :data:`LAYOUT_FANS`."""
    return case.spec.distribution_for(xc.Fans(*LAYOUT_FANS[case.weight]))
