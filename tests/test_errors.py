"""Every bad input gets one error type whose message names the argument and echoes the value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import xavier_core as xc
from xavier_adapters import numpy as xnp
from xavier_core import diagnostics as xd


def _summarize(**arrays: object) -> object:
    values = {"activations": [1.0], "backprop": [1.0], "weight_gradient": [1.0], **arrays}
    return xd.summarize("h1", "Dense", (2, 2), "tanh", **values)  # type: ignore[arg-type]


# (id, call, the whole message): it names the argument, says what is allowed and echoes the
# value, word for word (a message is part of the interface: a user reads it to fix the call).
BAD_INPUTS: list[tuple[str, Callable[[], object], str]] = [
    ('rank0-shape-default-axes', lambda: xc.compute_fans(()),
     'in_axis must be axes in [-0, 0) for a weight of rank 0, got in_axis=-2; rank 0/1 '
     'weights need explicit axes, e.g. in_axis=(), out_axis=0'),
    ('rank1-shape-default-axes', lambda: xc.compute_fans((5,)),
     'in_axis must be axes in [-1, 1) for a weight of rank 1, got in_axis=-2; rank 0/1 '
     'weights need explicit axes, e.g. in_axis=(), out_axis=0'),
    ('zero-dimension', lambda: xc.compute_fans((0, 5)),
     'shape must be a sequence of positive integers (no zero, negative, bool or float '
     'dimensions), got shape=(0, 5)'),
    ('negative-dimension', lambda: xc.compute_fans((-3, 5)),
     'shape must be a sequence of positive integers (no zero, negative, bool or float '
     'dimensions), got shape=(-3, 5)'),
    ('float-dimension', lambda: xc.compute_fans((2.5, 5)),
     'shape must be a sequence of positive integers (no zero, negative, bool or float '
     'dimensions), got shape=(2.5, 5)'),
    ('bool-dimension', lambda: xc.compute_fans((True, 5)),
     'shape must be a sequence of positive integers (no zero, negative, bool or float '
     'dimensions), got shape=(True, 5)'),
    ('string-shape', lambda: xc.compute_fans('64x64'),
     "shape must be a sequence of positive integers, got shape='64x64'"),
    ('in-axis-out-of-range', lambda: xc.compute_fans((3, 4), in_axis=2),
     'in_axis must be axes in [-2, 2) for a weight of rank 2, got in_axis=2'),
    ('out-axis-out-of-range', lambda: xc.compute_fans((3, 4), out_axis=-3),
     'out_axis must be axes in [-2, 2) for a weight of rank 2, got out_axis=-3'),
    ('in-out-overlap', lambda: xc.compute_fans((3, 4), in_axis=0, out_axis=-2),
     'in_axis and out_axis must not share an axis, got in_axis=0, out_axis=-2 for shape (3, 4)'),
    ('batch-out-overlap', lambda: xc.compute_fans((2, 3, 4), batch_axis=-1),
     'out_axis and batch_axis must not share an axis, got out_axis=-1, batch_axis=-1 for '
     'shape (2, 3, 4)'),
    ('duplicate-in-axes', lambda: xc.compute_fans((2, 3, 4), in_axis=(0, 0)),
     'in_axis must be distinct axes, got in_axis=(0, 0)'),
    ('float-axis', lambda: xc.compute_fans((3, 4), in_axis=0.0),
     'in_axis must be an int or a sequence of ints, got in_axis=0.0'),
    ('groups-not-dividing', lambda: xc.TORCH.with_(groups=5).fans((64, 8, 3, 3)),
     'groups must be a divisor of the out-axis size 64, got groups=5'),
    ('groups-zero', lambda: xc.compute_fans((64, 8), groups=0),
     'groups must be a positive integer, got groups=0'),
    ('blocks-not-dividing', lambda: xc.TORCH.with_(blocks=3).fans((128, 16)),
     'blocks must be a divisor of the out-axis (per group) size 128, got blocks=3'),
    ('groups-not-dividing-in', lambda: xc.compute_fans((6, 8), groups=4, grouped_axis='in'),
     'groups must be a divisor of the in-axis size 6, got groups=4'),
    ('groups-not-dividing-out-axis', lambda: xc.compute_fans((8, 6), groups=4),
     'groups must be a divisor of the out-axis size 6, got groups=4'),
    ('blocks-zero', lambda: xc.compute_fans((4, 4), blocks=0),
     'blocks must be a positive integer, got blocks=0'),
    ('batch-axis-float', lambda: xc.compute_fans((2, 3, 4), batch_axis=0.5),
     'batch_axis must be an int or a sequence of ints, got batch_axis=0.5'),
    ('batch-axis-out-of-range', lambda: xc.compute_fans((2, 3, 4), batch_axis=3),
     'batch_axis must be axes in [-3, 3) for a weight of rank 3, got batch_axis=3'),
    ('grouped-axis-unknown', lambda: xc.compute_fans((4, 4), grouped_axis='both'),
     "grouped_axis must be 'out' or 'in', got grouped_axis='both'"),
    ('shards-wrong-length', lambda: xc.compute_fans((4, 4), shards=(2,)),
     'shards must be one positive integer per axis of shape (4, 4), got shards=(2,)'),
    ('shards-not-a-sequence', lambda: xc.compute_fans((4, 4), shards=2),
     'shards must be one positive integer per axis of shape (4, 4), got shards=2'),
    ('shards-string', lambda: xc.compute_fans((4, 4), shards='22'),
     "shards must be one positive integer per axis of shape (4, 4), got shards='22'"),
    ('shards-entry-zero', lambda: xc.compute_fans((4, 4), shards=(2, 0)),
     'shards must be a positive integer, got shards=0'),
    ('strides-wrong-length', lambda: xc.compute_fans((3, 3, 16, 32), strides=(2,)),
     'strides must be one positive int per receptive-field axis (2 for a kernel of size (3, '
     '3)), or (), got strides=(2,)'),
    ('strides-not-a-sequence', lambda: xc.compute_fans((3, 3, 16, 32), strides=2),
     'strides must be one positive int per receptive-field axis (2 for a kernel of size (3, '
     '3)), or (), got strides=2'),
    ('strides-zero', lambda: xc.compute_fans((3, 3, 16, 32), strides=(2, 0)),
     'strides must be one positive int per receptive-field axis (2 for a kernel of size (3, '
     '3)), or (), got strides=(2, 0)'),
    ('stacked-negative', lambda: xc.CHANNELS_LAST.stacked(-1),
     'axes must be an int >= 0: the number of stacking axes, got axes=-1'),
    ('gain-negative', lambda: xc.glorot_uniform(gain=-1.0),
     'gain must be a finite number >= 0, got gain=-1.0'),
    ('gain-nan', lambda: xc.glorot_uniform(gain=float('nan')),
     'gain must be a finite number >= 0, got gain=nan'),
    ('gain-inf', lambda: xc.glorot_normal(gain=float('inf')),
     'gain must be a finite number >= 0, got gain=inf'),
    ('gain-bool', lambda: xc.glorot_uniform(gain=True),
     'gain must be a finite number >= 0, got gain=True'),
    ('gain-string', lambda: xc.glorot_uniform(gain='relu'),
     "gain must be a finite number >= 0, got gain='relu'"),
    ('scale-negative', lambda: xc.VarianceScaling(scale=-2.0),
     'scale must be a finite number >= 0, got scale=-2.0'),
    ('scale-inf', lambda: xc.VarianceScaling(scale=float('inf')),
     'scale must be a finite number >= 0, got scale=inf'),
    ('scale-bool', lambda: xc.VarianceScaling(scale=True),
     'scale must be a finite number >= 0, got scale=True'),
    ('mode-unknown', lambda: xc.VarianceScaling(mode='fan_sum'),
     "mode must be one of fan_in, fan_out, fan_avg, fan_geo_avg, got mode='fan_sum'"),
    ('distribution-unknown', lambda: xc.VarianceScaling(distribution='gaussian'),
     'distribution must be one of uniform, normal, truncated_normal, got '
     "distribution='gaussian'"),
    ('distribution-keras-alias', lambda: xc.glorot('untruncated_normal'),
     'distribution must be one of uniform, normal, truncated_normal, got '
     "distribution='untruncated_normal'; 'normal' here is untruncated; Keras' 'normal' is "
     "'truncated_normal'"),
    ('nonlinearity-unknown', lambda: xc.calculate_gain('gelu'),
     'nonlinearity must be one of linear, conv1d, conv2d, conv3d, conv_transpose1d, '
     'conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu, got '
     "nonlinearity='gelu'"),
    ('param-bool', lambda: xc.calculate_gain('leaky_relu', True),
     'param must be None or a finite real number (not bool), got param=True'),
    ('param-list', lambda: xc.calculate_gain('leaky_relu', [1]),
     'param must be None or a finite real number (not bool), got param=[1]'),
    ('param-dict', lambda: xc.calculate_gain('leaky_relu', {'a': 'b'}),
     "param must be None or a finite real number (not bool), got param={'a': 'b'}"),
    ('param-nan', lambda: xc.calculate_gain('leaky_relu', float('nan')),
     'param must be None or a finite real number (not bool), got param=nan'),
    ('param-without-use', lambda: xc.calculate_gain('tanh', 0.5),
     "param is only used by leaky_relu, got param=0.5 for nonlinearity='tanh'; leave it None"),
    ('dtype-int', lambda: xc.sampling_dtype('int32'),
     "dtype must be a floating dtype (float16, bfloat16, float32, float64), got dtype='int32'"),
    ('dtype-bool', lambda: xc.sampling_dtype('bool'),
     "dtype must be a floating dtype (float16, bfloat16, float32, float64), got dtype='bool'"),
    ('dtype-complex', lambda: xc.sampling_dtype('complex64'),
     'dtype must be a floating dtype (float16, bfloat16, float32, float64), got '
     "dtype='complex64'; complex weights are drawn per part: xavier_core.complex_law gives "
     "their law and part_dtype the dtype of each part (the torch, JAX and numpy adapters draw "
     "them; Keras' random ops have no complex dtypes)"),
    ('numpy-adapter-int-dtype', lambda: xnp.glorot_uniform((3, 4), dtype='int64'),
     "dtype must be a floating dtype (float16, bfloat16, float32, float64), got dtype='int64'"),
    ('numpy-dtype-int', lambda: xnp.numpy_dtype('int8'),
     "dtype must be a floating dtype (float16, bfloat16, float32, float64), got dtype='int8'"),
    ('uniform-bound-negative', lambda: xc.Uniform(bound=-1.0),
     'bound must be a finite number >= 0, got bound=-1.0'),
    ('normal-std-nan', lambda: xc.Normal(std=float('nan')),
     'std must be a finite number >= 0, got std=nan'),
    ('truncated-std-negative', lambda: xc.TruncatedNormal(std=-1.0),
     'std must be a finite number >= 0, got std=-1.0'),
    ('truncation-cut-zero', lambda: xc.TruncatedNormal(std=1.0, cut=0.0),
     'cut must be a finite number >= 1e-06, got cut=0.0'),
    ('einsum-operand-2', lambda: xc.einsum_layout('ab,bc->ac', operand=2),
     'operand must be 0 or 1, the position of the weight, got operand=2'),
    ('einsum-operand-bool', lambda: xc.einsum_layout('ab,bc->ac', operand=True),
     'operand must be 0 or 1, the position of the weight, got operand=True'),
    ('einsum-not-an-equation', lambda: xc.einsum_layout('ab->b'),
     "equation must be '<input>,<weight>-><output>' with letters and at most one '...' per "
     "term, got equation='ab->b'"),
    ('einsum-bad-term', lambda: xc.einsum_layout('ab,b1->a'),
     "equation must be '<input>,<weight>-><output>' with letters and at most one '...' per "
     "term, got equation='ab,b1->a'"),
    ('einsum-six-dots', lambda: xc.einsum_layout('ab,......->a'),
     "equation must be an einsum whose weight term is distinct letters, without '...', got "
     "equation='ab,......->a'; the weight term is '......'"),
    ('einsum-six-dots-input', lambda: xc.einsum_layout('......,bc->c'),
     "equation must be '<input>,<weight>-><output>' with letters and at most one '...' per "
     "term, got equation='......,bc->c'"),
    ('einsum-six-dots-output', lambda: xc.einsum_layout('ab,bc->......'),
     "equation must be '<input>,<weight>-><output>' with letters and at most one '...' per "
     "term, got equation='ab,bc->......'"),
    ('einsum-six-dots-input-operand-0', lambda: xc.einsum_layout('bc,......->c', operand=0),
     "equation must be '<input>,<weight>-><output>' with letters and at most one '...' per "
     "term, got equation='bc,......->c'"),
    ('einsum-weight-letter-nowhere-beside-dots', lambda: xc.einsum_layout('...a,aX->...'),
     'equation must give every weight axis a letter found in the input or the output, got '
     "equation='...a,aX->...', whose weight letter 'X' is in neither"),
    ('einsum-repeated-weight-letter', lambda: xc.einsum_layout('ab,bb->a'),
     "equation must be an einsum whose weight term is distinct letters, without '...', got "
     "equation='ab,bb->a'; the weight term is 'bb'"),
    ('einsum-weight-ellipsis', lambda: xc.einsum_layout('...b,...bc->...c', operand=1),
     "equation must be an einsum whose weight term is distinct letters, without '...', got "
     "equation='...b,...bc->...c'; the weight term is '...bc'"),
    ('einsum-weight-letter-nowhere', lambda: xc.einsum_layout('ab,bcd->ac'),
     'equation must give every weight axis a letter found in the input or the output, got '
     "equation='ab,bcd->ac', whose weight letter 'd' is in neither"),
    ('saturation-level-zero', lambda: xd.saturated_fraction(np.ones(3), 'tanh', level=0.0),
     'level must be a number in (0, 1), got level=0.0'),
    ('saturation-level-one', lambda: xd.saturated_fraction(np.ones(3), 'tanh', level=1.0),
     'level must be a number in (0, 1), got level=1.0'),
    ('saturation-empty', lambda: xd.saturated_fraction(np.ones((0, 3)), 'tanh'),
     "values must be a non-empty array, got values='array of shape (0, 3)'"),
    ('summarize-empty-activations', lambda: _summarize(activations=[]),
     "activations must be a non-empty array, got activations='array of shape (0,)'"),
    ('summarize-empty-backprop', lambda: _summarize(backprop=[]),
     "backprop must be a non-empty array, got backprop='array of shape (0,)'"),
    ('summarize-empty-weight-gradient', lambda: _summarize(weight_gradient=np.ones((2, 0))),
     "weight_gradient must be a non-empty array, got weight_gradient='array of shape (2, 0)'"),
]


@pytest.mark.parametrize(("call", "expected"), [(c, m) for _, c, m in BAD_INPUTS],
                         ids=[i for i, _, _ in BAD_INPUTS])
def test_bad_input_raises_named_error(call: Callable[[], object], expected: str) -> None:
    with pytest.raises(xc.XavierError) as caught:
        call()
    message = str(caught.value)
    assert message == expected, f"got {message!r}, but should be {expected!r}"


def test_error_is_a_value_error() -> None:
    assert issubclass(xc.XavierError, ValueError)


def test_message_says_what_is_allowed() -> None:
    with pytest.raises(xc.XavierError, match=r"gain must be a finite number >= 0, got gain=-1.0"):
        xc.glorot_uniform(gain=-1.0)
