"""The strided-nets experiment: stride-aware fans keep the signal steadier than stride-blind ones
(torch here, and the ViT patch embedding in JAX/Flax; Keras in tests/keras/test_keras_strides.py),
and the figure is drawn."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from xavier_conformance.experiment import cli, figures, strides

SEEDS = range(2)
BATCH = 32


@functools.cache
def _run(net: str, activation: str, stride_aware: bool, framework: str = "torch"
         ) -> strides.StrideRun:
    return strides.run(strides.load(framework), net, activation, stride_aware, SEEDS, BATCH)


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("activation", strides.ACTIVATIONS)
def test_vit_patch_embedding_keeps_the_input_variance_only_when_stride_aware(
        activation: str, framework: str) -> None:
    # k = s = 16: stride-blind Glorot std is 11x too small, so Var[h] falls about 100x.
    # jax: Flax linen nn.Conv strides read by xj.init_params (stride_aware=True by default).
    if framework == "jax":
        pytest.importorskip("flax")
    aware = _run("vit", activation, True, framework).first_activation
    blind = _run("vit", activation, False, framework).first_activation
    assert 0.4 < aware < 1.6, f"got Var[h] {aware:.3g} after the patch embedding, but should be " \
        "about the input's 1 with stride-aware fans"
    assert aware / blind > 8, f"got stride-aware / stride-blind Var[h] {aware / blind:.3g}, but " \
        "should be > 8 (the fans differ 128x in fan_out)"


@pytest.mark.parametrize("net", strides.NETS)
@pytest.mark.parametrize("activation", strides.ACTIVATIONS)
def test_stride_aware_fans_drift_less(net: str, activation: str) -> None:
    aware, blind = _run(net, activation, True), _run(net, activation, False)
    assert aware.distance < blind.distance, (
        f"got drift {aware.distance:.2f} stride-aware, {blind.distance:.2f} stride-blind, but "
        f"stride-aware should drift less [{net}, {activation}]")


def test_strides_command_prints_the_table_and_saves_the_figure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["strides", "--frameworks", "torch", "--nets", "vit", "--activations",
                     "relu", "--seeds", "2", "--batch", "16", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "stride-aware fans drift less in 1 of 1 cases" in out, out
    assert (tmp_path / "strides.png").stat().st_size > 10_000


def test_stride_figure_refuses_no_runs() -> None:
    with pytest.raises(ValueError, match="runs must be at least one StrideRun"):
        figures.stride_figure([])
