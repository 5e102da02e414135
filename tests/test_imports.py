"""The core and the adapters package import no framework: proved in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow", "keras", "flax", "scipy")


def test_core_and_adapters_load_no_framework() -> None:
    code = (
        "import sys, xavier_core, xavier_adapters, xavier_adapters.numpy\n"
        f"loaded = sorted(m for m in {FRAMEWORKS!r} if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    paths = [str(ROOT), str(ROOT / "adapters"), str(ROOT / "conformance")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "", f"got {result.stdout.strip()}, but should be nothing"


def test_missing_framework_gives_install_hint() -> None:
    from xavier_adapters._require import require

    try:
        require("xavier_surely_not_installed", "torch")
    except ModuleNotFoundError as error:
        assert "pip install 'xavier-init[torch]'" in str(error)
    else:
        raise AssertionError("require() of a missing module should raise ModuleNotFoundError")
