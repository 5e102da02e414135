"""What every backend shares (data order, pixels / 255, seeds), and the models' initial weights.

The torch and JAX models are built in this process; each kernel must pass the conformance
checks against the spec's Glorot-uniform distribution for its layer, each bias must be zero,
and the kernels must come from this project's adapters. The Keras model is built in one
process per Keras backend (slow).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xavier_core as xc
from xavier_conformance import stats
from xavier_conformance.mnist import Recipe, load_mnist, prepare
from xavier_conformance.mnist.progress import progress_bar
from xavier_conformance.mnist.recipe import epoch_order, layer_seeds
from xavier_conformance.mnist.stage import worker_env

RECIPE = Recipe()
LAYERS = {f"dense{i}-{n_in}x{n_out}": i for i, (n_in, n_out) in enumerate(RECIPE.dense_shapes)}


def _check_glorot_kernel(kernel: np.ndarray, layout: xc.Layout, context: str) -> None:
    distribution = xc.glorot_uniform().resolve(kernel.shape, layout).distribution
    for result in stats.check_sample(kernel, distribution):
        assert result.passed, f"{result.describe()} [{context}]"


def test_epoch_order_is_a_fixed_permutation_per_seed_and_epoch() -> None:
    first = epoch_order(0, 0, 60000)
    assert np.array_equal(np.sort(first), np.arange(60000)), "should be a permutation"
    assert np.array_equal(first, epoch_order(0, 0, 60000)), "should be reproducible"
    assert not np.array_equal(first, epoch_order(0, 1, 60000)), "epochs should differ"
    assert not np.array_equal(first, epoch_order(1, 0, 60000)), "seeds should differ"


def test_layer_seeds_are_distinct_and_reproducible() -> None:
    seeds = layer_seeds(0, 3)
    assert seeds == layer_seeds(0, 3) and len(set(seeds)) == 3
    assert all(0 <= s < 2**31 for s in seeds), f"got {seeds}, but should fit in 31 bits"
    assert seeds != layer_seeds(1, 3)


def test_pixels_are_divided_by_255(mnist_dir: Path) -> None:
    data = load_mnist(mnist_dir)
    arrays = prepare(data)
    assert arrays.x_train.shape == (60000, 784) and arrays.x_train.dtype == np.float32
    expected = data.test_images[7].reshape(-1).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(arrays.x_test[7], expected)
    assert arrays.x_train.max() == 1.0 and arrays.x_train.min() == 0.0
    assert arrays.y_train.dtype == np.int32 and arrays.y_test[:3].tolist() == [7, 2, 1]


@pytest.fixture(scope="module")
def torch_model():
    pytest.importorskip("torch", reason="pip install 'xavier-init[torch]'")
    from xavier_conformance.mnist import train_torch

    return train_torch.build_model(RECIPE, seed=0)


@pytest.mark.parametrize("layer", LAYERS)
def test_torch_kernel_is_glorot_uniform_and_bias_zero(layer: str, torch_model) -> None:
    linears = [m for m in torch_model if hasattr(m, "weight")]
    linear = linears[LAYERS[layer]]
    _check_glorot_kernel(linear.weight.detach().numpy(), xc.TORCH, f"torch {layer}")
    assert not linear.bias.detach().numpy().any(), f"got nonzero biases [torch {layer}]"


def test_torch_model_is_initialized_by_the_project_adapter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="pip install 'xavier-init[torch]'")
    from xavier_conformance.mnist import train_torch

    calls = []
    real = train_torch.xt.init_model
    monkeypatch.setattr(train_torch.xt, "init_model",
                        lambda *a, **k: calls.append(k) or real(*a, **k))
    first = train_torch.build_model(RECIPE, seed=3)
    again = train_torch.build_model(RECIPE, seed=3)
    assert len(calls) == 2, f"got {len(calls)} init_model calls, but should be 2"
    assert all(a.equal(b) for a, b in zip(first.parameters(), again.parameters(), strict=True))


@pytest.fixture(scope="module")
def jax_params():
    pytest.importorskip("jax", reason="pip install 'xavier-init[jax]'")
    from xavier_conformance.mnist import train_jax

    return train_jax.init_params(RECIPE, seed=0)


@pytest.mark.parametrize("layer", LAYERS)
def test_jax_kernel_is_glorot_uniform_and_bias_zero(layer: str, jax_params) -> None:
    kernel, bias = (np.asarray(a) for a in jax_params[LAYERS[layer]])
    assert kernel.shape == RECIPE.dense_shapes[LAYERS[layer]]
    _check_glorot_kernel(kernel, xc.CHANNELS_LAST, f"jax {layer}")
    assert not bias.any(), f"got nonzero biases [jax {layer}]"


def test_jax_params_come_from_the_project_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("jax", reason="pip install 'xavier-init[jax]'")
    from xavier_conformance.mnist import train_jax

    made = []
    real = train_jax.xj.glorot_uniform
    monkeypatch.setattr(train_jax.xj, "glorot_uniform", lambda *a, **k: made.append(1) or real())
    train_jax.init_params(RECIPE, seed=0)
    assert made == [1], f"got {len(made)} glorot_uniform() calls, but should be 1"


KERAS_SCRIPT = """
import json, sys
import numpy as np
from xavier_conformance.mnist import Recipe, train_keras
from xavier_adapters import keras as xk
model = train_keras.build_model(Recipe(), seed=0)
dense = [layer for layer in model.layers if hasattr(layer, "kernel")]
assert all(isinstance(d.kernel_initializer, xk.GlorotUniform) for d in dense)
np.savez(sys.argv[1], **{f"kernel{i}": np.asarray(d.kernel) for i, d in enumerate(dense)},
         **{f"bias{i}": np.asarray(d.bias) for i, d in enumerate(dense)})
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["keras-tensorflow", "keras-jax", "keras-torch"])
def test_keras_kernels_are_glorot_uniform_and_biases_zero(backend: str, tmp_path: Path) -> None:
    out = tmp_path / "weights.npz"
    prelude = "import torch\n" if backend == "keras-torch" else ""
    subprocess.run([sys.executable, "-c", prelude + KERAS_SCRIPT, str(out)], check=True,
                   env=worker_env(backend), stdin=subprocess.DEVNULL)
    weights = np.load(out)
    for index, shape in enumerate(RECIPE.dense_shapes):
        kernel = weights[f"kernel{index}"]
        assert kernel.shape == shape, f"got {kernel.shape}, but should be {shape} [{backend}]"
        _check_glorot_kernel(kernel, xc.CHANNELS_LAST, f"{backend} dense{index}")
        assert not weights[f"bias{index}"].any(), f"got nonzero biases [{backend} {index}]"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["not-a-terminal", "terminal"])
