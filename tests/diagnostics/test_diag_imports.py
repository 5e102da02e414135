"""The diagnostics record, the probes package and the experiment package import no framework."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow", "keras", "flax", "matplotlib")
MODULES = ("xavier_core.diagnostics", "xavier_adapters.probes", "xavier_conformance.experiment",
           "xavier_conformance.experiment.cli", "xavier_conformance.experiment.runs",
           "xavier_conformance.experiment.figures")


def test_diagnostics_probes_and_experiment_load_no_framework() -> None:
    code = (
        f"import importlib, sys\nfor name in {MODULES!r}:\n    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules)))\n"
    )
    paths = [str(ROOT), str(ROOT / "adapters"), str(ROOT / "conformance")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            check=True)
    assert result.stdout.strip() == "", f"got {result.stdout.strip()}, but should be nothing"


def test_a_missing_framework_names_the_extra_to_install() -> None:
    # The probes import their framework through xavier_adapters._require: with torch hidden,
    # the error is the install hint, not a bare ModuleNotFoundError.
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import xavier_adapters.probes.torch\n"
            "except ModuleNotFoundError as error:\n    print(error)\n")
    paths = [str(ROOT), str(ROOT / "adapters"), str(ROOT / "conformance")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            check=True)
    assert "pip install 'xavier-init[torch]'" in result.stdout, result.stdout + result.stderr
