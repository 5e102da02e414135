"""Flax and Equinox layers of the DESIGN.md table, initialized by
``xavier_adapters.jax.init_params``."""

from __future__ import annotations

import equinox as eqx
import flax.linen as nn
import jax
import numpy as np

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance.native import NativeRow

# (id, linen layer, input shape without batch, DESIGN.md's correct fans of its kernel)
LINEN = [
    ("flax-Dense-784-64", lambda: nn.Dense(64), (784,), (784, 64)),
    ("flax-Conv-16-64-k3", lambda: nn.Conv(64, (3, 3)), (8, 8, 16), (144, 576)),
    ("flax-Conv-32-64-k3-groups4", lambda: nn.Conv(64, (3, 3), feature_group_count=4),
     (8, 8, 32), (72, 144)),
    ("flax-ConvTranspose-16-64-k3", lambda: nn.ConvTranspose(64, (3, 3)), (8, 8, 16),
     (144, 576)),
    # Strided: an input unit feeds out x prod(k / s) outputs (init_params is stride-aware).
    ("flax-Conv-16-32-k3-s2", lambda: nn.Conv(32, (3, 3), strides=2), (9, 9, 16), (144, 72)),
    ("flax-Conv-3-768-k16-s16-patch", lambda: nn.Conv(768, (16, 16), strides=16), (32, 32, 3),
     (768, 768)),
    ("flax-ConvTranspose-32-16-k2-s2", lambda: nn.ConvTranspose(16, (2, 2), strides=(2, 2)),
     (8, 8, 32), (32, 64)),
]
# (id, equinox layer, parameter, correct fans): Equinox stores weights as torch does.
EQUINOX = [
    ("eqx-Linear-784-64", lambda key: eqx.nn.Linear(784, 64, key=key), (784, 64)),
    ("eqx-Conv2d-32-64-k3-groups4", lambda key: eqx.nn.Conv2d(32, 64, 3, groups=4, key=key),
     (72, 144)),
]


def _linen_rows(seed: int) -> list[NativeRow]:
    found = []
    for index, (row_id, build, input_shape, fans) in enumerate(LINEN):
        layer, x = build(), jax.numpy.ones((1, *input_shape))
        variables = layer.init(jax.random.key(0), x)
        variables, _ = xj.init_params(variables, jax.random.key(seed + index), model=layer,
                                      args=(x,))
        kernel = np.asarray(variables["params"]["kernel"])
        found.append(NativeRow(row_id, kernel, xc.Fans(*fans)))
    return found


def _equinox_rows(seed: int) -> list[NativeRow]:
    found = []
    for index, (row_id, build, fans) in enumerate(EQUINOX):
        layer = build(jax.random.key(0))
        layer, _ = xj.init_params(layer, jax.random.key(seed + 100 + index))
        found.append(NativeRow(row_id, np.asarray(layer.weight), xc.Fans(*fans)))
    return found


def _he_transposed_row(seed: int) -> NativeRow:
    # He (fan_in) with the layer's own layout: a transposed kernel read the wrong way fails.
    layer, x = nn.ConvTranspose(64, (3, 3), transpose_kernel=True), jax.numpy.ones((1, 8, 8, 16))
    variables = layer.init(jax.random.key(0), x)
    plan = xj.plan_params(variables, model=layer, args=(x,))
    (name,) = [n for n, p in plan.items() if isinstance(p, xc.rules.Weight)]
    he = xc.he("uniform")
    init = xj.Initializer(he, plan[name].layout)  # type: ignore[union-attr]
    kernel = init(jax.random.key(seed + 200), variables["params"]["kernel"].shape)
    return NativeRow("flax-ConvTranspose-16-64-k3-transpose_kernel-he-fan_in", np.asarray(kernel),
                     xc.Fans(144, 576), he)


def rows(seed: int) -> list[NativeRow]:
    """Flax linen and Equinox layers, Glorot-initialized through the adapter."""
    return [*_linen_rows(seed), *_equinox_rows(seed), _he_transposed_row(seed)]
