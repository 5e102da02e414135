"""The backend's own layers, initialized through its adapter, carry the DESIGN.md table's fans.

Checked through the statistics of the drawn weights against the spec for those fans: a layer
read with the framework's bare-tensor convention instead (grouped or packed fans under Glorot,
swapped fans under He's fan_in mode) fails the variance and KS checks.
"""

from __future__ import annotations

import pytest

from xavier_conformance import native, stats


@pytest.mark.backend(*native.MODULES)
def test_native_layer_carries_design_fans(native_row: native.NativeRow, record) -> None:  # type: ignore[no-untyped-def]
    truth = native_row.spec.distribution_for(native_row.fans)
    results = stats.check_sample(native_row.weight, truth)
    record(f"fans-{native_row.id}", results)
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, f"{native_row.id} {native_row.weight.shape}: " + "; ".join(failed)
