"""init_params on Flax: strided convolutions with both values of ``stride_aware`` (fans and drawn
statistics), and linen ``Embed`` drawn with ``embeddings=True`` (kept without it)."""

from __future__ import annotations

import flax.linen as nn
import jax
import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance import stats

# layer, input (no batch), fans with stride_aware=True, fans with False (Flax's own reading)
STRIDED = {
    "Conv-16-32-k3-s2": (lambda: nn.Conv(32, (3, 3), strides=2), (9, 9, 16), (144, 72),
                         (144, 288)),
    "Conv-3-768-k16-s16": (lambda: nn.Conv(768, (16, 16), strides=16), (32, 32, 3), (768, 768),
                           (768, 196608)),
    "ConvTranspose-32-16-k2-s2": (lambda: nn.ConvTranspose(16, (2, 2), strides=(2, 2)),
                                  (8, 8, 32), (32, 64), (128, 64)),
}


def _check(values: np.ndarray, fans: tuple[float, float], context: str) -> None:
    law = xc.glorot_uniform().distribution_for(xc.Fans(*fans))
    failed = [r.describe() for r in stats.check_sample(values, law) if not r.passed]
    assert not failed, f"{context}: " + "; ".join(failed)


@pytest.mark.parametrize("stride_aware", [True, False], ids=["stride-aware", "flax-fans"])
@pytest.mark.parametrize("layer_id", STRIDED)
def test_strided_convolutions_both_ways(layer_id: str, stride_aware: bool) -> None:
    build, shape, aware, plain = STRIDED[layer_id]
    layer, x = build(), jax.numpy.ones((1, *shape))
    variables = layer.init(jax.random.key(0), x)
    variables, report = xj.init_params(variables, jax.random.key(1), model=layer, args=(x,),
                                       stride_aware=stride_aware)
    expected = aware if stride_aware else plain
    (record,) = [r for r in report if r.name.endswith("kernel")]
    assert tuple(record.fans) == expected, (
        f"got fans {record.fans}, but should be {expected} [{layer_id}, "
        f"stride_aware={stride_aware}]")
    kernel = np.asarray(variables["params"]["kernel"])
    _check(kernel, expected, f"{layer_id}, stride_aware={stride_aware}")
    other = xc.glorot_uniform().distribution_for(xc.Fans(*(plain if stride_aware else aware)))
    assert not all(r.passed for r in stats.check_sample(kernel, other)), (
        f"{layer_id}: the draw also passes the other fans' law, so the check has no power")


class Tokens(nn.Module):
    @nn.compact
    def __call__(self, ids: jax.Array) -> jax.Array:
        return nn.Dense(8)(nn.Embed(2000, 256)(ids))


def test_linen_embed_is_drawn_only_with_embeddings_true() -> None:
    model, ids = Tokens(), jax.numpy.zeros((1, 4), dtype=jax.numpy.int32)
    variables = model.init(jax.random.key(0), ids)
    before = np.asarray(variables["params"]["Embed_0"]["embedding"])
    kept, report = xj.init_params(variables, jax.random.key(1), model=model, args=(ids,))
    assert np.array_equal(np.asarray(kept["params"]["Embed_0"]["embedding"]), before)
    assert [r.state for r in report if "embedding" in r.name] == ["kept"]
    drawn, report = xj.init_params(variables, jax.random.key(1), model=model, args=(ids,),
                                   embeddings=True)
    (record,) = [r for r in report if "embedding" in r.name]
    assert record.state == "drawn" and tuple(record.fans) == (2000, 256), record
    _check(np.asarray(drawn["params"]["Embed_0"]["embedding"]), (2000, 256), "Embed 2000x256")
