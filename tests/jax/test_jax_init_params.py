"""init_params gives every Flax and Equinox weight the fans of DESIGN.md section 3.

Each row of the fans table is checked twice: the report states the expected fans, and the drawn
values pass the statistics (bounds, reach, mean, variance, Kolmogorov-Smirnov; false-alarm rate
1e-6 each) against the Glorot uniform law of those fans; a packed kernel (LSTM/GRU gates) holds
one law in every gate, so all its values are checked as one sample. Every row holds at least
4,096 values, so the checks have power (``python tests/jax/test_jax_init_params.py`` prints each
row's figures): at n = 4,096 they catch a std (and bound) off by 0.34 % or more either way
(:func:`xavier_conformance.stats.detectable_scale_error`: bounds when too wide, reach when too
narrow), and the variance check alone a variance off by 6.8 %; larger rows detect less.
:func:`test_statistics_reject_the_frameworks_own_fans` shows the checks failing on the rows
where ``jax.nn.initializers.glorot_uniform``'s bare-shape fans are wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import xavier_core as xc
from xavier_adapters import jax as xj
from xavier_conformance import stats

KEY = jax.random.key(0)


def linen(module: nn.Module, *inputs: Any) -> tuple[Any, dict[str, Any]]:
    """Variables of a linen module and the init_params arguments that describe it."""
    return module.init(KEY, *inputs), {"model": module, "args": inputs}


def lstm_inputs(hidden: int, features: int) -> tuple[Any, ...]:
    return ((jnp.zeros((1, hidden)), jnp.zeros((1, hidden))), jnp.zeros((1, features)))


class Row(NamedTuple):
    build: Callable[[], tuple[Any, dict[str, Any]]]
    param: str
    shape: tuple[int, ...]
    fans: tuple[int, int]


TABLE: dict[str, Row] = {
    "linen-dense": Row(lambda: linen(nn.Dense(64), jnp.zeros((1, 784))),
                       "params/kernel", (784, 64), (784, 64)),
    "linen-dense-general-batch": Row(
        lambda: linen(nn.DenseGeneral(32, batch_dims=(0,)), jnp.zeros((3, 10, 64))),
        "params/kernel", (3, 64, 32), (64, 32)),
    "linen-conv2d": Row(lambda: linen(nn.Conv(64, (3, 3)), jnp.zeros((1, 8, 8, 16))),
                        "params/kernel", (3, 3, 16, 64), (144, 576)),
    "linen-conv2d-groups4": Row(
        lambda: linen(nn.Conv(64, (3, 3), feature_group_count=4), jnp.zeros((1, 8, 8, 32))),
        "params/kernel", (3, 3, 8, 64), (72, 144)),
    "linen-depthwise-conv2d": Row(
        lambda: linen(nn.Conv(512, (3, 3), feature_group_count=512), jnp.zeros((1, 4, 4, 512))),
        "params/kernel", (3, 3, 1, 512), (9, 9)),
    "linen-conv-transpose": Row(
        lambda: linen(nn.ConvTranspose(64, (3, 3)), jnp.zeros((1, 8, 8, 16))),
        "params/kernel", (3, 3, 16, 64), (144, 576)),
    "linen-conv-transpose-transpose-kernel": Row(
        lambda: linen(nn.ConvTranspose(48, (3, 3), transpose_kernel=True),
                      jnp.zeros((1, 4, 4, 32))),
        "params/kernel", (3, 3, 48, 32), (288, 432)),
    "linen-optimized-lstm-gate": Row(
        lambda: linen(nn.OptimizedLSTMCell(64), *lstm_inputs(64, 128)),
        "params/ii/kernel", (128, 64), (128, 64)),
    "linen-einsum-heads": Row(
        lambda: linen(nn.Einsum((64, 4, 16), "abc,cde->abde"), jnp.zeros((1, 5, 64))),
        "params/kernel", (64, 4, 16), (64, 64)),
    "linen-attention-out": Row(
        lambda: linen(nn.MultiHeadDotProductAttention(4, qkv_features=64), jnp.zeros((1, 5, 64))),
        "params/out/kernel", (4, 16, 64), (64, 64)),
    "nnx-linear": Row(lambda: (nnx.Linear(784, 64, rngs=nnx.Rngs(0)), {}),
                      "kernel", (784, 64), (784, 64)),
    "nnx-linear-general": Row(
        lambda: (nnx.LinearGeneral((8, 16), 64, axis=(-2, -1), rngs=nnx.Rngs(0)), {}),
        "kernel", (8, 16, 64), (128, 64)),
    "nnx-einsum-heads": Row(
        lambda: (nnx.Einsum("abc,cde->abde", (64, 4, 16), rngs=nnx.Rngs(0)), {}),
        "kernel", (64, 4, 16), (64, 64)),
    "nnx-attention-query": Row(
        lambda: (nnx.MultiHeadAttention(4, 64, decode=False, rngs=nnx.Rngs(0)), {}),
        "query/kernel", (64, 4, 16), (64, 64)),
    "nnx-conv2d-groups4": Row(
        lambda: (nnx.Conv(32, 64, (3, 3), feature_group_count=4, rngs=nnx.Rngs(0)), {}),
        "kernel", (3, 3, 8, 64), (72, 144)),
    "nnx-conv-transpose-transpose-kernel": Row(
        lambda: (nnx.ConvTranspose(32, 48, (3, 3), transpose_kernel=True, rngs=nnx.Rngs(0)), {}),
        "kernel", (3, 3, 48, 32), (288, 432)),
    "nnx-optimized-lstm-packed-input": Row(
        lambda: (nnx.OptimizedLSTMCell(32, 64, rngs=nnx.Rngs(0)), {}),
        "dense_i/kernel", (32, 256), (32, 64)),
    "nnx-optimized-lstm-packed-recurrent": Row(
        lambda: (nnx.OptimizedLSTMCell(32, 64, rngs=nnx.Rngs(0)), {}),
        "dense_h/kernel", (64, 256), (64, 64)),
    "nnx-gru-packed-input": Row(
        lambda: (nnx.GRUCell(32, 64, rngs=nnx.Rngs(0)), {}),
        "dense_i/kernel", (32, 192), (32, 64)),
    "eqx-linear": Row(lambda: (eqx.nn.Linear(784, 64, key=KEY), {}),
                      "weight", (64, 784), (784, 64)),
    "eqx-conv2d": Row(lambda: (eqx.nn.Conv2d(16, 64, 3, key=KEY), {}),
                      "weight", (64, 16, 3, 3), (144, 576)),
    "eqx-conv2d-groups4": Row(lambda: (eqx.nn.Conv2d(32, 64, 3, groups=4, key=KEY), {}),
                              "weight", (64, 8, 3, 3), (72, 144)),
    "eqx-depthwise-conv2d": Row(lambda: (eqx.nn.Conv2d(512, 512, 3, groups=512, key=KEY), {}),
                                "weight", (512, 1, 3, 3), (9, 9)),
    "eqx-conv-transpose2d": Row(lambda: (eqx.nn.ConvTranspose2d(16, 64, 3, key=KEY), {}),
                                "weight", (64, 16, 3, 3), (144, 576)),
    "eqx-lstm-weight-ih": Row(lambda: (eqx.nn.LSTMCell(32, 64, key=KEY), {}),
                              "weight_ih", (256, 32), (32, 64)),
    "eqx-gru-weight-hh": Row(lambda: (eqx.nn.GRUCell(32, 64, key=KEY), {}),
                             "weight_hh", (192, 64), (64, 64)),
}


def _strip_collection(name: str) -> str:
    return name.removeprefix("params/")


def _leaf(tree: Any, name: str) -> np.ndarray:
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        keys = [str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k)))) for k in path]
        if "/".join(k for k in keys if k != "value") == name:
            return np.asarray(leaf)
    raise KeyError(name)


@pytest.mark.parametrize("row", TABLE.values(), ids=TABLE.keys())
def test_fans_table_row(row: Row) -> None:
    params, options = row.build()
    new, report = xj.init_params(params, jax.random.key(1), **options)
    record = report[_strip_collection(row.param)]
    assert record.shape == row.shape, f"got shape {record.shape}, but should be {row.shape}"
    assert record.state == "drawn", f"got {record.state}, but should be drawn"
    assert record.fans == row.fans, f"got {record.fans}, but should be {row.fans} [{record.note}]"
    assert record.distribution == xc.glorot_uniform().distribution_for(xc.Fans(*row.fans))
    values = _leaf(new, row.param)
    assert values.shape == row.shape, f"got {values.shape} values, but should be {row.shape}"
    for result in stats.check_sample(values, record.distribution):  # every gate: the same law
        assert result.passed, f"{result.describe()} [{row.param}, fans {row.fans}]"


def row_power(row: Row) -> tuple[int, float, float]:
    """(values, smallest std error the checks catch either way, smallest variance error the
    variance check alone catches) of a fans-table row."""
    n = math.prod(row.shape)
    distribution = xc.glorot_uniform().distribution_for(xc.Fans(*row.fans))
    variance = stats.check_variance(np.zeros(n), distribution).tolerance / distribution.variance
    return n, stats.detectable_scale_error(distribution, n), variance


@pytest.mark.parametrize("row", TABLE.values(), ids=TABLE.keys())
def test_each_row_has_power(row: Row) -> None:
    n, scale, variance = row_power(row)
    assert n >= 4096 and scale <= 0.0034 and variance <= 0.0684, (
        f"got {n} values whose checks catch only a {scale:.2%} std error and whose variance "
        f"check only a {variance:.1%} variance error, but should hold >= 4,096 values and catch "
        f"0.34 % and 6.84 % [{row.param}]")


def _jax_own_fans(shape: tuple[int, ...]) -> xc.Fans:
    """jax.nn.initializers.glorot_uniform's reading of a bare shape: (..., in, out)."""
    receptive = math.prod(shape[:-2])
    return xc.Fans(shape[-2] * receptive, shape[-1] * receptive)


