"""Issue 16, property-based: every public entry point of the core, the numpy adapter and both
commands, fed random wrong types, shapes, axes, dtypes, gains, seeds and configs, raises only
XavierError or TypeError (never hangs: a per-example deadline); accepted input gives finite
weights with the stated statistics."""

from __future__ import annotations

import contextlib
import io
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from property_strategies import (
    PROPERTY_SETTINGS,
    assert_stated_statistics,
    call_safely,
    junk,
    numbers,
    shapes,
)

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_conformance import cli, runner
from xavier_conformance.mnist import cli as mnist_cli

axes = st.one_of(junk, st.integers(-6, 6), st.lists(st.integers(-6, 6), max_size=3).map(tuple))
dtypes = st.one_of(junk, st.sampled_from(["float32", "float64", "float16", "bfloat16", "int32",
                                          "complex64", "float8", np.float32, np.int8, "bool"]))
distributions = st.one_of(junk, st.sampled_from(sorted(xc.DISTRIBUTIONS)))
modes = st.one_of(junk, st.sampled_from(sorted(xc.MODES)))


@PROPERTY_SETTINGS
@given(shape=shapes, in_axis=axes, out_axis=axes, batch_axis=axes, groups=junk, strides=junk)
def test_compute_fans_raises_only_clear_errors(shape: Any, in_axis: Any, out_axis: Any,
                                                batch_axis: Any, groups: Any,
                                                strides: Any) -> None:
    for kwargs in ({"in_axis": in_axis, "out_axis": out_axis},
                   {"in_axis": in_axis, "out_axis": out_axis, "batch_axis": batch_axis,
                    "groups": groups, "strides": strides}):
        ok, fans = call_safely(xc.compute_fans, shape, **kwargs)
        if ok:
            assert fans.fan_in >= 0 and fans.fan_out >= 0, f"got {fans} for {shape} {kwargs}"


@PROPERTY_SETTINGS
@given(in_axis=axes, out_axis=axes, batch_axis=axes, groups=junk, blocks=junk, strides=junk,
       transposed=junk, grouped=junk)
def test_layout_raises_only_clear_errors(in_axis: Any, out_axis: Any, batch_axis: Any,
                                         groups: Any, blocks: Any, strides: Any,
                                         transposed: Any, grouped: Any) -> None:
    call_safely(xc.Layout, in_axis, out_axis)
    call_safely(xc.Layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                groups=groups, blocks=blocks, strides=strides, transposed=transposed,
                grouped_axis=grouped)


@PROPERTY_SETTINGS
@given(gain=numbers | junk, distribution=distributions, scale=numbers | junk, mode=modes,
       nonlinearity=junk, param=junk, cut=numbers | junk)
def test_specs_and_gains_raise_only_clear_errors(gain: Any, distribution: Any, scale: Any,
                                                 mode: Any, nonlinearity: Any, param: Any,
                                                 cut: Any) -> None:
    call_safely(xc.check_gain, gain)
    for factory in (xc.glorot_uniform, xc.glorot_normal, xc.glorot_truncated_normal):
        call_safely(factory, gain)
    call_safely(xc.glorot, distribution, gain)
    call_safely(xc.he, distribution)
    call_safely(xc.lecun, distribution)
    call_safely(xc.VarianceScaling, scale, mode, distribution)
    call_safely(xc.calculate_gain, nonlinearity, param)
    call_safely(xc.truncated_std_factor, cut)
    ok, law = call_safely(xc.TruncatedNormal, scale, cut)
    if ok:
        assert np.isfinite([law.std, law.variance]).all() and law.variance >= 0, law


@PROPERTY_SETTINGS
@given(equation=st.one_of(junk, st.sampled_from(["ij,jk->ik", "bi,io->bo", "abc,cd->abd",
                                                   "ij->ji", "i,i->", "...i,io->...o"]),
                          st.text(alphabet="ijk,->.", max_size=10)),
       operand=junk, dtype=dtypes)
def test_einsum_and_dtypes_raise_only_clear_errors(equation: Any, operand: Any,
                                                   dtype: Any) -> None:
    call_safely(xc.einsum_layout, equation, operand)
    call_safely(xc.einsum_layout, equation)
    call_safely(xc.dtype_name, dtype)
    call_safely(xc.sampling_dtype, dtype)


