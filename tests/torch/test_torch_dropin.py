"""xavier_uniform_ / xavier_normal_ are drop-ins for torch.nn.init: same values, same semantics."""

from __future__ import annotations

import pytest
import torch

import xavier_core as xc
from xavier_adapters import torch as xt

SHAPES = {
    "linear-64x784": (64, 784),
    "conv1d-8x3x5": (8, 3, 5),
    "conv2d-64x16x3x3": (64, 16, 3, 3),
    "conv3d-4x2x3x3x3": (4, 2, 3, 3, 3),
    "one-by-one": (1, 1),
}
GAINS = {
    "gain-1": 1.0,
    "gain-relu": xc.calculate_gain("relu"),
    "gain-tanh": xc.calculate_gain("tanh"),
    "gain-leaky-0.2": xc.calculate_gain("leaky_relu", 0.2),
    "gain-0.3": 0.3,
}
DROP_INS = {
    "uniform": (xt.xavier_uniform_, torch.nn.init.xavier_uniform_),
    "normal": (xt.xavier_normal_, torch.nn.init.xavier_normal_),
}


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def assert_same(ours: torch.Tensor, theirs: torch.Tensor, context: str) -> None:
    difference = (ours.double() - theirs.double()).abs().max().item()
    assert torch.equal(ours, theirs), f"got max |ours - torch| = {difference}, but should be 0 " \
        f"[{context}]"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("gain_id", GAINS)
@pytest.mark.parametrize("shape_id", SHAPES)
@pytest.mark.parametrize("name", DROP_INS)
def test_same_values_as_torch(name: str, shape_id: str, gain_id: str, dtype: torch.dtype) -> None:
    ours_init, torch_init = DROP_INS[name]
    shape, gain = SHAPES[shape_id], GAINS[gain_id]
    ours = ours_init(torch.empty(shape, dtype=dtype), gain, seeded(11))
    theirs = torch_init(torch.empty(shape, dtype=dtype), gain, seeded(11))
    assert_same(ours, theirs, f"{name}, {shape_id}, {gain_id}, {dtype}")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_low_precision_normal_same_as_torch(dtype: torch.dtype) -> None:
    # torch's normal_ already draws reduced precision in float32; the two agree bit for bit.
    ours = xt.xavier_normal_(torch.empty(256, 512, dtype=dtype), generator=seeded(3))
    theirs = torch.nn.init.xavier_normal_(torch.empty(256, 512, dtype=dtype), generator=seeded(3))
    assert_same(ours, theirs, f"xavier_normal_, {dtype}")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_low_precision_uniform_is_torchs_float32_draw_cast_once(dtype: torch.dtype) -> None:
    # torch's own uniform_ on a bfloat16 tensor first rounds the bound to bfloat16 (up to 0.4%
    # off); here the float32 draw is cast once, so it equals torch's float32 values, rounded.
    ours = xt.xavier_uniform_(torch.empty(256, 512, dtype=dtype), generator=seeded(4))
    float32 = torch.nn.init.xavier_uniform_(torch.empty(256, 512), generator=seeded(4))
    assert_same(ours, float32.to(dtype), f"xavier_uniform_ {dtype} vs torch float32 cast")


@pytest.mark.parametrize("name", DROP_INS)
def test_manual_seed_reproduces_torch(name: str) -> None:
    ours_init, torch_init = DROP_INS[name]
    torch.manual_seed(5)
    ours = ours_init(torch.empty(32, 48))
    torch.manual_seed(5)
    theirs = torch_init(torch.empty(32, 48))
    assert_same(ours, theirs, f"{name} after torch.manual_seed(5)")


def test_generator_advances() -> None:
    generator = seeded(6)
    first = xt.xavier_uniform_(torch.empty(32, 48), generator=generator)
    second = xt.xavier_uniform_(torch.empty(32, 48), generator=generator)
    assert not torch.equal(first, second), "got the same values twice from one generator"


@pytest.mark.parametrize("name", ["uniform", "normal", "trunc_normal"])
def test_in_place_under_no_grad_on_a_parameter(name: str) -> None:
    init = getattr(xt, f"xavier_{name}_")
    weight = torch.nn.Parameter(torch.zeros(16, 8))
    address = weight.data_ptr()
    result = init(weight, generator=seeded(7))
    assert result is weight, "got a new tensor, but should return the tensor it was given"
    assert weight.data_ptr() == address, "got new storage, but should write in place"
    assert weight.requires_grad and weight.grad_fn is None, \
        f"got requires_grad={weight.requires_grad}, grad_fn={weight.grad_fn}, but should be a leaf"
    assert weight.abs().sum() > 0, "got all zeros, but should be filled"