# Rows where JAX's reading changes the law (a swap of fan_in and fan_out leaves Glorot's law as
# it is: the report's fans, checked above, are all that can tell those apart).
WRONG_BY_JAX = [name for name, row in TABLE.items()
                if sum(_jax_own_fans(row.shape)) != sum(row.fans)]


@pytest.mark.parametrize("name", WRONG_BY_JAX)
def test_statistics_reject_the_frameworks_own_fans(name: str) -> None:
    """jax.nn.initializers.glorot_uniform reads these rows' shapes with other fans: drawn that
    way, the values must fail the checks against the row's fans."""
    row = TABLE[name]
    values = np.asarray(jax.nn.initializers.glorot_uniform()(jax.random.key(2), row.shape))
    right = xc.glorot_uniform().distribution_for(xc.Fans(*row.fans))
    wrong = xc.glorot_uniform().distribution_for(_jax_own_fans(row.shape))
    failed = [r.name for r in stats.check_sample(values, right) if not r.passed]
    assert failed, (f"got every check passing for values drawn with fans "
                    f"{_jax_own_fans(row.shape)} (variance ratio "
                    f"{wrong.variance / right.variance:.3g}), but should fail against {row.fans}")


def test_packed_gates_are_drawn_per_gate() -> None:
    # 4 gates of (256 -> 256) packed in one (256, 1024) kernel: Var = 2 / 512, not 2 / 1280.
    # Built abstractly (no values, no orthogonal init), then drawn by init_params alone.
    cell = nnx.eval_shape(lambda: nnx.OptimizedLSTMCell(256, 256, rngs=nnx.Rngs(0)))
    cell, report = xj.init_params(cell, jax.random.key(2), "normal")
    kernel = np.asarray(cell.dense_i.kernel[...])
    assert report["dense_i/kernel"].fans == (256, 256)
    for result in stats.check_sample(kernel, xc.Normal(std=(2 / 512) ** 0.5)):
        assert result.passed, result.describe() + " [nnx OptimizedLSTMCell dense_i]"
    wrong = xc.glorot_normal().resolve((256, 1024)).distribution
    assert not stats.check_variance(kernel, wrong).passed