@PROPERTY_SETTINGS
@given(gain=st.one_of(st.floats(0.0, 50.0), numbers, junk), shape=shapes,
       distribution=distributions, dtype=dtypes, seed=st.one_of(junk, st.integers(0, 2**32)),
       in_axis=axes)
def test_numpy_initialize_raises_only_clear_errors_or_draws_the_law(
        gain: Any, shape: Any, distribution: Any, dtype: Any, seed: Any, in_axis: Any) -> None:
    ok, spec = call_safely(xc.glorot, distribution, gain)
    if not ok:
        spec = xc.glorot_uniform()
    ok, layout = call_safely(xc.Layout, in_axis=in_axis, out_axis=-1)
    if not ok:
        layout = xc.CHANNELS_LAST
    ok, values = call_safely(xnp.initialize, spec, shape, layout=layout, dtype=dtype, rng=seed)
    if ok:
        resolved = spec.resolve(tuple(shape), layout)
        assert values.shape == tuple(shape), f"got {values.shape}, but should be {shape}"
        assert_stated_statistics(values, resolved.distribution, f"{spec} {shape} {dtype}")


@PROPERTY_SETTINGS
@given(distribution=st.one_of(junk, st.sampled_from(
           [xc.Uniform(0.5), xc.Normal(0.1), xc.TruncatedNormal(1.0, cut=1e-6),
            xc.TruncatedNormal(0.3)])),
       shape=shapes, dtype=dtypes, seed=junk)
def test_numpy_sample_raises_only_clear_errors_or_draws_the_law(
        distribution: Any, shape: Any, dtype: Any, seed: Any) -> None:
    ok, values = call_safely(xnp.sample, distribution, shape, rng=seed, dtype=dtype)
    if ok:
        assert_stated_statistics(values, distribution, f"{distribution} {shape} {dtype}")


options = st.sampled_from(["--seed", "--devices", "--backends", "--json", "--mnist",
                           "--out-dir", "--quick", "--full", "--bogus"])
values = st.one_of(st.sampled_from(["-1", "0", "x", "tpu", "cpu", "cuda:x", "gpu:0,tpu", "",
                                    "/nonexistent-xyz/r.json", "/dev/null/x", "numpy",
                                    "torch,tensorflw", "quick", "huge", str(2**64)]),
                   st.text(max_size=5))
argvs = st.lists(st.one_of(options, values), max_size=6)


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the property test never runs a backend")


@PROPERTY_SETTINGS
@given(argv=argvs)
def test_conformance_command_exits_with_a_status(argv: list[str]) -> None:
    """Random command lines: argparse's exit 2, our exit 2, or a run (stubbed out here)."""
    out, err = io.StringIO(), io.StringIO()
    with (mock.patch.object(runner, "run_backend", side_effect=_refuse),
          mock.patch.object(cli, "run_mnist", side_effect=_refuse),
          contextlib.redirect_stdout(out), contextlib.redirect_stderr(err)):
        try:
            status = cli.main(argv)
        except SystemExit as exit_:
            status = exit_.code
        except AssertionError as error:
            if "never runs a backend" not in str(error):
                raise
            status = None  # every argument was accepted
    assert status in (0, 1, 2, None), f"got exit status {status} for {argv}"
    if status == 2:
        assert "error" in err.getvalue(), f"exit 2 without a message for {argv}"


mnist_options = st.sampled_from(["--seeds", "--backends", "--json", "--plot", "--out-dir",
                                 "--tier", "--threads", "--data-dir", "--bogus"])


@PROPERTY_SETTINGS
@given(argv=st.lists(st.one_of(mnist_options, values), max_size=6))
def test_mnist_command_exits_with_a_status(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with (mock.patch.object(mnist_cli, "run_stage", side_effect=_refuse),
          contextlib.redirect_stdout(out), contextlib.redirect_stderr(err)):
        try:
            status = mnist_cli.main(argv)
        except SystemExit as exit_:
            status = exit_.code
        except AssertionError as error:
            if "never runs a backend" not in str(error):
                raise
            status = None
    assert status in (0, 1, 2, None), f"got exit status {status} for {argv}"
