"""The strided-nets experiment in JAX (Flax linen through init_params): stride-aware fans keep
the signal steadier than stride-blind ones, as in torch and Keras
(tests/diagnostics/test_diag_strides.py, tests/keras/test_keras_strides.py)."""

from __future__ import annotations

import pytest

from xavier_conformance.experiment import strides


@pytest.mark.parametrize("net", strides.NETS)
def test_stride_aware_fans_drift_less(net: str) -> None:
    module = strides.load("jax")
    aware = strides.run(module, net, "relu", True, range(2), 32)
    blind = strides.run(module, net, "relu", False, range(2), 32)
    assert aware.distance < blind.distance, (
        f"got drift {aware.distance:.2f} stride-aware, {blind.distance:.2f} stride-blind "
        f"[{net}, relu], but stride-aware should drift less")