def test_biases_are_zeroed_and_other_layers_left() -> None:
    model = eqx.nn.Sequential([eqx.nn.Linear(8, 4, key=KEY), eqx.nn.LayerNorm(4)])
    new, report = xj.init_params(model, jax.random.key(3))
    assert report["layers/0/bias"].state == "zeroed"
    assert not np.any(np.asarray(new.layers[0].bias))
    assert np.any(np.asarray(model.layers[0].bias)), "the input model should be left as it was"
    assert report["layers/1/weight"].state == "kept"
    assert report["layers/1/weight"].reason == "normalization layer"
    kept, before = new.layers[1].weight, model.layers[1].weight
    np.testing.assert_array_equal(np.asarray(kept), np.asarray(before))


def test_nnx_model_is_updated_in_place_and_returned() -> None:
    model = nnx.Linear(8, 4, rngs=nnx.Rngs(0))
    before = np.asarray(model.kernel[...])
    new, _ = xj.init_params(model, jax.random.key(4))
    assert new is model
    assert not np.array_equal(np.asarray(new.kernel[...]), before)
    assert new(jnp.ones((2, 8))).shape == (2, 4)


def test_linen_other_collections_are_kept() -> None:
    model = nn.Sequential([nn.Dense(8), nn.BatchNorm(use_running_average=False)])
    variables = model.init(KEY, jnp.ones((2, 4)))
    new, report = xj.init_params(variables, jax.random.key(5), model=model,
                                 args=(jnp.ones((2, 4)),))
    assert set(new) == {"params", "batch_stats"}
    assert report["layers_0/kernel"].state == "drawn"
    assert report["layers_1/scale"].state == "kept"
    assert report["batch_stats/layers_1/mean"].reason == "running statistics"