def test_progress_bar_is_quiet_off_a_terminal(terminal: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    with progress_bar(10, "torch seed 0") as bar:
        disabled = bar.disable
        bar.update(10)
    written = stream.getvalue()
    assert disabled is not terminal, f"got disable={disabled} [terminal={terminal}]"
    assert ("torch seed 0" in written) is terminal, f"got {written!r} [terminal={terminal}]"


def test_worker_env_sets_keras_backend_and_import_path() -> None:
    env = worker_env("keras-jax")
    assert env["KERAS_BACKEND"] == "jax"
    roots = env["PYTHONPATH"].split(os.pathsep)
    import xavier_conformance

    assert str(Path(xavier_conformance.__path__[0]).parent) in roots
    assert worker_env("torch").get("KERAS_BACKEND") == os.environ.get("KERAS_BACKEND")


@pytest.mark.parametrize("threads", [1, 3, None], ids=["one", "three", "framework-default"])
def test_worker_env_sets_intra_op_threads(threads: int | None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    env = worker_env("torch", threads)
    expected = None if threads is None else str(threads)
    assert env.get("OMP_NUM_THREADS") == expected, f"got {env.get('OMP_NUM_THREADS')!r}"
    assert env.get("TF_NUM_INTRAOP_THREADS") == expected


def test_stage_package_imports_no_framework() -> None:
    code = ("import sys, xavier_conformance.mnist\n"
            "heavy = ('torch', 'jax', 'tensorflow', 'keras', 'optax', 'matplotlib', 'tqdm')\n"
            "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=worker_env("torch"), check=True)
    assert result.stdout.strip() == "", f"got {result.stdout.strip()}, but should be nothing"
