"""init_params on the model-level contract: stacked layers drawn with one layer's fans (checked
with the statistics), strict=True and an injected error leave nnx Variables bit-identical."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_adapters.jax import params as params_module
from xavier_conformance import stats

KEY = jax.random.key(0)
LAYERS, WIDTH = 8, 128
ONE_LAYER = xc.glorot_uniform().distribution_for(xc.Fans(WIDTH, WIDTH))
# 8 x 128 x 128 = 131072 values: the checks catch a scale error of 0.1 % (uniform: bounds/reach).


class Block(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array, _: Any) -> tuple[jax.Array, None]:
        return nn.relu(nn.Dense(WIDTH)(x)), None


class ScanMLP(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        stack = nn.scan(Block, variable_axes={"params": 0}, split_rngs={"params": True},
                        length=LAYERS)
        return stack()(x, None)[0]


def _linen() -> np.ndarray:
    model, x = ScanMLP(), jnp.ones((1, WIDTH))
    variables = model.init(KEY, x)
    new, report = xj.init_params(variables, jax.random.key(1), model=model, args=(x,))
    assert report["ScanBlock_0/Dense_0/kernel"].fans == (WIDTH, WIDTH)
    return np.asarray(new["params"]["ScanBlock_0"]["Dense_0"]["kernel"])


def _nnx() -> np.ndarray:
    @nnx.split_rngs(splits=LAYERS)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def build(rngs: nnx.Rngs) -> nnx.Linear:
        return nnx.Linear(WIDTH, WIDTH, rngs=rngs)

    stack = build(nnx.Rngs(0))
    stack, report = xj.init_params(stack, jax.random.key(2))
    assert report["kernel"].fans == (WIDTH, WIDTH), report["kernel"].note
    return np.asarray(stack.kernel[...])


def _equinox() -> np.ndarray:
    stack = eqx.filter_vmap(lambda k: eqx.nn.Linear(WIDTH, WIDTH, key=k))(
        jax.random.split(KEY, LAYERS))
    stack, report = xj.init_params(stack, jax.random.key(3))
    assert report["weight"].fans == (WIDTH, WIDTH), report["weight"].note
    return np.asarray(stack.weight)


@pytest.mark.parametrize("build", [_linen, _nnx, _equinox], ids=["linen-scan", "nnx-vmap",
                                                                  "eqx-filter_vmap"])
def test_stacked_mlp_is_drawn_with_one_layers_fans(build: Any) -> None:
    values = build()
    assert values.shape[0] == LAYERS and values.size == LAYERS * WIDTH * WIDTH
    assert stats.detectable_scale_error(ONE_LAYER, values.size) < 0.01
    for result in stats.check_sample(values, ONE_LAYER):
        assert result.passed, result.describe()
    whole = xc.glorot_uniform().resolve(values.shape).distribution  # stack read as one weight
    assert not all(r.passed for r in stats.check_sample(values, whole))


class Unknown(nnx.Module):
    def __init__(self) -> None:
        self.dense = nnx.Linear(4, 4, rngs=nnx.Rngs(0))
        self.w = nnx.Param(jnp.ones((4, 4)))


def _snapshot(model: nnx.Module) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(nnx.state(model))]


def test_strict_raises_before_writing_and_warning_lists_each() -> None:
    model = Unknown()
    before = _snapshot(model)
    with pytest.raises(xc.XavierError, match=r"strict=True: 1 tensor\(s\).*\n  w \(Unknown"):
        xj.init_params(model, KEY, strict=True)
    for old, new in zip(before, _snapshot(model), strict=True):
        np.testing.assert_array_equal(old, new)
    with pytest.warns(xc.UnhandledWarning, match=r"w \(Unknown, shape \(4, 4\)\): no rule"):
        _, report = xj.init_params(model, KEY)
    assert report["w"].state == "unhandled" and report["dense/kernel"].state == "drawn"


def test_error_at_the_last_parameter_leaves_nnx_bit_identical(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Every value is computed before tree.write sets the first nnx Variable.
    model = nnx.Sequential(*[nnx.Linear(8, 8, rngs=nnx.Rngs(i)) for i in range(3)])
    before = _snapshot(model)
    calls, real = [], params_module.draw

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected at the last weight")
        return real(*args, **kwargs)

    monkeypatch.setattr(params_module, "draw", failing)
    with pytest.raises(RuntimeError, match="injected"):
        xj.init_params(model, KEY)
    for old, new in zip(before, _snapshot(model), strict=True):
        np.testing.assert_array_equal(old, new)


def _abstract(leaves: Any) -> list[Any]:
    return [leaf for leaf in jax.tree_util.tree_leaves(leaves)
            if isinstance(leaf, jax.ShapeDtypeStruct)]


def test_linen_eval_shape_flow_leaves_nothing_abstract() -> None:
    model = nn.Sequential([nn.Dense(8), nn.LayerNorm(), nn.BatchNorm(use_running_average=True)])
    x = jax.ShapeDtypeStruct((2, 4), jnp.float32)
    abstract = jax.eval_shape(model.init, KEY, x)
    new, report = xj.init_params(abstract, jax.random.key(1), model=model, args=(x,))
    assert not _abstract(new)
    assert report["batch_stats/layers_2/var"].state == "reset"
    np.testing.assert_array_equal(np.asarray(new["batch_stats"]["layers_2"]["var"]), 1.0)
    np.testing.assert_array_equal(np.asarray(new["params"]["layers_1"]["scale"]), 1.0)


def test_nnx_eval_shape_flow_leaves_nothing_abstract() -> None:
    class Model(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.embed = nnx.Embed(100, 16, rngs=rngs)
            self.norm = nnx.LayerNorm(16, rngs=rngs)
            self.bn = nnx.BatchNorm(16, rngs=rngs)

    model = nnx.eval_shape(lambda: Model(nnx.Rngs(0)))
    model, report = xj.init_params(model, jax.random.key(2))
    assert not _abstract(nnx.state(model))
    assert report["embed/embedding"].state == "reset"
    np.testing.assert_array_equal(np.asarray(model.bn.var[...]), 1.0)


def test_embeddings_opt_in() -> None:
    table = eqx.nn.Embedding(1000, 64, key=KEY)
    _, report = xj.init_params(table, KEY)
    assert report["weight"].state == "kept" and report["weight"].reason == "embedding"
    new, report = xj.init_params(table, KEY, embeddings=True)
    assert report["weight"].fans == (1000, 64)
    for result in stats.check_sample(np.asarray(new.weight), report["weight"].distribution):
        assert result.passed, result.describe()