def test_linen_abstract_params_from_eval_shape() -> None:
    model, x = nn.Conv(16, (3, 3), feature_group_count=2), jax.ShapeDtypeStruct((1, 8, 8, 4), "f4")
    abstract = jax.eval_shape(model.init, KEY, x)
    new, report = xj.init_params(abstract, jax.random.key(6), model=model, args=(x,))
    assert isinstance(new["params"]["kernel"], jax.Array)
    assert report["kernel"].fans == (18, 72)  # 4 -> 16, k3, 2 groups: (2 * 9, 8 * 9)


def test_linen_kwargs_reach_the_model() -> None:
    class Net(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array, train: bool) -> jax.Array:
            return nn.Dropout(0.5, deterministic=not train)(nn.Dense(4)(x))

    model, x = Net(), jnp.ones((1, 3))
    variables = model.init(KEY, x, train=False)
    _, report = xj.init_params(variables, KEY, model=model, args=(x,), kwargs={"train": False})
    assert report["Dense_0/kernel"].fans == (3, 4)


def test_values_depend_on_the_parameter_name_only() -> None:
    small = eqx.nn.MLP(4, 2, 8, 1, key=KEY)
    big = eqx.nn.MLP(4, 2, 8, 3, key=KEY)
    small, _ = xj.init_params(small, jax.random.key(7))
    big, _ = xj.init_params(big, jax.random.key(7))
    np.testing.assert_array_equal(np.asarray(small.layers[0].weight),
                                  np.asarray(big.layers[0].weight))
    assert not np.array_equal(np.asarray(big.layers[0].weight)[:, :4],
                              np.asarray(big.layers[1].weight)[:, :4])


def test_same_shaped_parameters_of_one_call_differ() -> None:
    # Seen failing with every parameter drawn from `key` itself (params._stream returning key).
    mlp = eqx.nn.MLP(64, 64, 64, 3, key=KEY)
    mlp, _ = xj.init_params(mlp, jax.random.key(8))
    weights = [np.asarray(layer.weight) for layer in mlp.layers]
    for i, first in enumerate(weights):
        for second in weights[i + 1:]:
            assert not np.array_equal(first, second), "two same-shaped weights are equal"
    model = nnx.Sequential(*[nnx.Linear(32, 32, rngs=nnx.Rngs(i)) for i in range(3)])
    model, _ = xj.init_params(model, jax.random.key(9))
    kernels = [np.asarray(layer.kernel[...]) for layer in model.layers]
    assert not np.array_equal(kernels[0], kernels[1])
    assert not np.array_equal(kernels[1], kernels[2])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_parameter_dtype_is_kept(dtype: str) -> None:
    layer = nnx.Linear(64, 32, param_dtype=jnp.dtype(dtype), rngs=nnx.Rngs(0))
    new, _ = xj.init_params(layer, KEY)
    assert new.kernel[...].dtype == jnp.dtype(dtype)