@pytest.mark.parametrize("view_id", ["transposed", "strided-rows"])
def test_non_contiguous_view_same_as_torch(view_id: str) -> None:
    def view(base: torch.Tensor) -> torch.Tensor:
        return base.t() if view_id == "transposed" else base[::2]

    ours_base, torch_base = torch.zeros(40, 30), torch.zeros(40, 30)
    xt.xavier_uniform_(view(ours_base), generator=seeded(8))
    torch.nn.init.xavier_uniform_(view(torch_base), generator=seeded(8))
    assert_same(ours_base, torch_base, f"{view_id} view")


@pytest.mark.parametrize("name", ["uniform", "normal", "trunc_normal"])
def test_meta_tensor_is_a_no_op(name: str) -> None:
    init = getattr(xt, f"xavier_{name}_")
    weight = torch.empty(64, 32, device="meta")
    result = init(weight)
    assert result is weight and result.is_meta, f"got {result}, but should be the meta tensor"


@pytest.mark.parametrize("shape", [(5,), ()], ids=["rank-1", "rank-0"])
def test_rank_below_two_raises_torchs_value_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as torch_error:
        torch.nn.init.xavier_uniform_(torch.empty(shape))
    with pytest.raises(xc.XavierError) as our_error:
        xt.xavier_uniform_(torch.empty(shape))
    assert str(torch_error.value) in str(our_error.value), \
        f"got {our_error.value}, but should contain torch's message {torch_error.value}"


def test_rank_below_two_raises_on_meta_too() -> None:
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        xt.xavier_normal_(torch.empty(5, device="meta"))


def test_explicit_fans_override_the_shape() -> None:
    bias = xt.xavier_uniform_(torch.empty(64), generator=seeded(9), fans=(784, 64))
    bound = (6 / (784 + 64)) ** 0.5
    expected = torch.empty(64).uniform_(-bound, bound, generator=seeded(9))
    assert_same(bias, expected, "fans=(784, 64) on a rank-1 tensor")


def test_explicit_layout_overrides_torch_convention() -> None:
    # Conv2d 32->64 k3 groups=4: torch reads fans (72, 576); per group they are (72, 144).
    weight = xt.xavier_uniform_(torch.empty(64, 8, 3, 3), generator=seeded(10),
                                layout=xc.TORCH.with_(groups=4))
    bound = (6 / (72 + 144)) ** 0.5
    expected = torch.empty(64, 8, 3, 3).uniform_(-bound, bound, generator=seeded(10))
    assert_same(weight, expected, "layout=TORCH.with_(groups=4)")


def test_paper_standard_init_is_torchs_linear_default() -> None:
    # torch's Linear/ConvNd default, kaiming_uniform_(a=sqrt 5), is U(+-1/sqrt(fan_in)); the
    # bounds are the same real number, computed in a different order (last-bit rounding).
    ours = xt.variance_scaling_(torch.empty(64, 16, 3, 3), xc.standard_uniform(), seeded(12))
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(64, 16, 3, 3), a=5**0.5,
                                            generator=seeded(12))
    torch.testing.assert_close(ours, theirs)


def test_empty_tensor_is_returned_untouched() -> None:
    weight = torch.empty(0, 5)
    assert xt.xavier_uniform_(weight) is weight


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gain": -1.0}, "gain must be a finite number >= 0, got gain=-1.0"),
        ({"fans": (0, 3)}, "fans must be a pair of positive integers"),
        ({"fans": (3, 4), "layout": xc.TORCH}, "give fans or layout, not both"),
        ({"layout": xc.TORCH.with_(groups=3)}, "groups must be a divisor"),
    ],
    ids=["negative-gain", "zero-fan", "fans-and-layout", "groups-not-dividing"],
)
def test_bad_arguments_raise_xavier_error(kwargs: dict, message: str) -> None:
    with pytest.raises(xc.XavierError, match=message):
        xt.xavier_uniform_(torch.empty(64, 8, 3, 3), **kwargs)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool], ids=["int64", "bool"])
def test_non_float_dtypes_are_refused(dtype: torch.dtype) -> None:
    with pytest.raises(xc.XavierError, match="dtype must be a floating dtype"):
        xt.xavier_uniform_(torch.zeros(4, 4, dtype=dtype))
