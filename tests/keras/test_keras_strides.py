"""The strided-nets experiment under each Keras backend: stride-aware fans drift less, as in
torch (tests/diagnostics/test_diag_strides.py)."""

from __future__ import annotations

import pytest

from xavier_conformance.experiment import strides


@pytest.mark.parametrize("net", strides.NETS)
def test_stride_aware_fans_drift_less(net: str) -> None:
    framework = strides.load("keras")
    aware, blind = (strides.run(framework, net, "relu", flag, range(2), 16)
                    for flag in (True, False))
    assert aware.distance < blind.distance, (
        f"got drift {aware.distance:.2f} stride-aware, {blind.distance:.2f} stride-blind, but "
        f"stride-aware should drift less [{framework.name()}, {net}]")
