"""The Glorot & Bengio experiment at initialization: the issue's ratio criteria, in torch and JAX,
and their agreement within sampling error (Keras: tests/keras/test_keras_probe.py)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

import xavier_core as xc
from xavier_conformance.experiment import analysis, cli, data, frameworks, paper, runs

CHECKOUT = Path(__file__).resolve().parents[2]
PROBE_BATCH = 250
SEEDS = range(6)
FRAMEWORKS = ["torch", "jax"]


def _mnist_dir() -> Path:
    directory = Path(os.environ.get(data.ENV_VAR) or CHECKOUT.parent / "shared" / "mnist")
    if not directory.is_dir():
        pytest.fail(f"the experiment tests need MNIST; set {data.ENV_VAR}")
    return directory


@functools.cache
def _arrays() -> data.Arrays:
    return data.load(_mnist_dir())


@functools.cache
def _summary(framework: str, init: str | xc.VarianceScaling) -> analysis.RatioSummary:
    images, labels = _arrays().probe_batch(PROBE_BATCH)
    return runs.probe_at_init(frameworks.load(framework), "tanh", init, SEEDS, images,
                              labels).summary


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_glorot_tanh_gradient_ratio_is_within_half_and_two(framework: str) -> None:
    summary = _summary(framework, "glorot")
    low, high = summary.interval()
    assert low >= 0.5 and high <= 2.0, (
        f"got {summary.describe()}, but should lie within [0.5, 2] [{framework}, tanh, glorot]")


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_standard_tanh_gradient_ratio_is_measurably_farther_from_one(framework: str) -> None:
    standard, glorot = _summary(framework, "standard"), _summary(framework, "glorot")
    assert analysis.farther_from_one(standard, glorot), (
        f"got standard {standard.describe()} and Glorot {glorot.describe()}, but the standard "
        f"init should be farther from 1 (Welch one-sided, p < 1e-3) [{framework}]")
    assert standard.interval()[1] < 0.05, f"got {standard.describe()}, but should be ~(1/3)^4"


@pytest.mark.slow
@pytest.mark.parametrize("init", ["standard", "glorot"])
def test_jax_and_torch_agree_within_sampling_error(init: str) -> None:
    ours, reference = _summary("jax", init), _summary("torch", init)
    p_value = analysis.agreement_p_value(ours.ratios, reference.ratios)
    assert analysis.agree(ours, reference), (
        f"got p={p_value:.3g} for jax {ours.describe()} against torch {reference.describe()}, "
        f"but should be >= 1e-3 [tanh, {init}]")


@pytest.mark.slow
def test_agreement_check_catches_a_glorot_init_with_half_again_the_variance() -> None:
    wrong = xc.VarianceScaling(scale=1.5, mode="fan_avg", distribution="uniform")
    assert not analysis.agree(_summary("torch", wrong), _summary("torch", "glorot")), (
        f"got agreement between {_summary('torch', wrong).describe()} and "
        f"{_summary('torch', 'glorot').describe()}, but a 1.5x variance should be caught")


def test_ratio_summary_interval_is_scipy_s_t_interval_of_the_log_mean() -> None:
    from scipy import stats

    ratios = (0.5, 0.6, 0.7, 0.6)
    summary = analysis.RatioSummary("torch", "tanh", "glorot", ratios)
    logs = np.log(ratios)
    assert summary.geometric_mean == pytest.approx(np.exp(logs.mean()))
    low, high = stats.t.interval(1 - analysis.ALPHA, len(logs) - 1, loc=logs.mean(),
                                 scale=stats.sem(logs))
    assert summary.interval() == pytest.approx((np.exp(low), np.exp(high)))


@pytest.mark.parametrize("ratios", [(0.5,), (0.5, 0.0), (0.5, float("inf"))],
                         ids=["one-seed", "zero", "infinite"])
def test_ratio_summary_refuses_unusable_ratios(ratios: tuple[float, ...]) -> None:
    with pytest.raises(xc.XavierError, match="ratios must be at least two finite positive"):
        analysis.RatioSummary("torch", "tanh", "glorot", ratios)


def test_batch_order_is_fresh_permutations_epoch_after_epoch() -> None:
    order = runs.batch_order(seed=3, steps=25, batch_size=10, examples=100)
    assert order.shape == (25, 10)
    flat = order.ravel()
    for epoch in range(2):
        assert sorted(flat[100 * epoch:100 * (epoch + 1)]) == list(range(100))
    np.testing.assert_array_equal(order, runs.batch_order(3, 25, 10, 100))
    assert not np.array_equal(order, runs.batch_order(4, 25, 10, 100))


def test_paper_model_is_784_five_by_1000_and_10() -> None:
    assert paper.layer_sizes() == [(784, 1000), *[(1000, 1000)] * 4, (1000, 10)]


def test_unknown_framework_is_refused() -> None:
    with pytest.raises(xc.XavierError, match="framework must be one of torch, keras, jax, got "
                                             "framework='mxnet'"):
        frameworks.load("mxnet")


def test_mnist_arrays_are_flat_scaled_pixels() -> None:
    arrays = _arrays()
    assert arrays.train_images.shape == (60000, 784) and arrays.test_images.shape == (10000, 784)
    assert arrays.train_images.dtype == np.float32
    assert arrays.train_images.min() == 0.0 and arrays.train_images.max() == 1.0
    assert arrays.train_labels[:5].tolist() == [5, 0, 4, 1, 9]


@pytest.mark.slow
def test_init_command_writes_figures_and_passes_the_criteria(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture
                                                              ) -> None:
    code = cli.main(["init", "--frameworks", "torch", "--activations", "tanh", "--seeds",
                     str(len(SEEDS)), "--probe-batch", str(PROBE_BATCH), "--out", str(tmp_path),
                     "--data-dir", str(_mnist_dir())])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "torch: tanh ratio with Glorot" in out and "inside [0.5, 2.0]" in out
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["activations_torch_tanh.png", "backprop_torch_tanh.png",
                       "variances.png"], written


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_few_hundred_sgd_steps_learn_mnist(framework: str) -> None:
    result = runs.train_once(frameworks.load(framework), "tanh", "glorot", _arrays(), steps=300,
                             learning_rate=0.03, test_examples=2000)
    assert result.test_error < 30.0, (
        f"got test error {result.test_error:.1f}% after 300 steps, but should be < 30% "
        f"(chance is 90%) [{framework}, tanh, glorot]")


@pytest.mark.slow
def test_train_command_prints_the_table_beside_the_paper(capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["train", "--frameworks", "torch", "--activations", "tanh", "--steps", "20",
                     "--test-examples", "200", "--data-dir", str(_mnist_dir())])
    out = capsys.readouterr().out
    assert code == 0, out
    table = out[out.index("activation  init"):].splitlines()
    assert table[0].split() == ["activation", "init", "paper", "torch"], table[0]
    assert table[2].split()[:3] == ["tanh", "standard", "1.76"], table[2]
    assert table[3].split()[:3] == ["tanh", "glorot", "1.64"], table[3]
    assert "total run time" in out