def test_stacked_weights_get_one_layers_fans() -> None:
    # Ten Linear layers stacked by vmap: (10, 8, 4). Read as (out, in) it would be wrong.
    stacked = eqx.filter_vmap(lambda k: eqx.nn.Linear(4, 8, key=k))(jax.random.split(KEY, 10))
    _, report = xj.init_params(stacked, KEY)
    assert report["weight"].fans == (4, 8), report["weight"].note
    layout = xc.TORCH.with_(in_axis=2, out_axis=1, batch_axis=0)
    new, report = xj.init_params(stacked, KEY, layouts={"weight": layout})
    assert report["weight"].fans == (4, 8) and report["bias"].state == "zeroed"
    assert new.weight.shape == (10, 8, 4)


def test_layouts_cover_other_layers_and_plain_pytrees() -> None:
    params = {"w": jnp.zeros((10, 8, 4)), "b": jnp.zeros((4,))}
    layout = xc.Layout(in_axis=1, out_axis=2, batch_axis=0)
    new, report = xj.init_params(params, KEY, layouts={"w": layout})
    assert report["w"].fans == (8, 4) and report["b"].state == "unhandled"
    assert np.abs(np.asarray(new["w"])).max() > 0


@pytest.mark.parametrize(
    "distribution, gain",
    [("normal", "relu"), ("truncated_normal", 0.5), ("uniform", "tanh")],
    ids=["normal-relu", "truncated_normal-0.5", "uniform-tanh"],
)
def test_distribution_and_gain(distribution: str, gain: float | str) -> None:
    _, report = xj.init_params(eqx.nn.Linear(784, 256, key=KEY), KEY, distribution, gain=gain)
    number = xc.calculate_gain(gain) if isinstance(gain, str) else gain
    expected = xc.glorot(distribution, number).distribution_for(xc.Fans(784, 256))
    assert report["weight"].distribution == expected


def test_plan_params_gives_layouts_for_other_specs() -> None:
    # He (fan_in) through Flax ConvTranspose(transpose_kernel=True)'s own layout: (*k, out, in).
    layer = nnx.ConvTranspose(5, 7, (3, 3), transpose_kernel=True, rngs=nnx.Rngs(0))
    plans = xj.plan_params(layer)
    assert plans["kernel"].layout == xc.KERAS_TRANSPOSED.with_(strides=(1, 1))
    assert isinstance(plans["bias"], xc.rules.Bias)
    init = xj.Initializer(xc.he("uniform"), plans["kernel"].layout)
    assert init.layout.fans(layer.kernel.shape) == (45, 63)


def test_report_prints_as_a_table() -> None:
    _, report = xj.init_params(eqx.nn.Linear(3, 2, key=KEY), KEY)
    text = str(report)
    assert "weight" in text and "(3, 2)" in text and "drawn" in text


BAD_CALLS: dict[str, tuple[Callable[[], object], str]] = {
    "plain-dict-without-model": (lambda: xj.init_params({"w": jnp.zeros((3, 4))}, KEY),
                                 "model=None"),
    "model-not-linen": (lambda: xj.init_params({"w": jnp.zeros((3, 4))}, KEY, model=object()),
                        "model='object'"),
    "model-with-equinox": (lambda: xj.init_params(eqx.nn.Linear(3, 2, key=KEY), KEY,
                                                  model=nn.Dense(2)), "model='Dense'"),
    "layouts-unknown-name": (lambda: xj.init_params({"w": jnp.zeros((3, 4))}, KEY,
                                                    layouts={"v": xc.CHANNELS_LAST}),
                             "'v' matches nothing"),
    "layouts-not-a-layout": (lambda: xj.init_params({"w": jnp.zeros((3, 4))}, KEY,
                                                    layouts={"w": (0, 1)}),
                             "layouts['w']=(0, 1)"),
}


@pytest.mark.parametrize("call, fragment", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_raises_named_error(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    assert fragment in str(caught.value), f"got {caught.value}, but should mention {fragment!r}"


if __name__ == "__main__":
    print(xc.render_table(("row", "values", "std error caught", "variance error caught"),
                          [(name, str(n), f">= {scale:.2%}", f">= {variance:.1%}")
                           for name, row in TABLE.items()
                           for n, scale, variance in [row_power(row)]]))
