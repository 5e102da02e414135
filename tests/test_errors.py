"""Every bad input gets one error type whose message names the argument and echoes the value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import xavier_core as xc
from xavier_adapters import numpy as xnp

# (id, call, argument name and echoed value expected in the message)
BAD_INPUTS: list[tuple[str, Callable[[], object], str]] = [
    ("rank0-shape-default-axes", lambda: xc.compute_fans(()), "in_axis=-2"),
    ("rank1-shape-default-axes", lambda: xc.compute_fans((5,)), "in_axis=-2"),
    ("zero-dimension", lambda: xc.compute_fans((0, 5)), "shape=(0, 5)"),
    ("negative-dimension", lambda: xc.compute_fans((-3, 5)), "shape=(-3, 5)"),
    ("float-dimension", lambda: xc.compute_fans((2.5, 5)), "shape=(2.5, 5)"),
    ("bool-dimension", lambda: xc.compute_fans((True, 5)), "shape=(True, 5)"),
    ("string-shape", lambda: xc.compute_fans("64x64"), "shape='64x64'"),
    ("in-axis-out-of-range", lambda: xc.compute_fans((3, 4), in_axis=2), "in_axis=2"),
    ("out-axis-out-of-range", lambda: xc.compute_fans((3, 4), out_axis=-3), "out_axis=-3"),
    ("in-out-overlap", lambda: xc.compute_fans((3, 4), in_axis=0, out_axis=-2), "in_axis=0"),
    ("batch-out-overlap", lambda: xc.compute_fans((2, 3, 4), batch_axis=-1), "batch_axis=-1"),
    ("duplicate-in-axes", lambda: xc.compute_fans((2, 3, 4), in_axis=(0, 0)), "in_axis=(0, 0)"),
    ("float-axis", lambda: xc.compute_fans((3, 4), in_axis=0.0), "in_axis=0.0"),
    ("groups-not-dividing", lambda: xc.TORCH.with_(groups=5).fans((64, 8, 3, 3)), "groups=5"),
    ("groups-zero", lambda: xc.compute_fans((64, 8), groups=0), "groups=0"),
    ("blocks-not-dividing", lambda: xc.TORCH.with_(blocks=3).fans((128, 16)), "blocks=3"),
    ("grouped-axis-unknown", lambda: xc.compute_fans((4, 4), grouped_axis="both"),
     "grouped_axis='both'"),
    ("shards-wrong-length", lambda: xc.compute_fans((4, 4), shards=(2,)), "shards=(2,)"),
    ("gain-negative", lambda: xc.glorot_uniform(gain=-1.0), "gain=-1.0"),
    ("gain-nan", lambda: xc.glorot_uniform(gain=float("nan")), "gain=nan"),
    ("gain-inf", lambda: xc.glorot_normal(gain=float("inf")), "gain=inf"),
    ("gain-bool", lambda: xc.glorot_uniform(gain=True), "gain=True"),
    ("gain-string", lambda: xc.glorot_uniform(gain="relu"), "gain='relu'"),
    ("scale-negative", lambda: xc.VarianceScaling(scale=-2.0), "scale=-2.0"),
    ("mode-unknown", lambda: xc.VarianceScaling(mode="fan_sum"), "mode='fan_sum'"),
    ("distribution-unknown", lambda: xc.VarianceScaling(distribution="gaussian"),
     "distribution='gaussian'"),
    ("distribution-keras-alias", lambda: xc.glorot("untruncated_normal"),
     "'normal' here is untruncated"),
    ("nonlinearity-unknown", lambda: xc.calculate_gain("gelu"), "nonlinearity='gelu'"),
    ("param-bool", lambda: xc.calculate_gain("leaky_relu", True), "param=True"),
    ("param-list", lambda: xc.calculate_gain("leaky_relu", [1]), "param=[1]"),
    ("param-dict", lambda: xc.calculate_gain("leaky_relu", {"a": "b"}), "param={'a': 'b'}"),
    ("param-nan", lambda: xc.calculate_gain("leaky_relu", float("nan")), "param=nan"),
    ("param-without-use", lambda: xc.calculate_gain("tanh", 0.5), "param=0.5"),
    ("dtype-int", lambda: xc.sampling_dtype("int32"), "dtype='int32'"),
    ("dtype-bool", lambda: xc.sampling_dtype("bool"), "dtype='bool'"),
    ("dtype-complex", lambda: xc.sampling_dtype("complex64"), "complex weights are not supported"),
    ("numpy-adapter-int-dtype", lambda: xnp.glorot_uniform((3, 4), dtype="int64"),
     "dtype='int64'"),
    ("truncation-cut-zero", lambda: xc.TruncatedNormal(std=1.0, cut=0.0), "cut=0.0"),
]


@pytest.mark.parametrize(("call", "fragment"), [(c, f) for _, c, f in BAD_INPUTS],
                         ids=[i for i, _, _ in BAD_INPUTS])
def test_bad_input_raises_named_error(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    message = str(caught.value)
    assert fragment in message, f"got {message!r}, but should mention {fragment!r}"


def test_error_is_a_value_error() -> None:
    assert issubclass(xc.XavierError, ValueError)


def test_message_says_what_is_allowed() -> None:
    with pytest.raises(xc.XavierError, match=r"gain must be a finite number >= 0, got gain=-1.0"):
        xc.glorot_uniform(gain=-1.0)
