"""Portable mode against JAX itself: the anchor (a dense canonical uniform draw is
``jax.random.uniform(jax.random.key(s), shape, float32, -a, a)`` bit for bit), keys, fold_in,
split."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import xavier_core as xc
from xavier_core import portable as xp


def _words(key: jax.Array) -> tuple[int, int]:
    data = jax.random.key_data(key)
    return int(data[0]), int(data[1])


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1, -7])
def test_key_fold_in_split_equal_jax(seed: int) -> None:
    key = jax.random.key(seed)
    assert xc.PortableKey(seed).words == _words(key)
    assert xc.PortableKey(seed).fold_in(12345).words == _words(jax.random.fold_in(key, 12345))
    assert [k.words for k in xc.PortableKey(seed).split(4)] == [
        _words(k) for k in jax.random.split(key, 4)]


@pytest.mark.parametrize("seed", [0, 3, 2024])
@pytest.mark.parametrize("shape", [(784, 64), (3, 3, 16, 64), (1, 1000), (5, 7, 3)],
                         ids=["dense", "hwio", "row", "rank3"])
@pytest.mark.parametrize("bound", [0.0759, 1.0, 3.0e-3])
def test_anchor_dense_uniform_is_jax_random_uniform(seed: int, shape: tuple[int, ...],
                                                    bound: float) -> None:
    expected = np.asarray(jax.random.uniform(jax.random.key(seed), shape, jnp.float32,
                                             -bound, bound))
    got = xp.sample(xc.PortableKey(seed), xc.Uniform(bound), shape)
    mismatches = int((got.view(np.int32) != expected.view(np.int32)).sum())
    assert mismatches == 0, f"got {mismatches} values differing from jax.random.uniform, but " \
        f"should be 0 [seed={seed}, shape={shape}, bound={bound}]"
