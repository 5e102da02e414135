"""The examples run as a user runs them: each alone, in a fresh interpreter (slow).

The training examples run one epoch (``--epochs 1``) and must clearly learn; the 95.5% criterion
itself belongs to the quick tier (test_mnist_stage.py), which pins the data order and seeds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from xavier_conformance.mnist import ENV_VAR
from xavier_conformance.mnist.stage import worker_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRAINING = {
    "keras-seed-tensorflow": ("mnist_keras_seed.py", "keras-tensorflow"),
    "torch": ("mnist_torch.py", "torch"),
    "jax-flax": ("mnist_jax.py", "jax"),
}


def _run(script: str, backend: str, mnist_dir: Path, *args: str) -> str:
    env = {**worker_env(backend), ENV_VAR: str(mnist_dir)}
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"got exit {result.returncode} [{script}]:\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("example", TRAINING)
def test_training_example_learns_in_one_epoch(example: str, mnist_dir: Path) -> None:
    script, backend = TRAINING[example]
    output = _run(script, backend, mnist_dir, "--epochs", "1")
    found = re.search(r"^test accuracy: (0\.\d+)", output, re.MULTILINE)
    assert found, f"got no 'test accuracy:' line, but should print one [{example}]:\n{output}"
    assert float(found.group(1)) > 0.95, f"got {found.group(1)}, but should be > 0.95 [{example}]"


@pytest.mark.slow
def test_porting_example_gives_every_framework_the_same_glorot_std(mnist_dir: Path) -> None:
    output = _run("porting.py", "keras-jax", mnist_dir)
    rows = {line.split()[0]: line for line in output.splitlines()
            if line.split() and line.split()[0] in ("conv", "depthwise", "pointwise", "dense")}
    assert set(rows) == {"conv", "depthwise", "pointwise", "dense"}, output
    depthwise = next(line for line in output.splitlines() if line.startswith("depthwise"))
    assert "(9, 9)" in depthwise and "0.3333" in depthwise, (
        f"got {depthwise!r}, but the depthwise conv should have fans (9, 9), Glorot std 0.3333")
    defaults = [line for line in output.splitlines() if line.startswith("depthwise")][1]
    torch_ratio, keras_ratio, flax_ratio = map(float, re.findall(r"\(x([\d.]+)\)", defaults))
    # Default stds of the depthwise layer against Glorot's 1/3 (288 weights: ~4% sampling noise):
    # torch U(+-1/3) -> x0.58; Keras counts fans over all 32 channels, (288, 9) -> x0.25;
    # Flax lecun_normal over fan_in 9 -> x1.
    expected = {"torch": (0.45, 0.7, torch_ratio), "keras": (0.18, 0.32, keras_ratio),
                "flax": (0.85, 1.15, flax_ratio)}
    for framework, (low, high, ratio) in expected.items():
        assert low <= ratio <= high, f"got x{ratio}, but should be in [{low}, {high}] [{framework}]"

