"""The stage's verdict, its JSON form, its table and its PNG, on made-up results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xavier_conformance.mnist import (
    SEED_ACCURACY,
    TIERS,
    BackendResult,
    Run,
    StageResult,
    render,
    save_plot,
)

FULL, QUICK = TIERS["full"], TIERS["quick"]


def _backend(name: str, finals: list[float], epochs: int = 10) -> BackendResult:
    runs = tuple(Run(seed, tuple([0.96] * (epochs - 1) + [final]), 30.0)
                 for seed, final in enumerate(finals))
    return BackendResult(name, runs, {"framework": "1.0"}, wall_seconds=95.0)


def _stage(*backends: BackendResult, tier=FULL) -> StageResult:
    return StageResult(tier, (0, 1, 2), backends, 480.0, {"cpus": 2})


def test_mean_and_sample_std_of_final_accuracy() -> None:
    result = _backend("torch", [0.977, 0.979, 0.981])
    assert result.mean_final == pytest.approx(0.979, abs=1e-12)
    assert result.std_final == pytest.approx(0.002, abs=1e-12)
    assert result.mean_curve[-1] == pytest.approx(0.979) and result.mean_curve[0] == 0.96


def test_stage_within_band_and_spread_passes() -> None:
    stage = _stage(_backend("torch", [0.976, 0.978, 0.977]), _backend("jax", [0.979, 0.980, 0.978]))
    assert stage.failures() == [], f"got {stage.failures()}, but should be no failure"
    assert stage.spread == pytest.approx(0.002)


FAILING = {
    "below-band": ((_backend("torch", [0.970, 0.971, 0.972]),),
                   "torch: mean final test accuracy 97.10% over 3 run(s), but should be in "
                   "[97.20%, 98.40%]"),
    "above-band": ((_backend("jax", [0.985, 0.986, 0.987]),),
                   "jax: mean final test accuracy 98.60% over 3 run(s)"),
    "spread": ((_backend("torch", [0.974] * 3), _backend("keras-jax", [0.9795] * 3)),
               "spread between backends: 0.55 points (keras-jax 97.95%, torch 97.40%), but "
               "should be at most 0.50"),
    "error": ((BackendResult("keras-torch", error="ModuleNotFoundError: no torch"),),
              "keras-torch: ModuleNotFoundError: no torch"),
}


@pytest.mark.parametrize("case", FAILING)
def test_unmet_criterion_is_reported(case: str) -> None:
    backends, expected = FAILING[case]
    stage = _stage(*backends)
    assert not stage.passed, f"got a pass, but should fail [{case}]"
    assert any(expected in line for line in stage.failures()), (
        f"got {stage.failures()}, but should contain {expected!r} [{case}]")


def test_quick_tier_thresholds() -> None:
    ok = _stage(_backend("torch", [0.956], 1), _backend("jax", [0.965], 1), tier=QUICK)
    assert ok.passed, f"got {ok.failures()}"
    wide = _stage(_backend("torch", [0.956], 1), _backend("jax", [0.9665], 1), tier=QUICK)
    assert [line.split(":")[0] for line in wide.failures()] == ["spread between backends"]
    low = _stage(_backend("torch", [0.954], 1), tier=QUICK)
    assert low.failures()[0].startswith("torch: mean final test accuracy 95.40%")


def test_json_round_trip() -> None:
    stage = _stage(_backend("torch", [0.977, 0.979, 0.981]),
                   BackendResult("keras-torch", error="boom", wall_seconds=1.5))
    record = json.loads(json.dumps(stage.to_json()))
    assert record["passed"] is False and record["failures"] == stage.failures()
    assert record["reference"]["test_accuracy"][-1] == SEED_ACCURACY
    assert record["backends"][0]["mean_final"] == pytest.approx(0.979)
    assert record["backends"][1]["error"] == "boom"
    assert StageResult.from_json(record) == stage


def test_table_sits_beside_the_seed() -> None:
    text = render(_stage(_backend("torch", [0.977, 0.979, 0.981]),
                         BackendResult("jax", error="boom")))
    lines = text.splitlines()
    seed_row = next(line for line in lines if line.startswith("seed program"))
    assert seed_row.split()[-1] == "97.64", f"got {seed_row!r}, but should end with 97.64"
    torch_row = next(line for line in lines if line.startswith("torch"))
    for cell in ("97.90 +- 0.20", "+0.26", "97.70 97.90 98.10"):
        assert cell in torch_row, f"got {torch_row!r}, but should contain {cell!r}"
    assert "vs seed 97.64" in lines[1]
    assert lines[-2:] == ["FAIL", "  jax: boom"], f"got {lines[-2:]}"


@pytest.mark.parametrize("tier", ["quick", "full"])
def test_plot_is_a_png(tier: str, tmp_path: Path) -> None:
    epochs = TIERS[tier].epochs
    stage = _stage(_backend("torch", [0.977, 0.979], epochs), _backend("jax", [0.978], epochs),
                   BackendResult("keras-torch", error="boom"), tier=TIERS[tier])
    path = tmp_path / "curves.png"
    save_plot(stage, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "got no PNG signature, but should be a PNG"
    assert len(data) > 10_000, f"got {len(data)} bytes, but a plot with curves should be larger"
