"""Bare-tensor initializers: the ``torch.nn.init`` drop-ins and the sampler they share.

Every function fills a tensor in place, under ``no_grad``, on the tensor's own device with torch's
own sampler (``uniform_``, ``normal_``, ``erfinv_``), so ``generator=`` and ``torch.manual_seed``
behave as they do in ``torch.nn.init``. The numbers come from the spec; the dtype policy too:
float16 and bfloat16 are drawn in a float32 buffer of the same shape and device, then cast once.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch import dtensor
from xavier_adapters.torch.portable import portable_fill_
from xavier_core.errors import bad_argument

if TYPE_CHECKING:
    import torch
else:
    torch = require("torch", "torch")

FansLike = xc.Fans | tuple[int, int]

TORCH_RANK_MESSAGE = (
    "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
)
"""The text of the ``ValueError`` torch raises for a rank 0 or 1 tensor (kept word for word)."""


def _explicit_fans(fans: object) -> xc.Fans:
    if (
        not isinstance(fans, Sequence)
        or len(fans) != 2
        or not all(isinstance(f, numbers.Integral) and not isinstance(f, bool) and f > 0
                   for f in fans)
    ):
        raise bad_argument("fans", fans, "a pair of positive integers (fan_in, fan_out)")
    return xc.Fans(int(fans[0]), int(fans[1]))


def _check_tensor(tensor: object) -> None:
    if not isinstance(tensor, torch.Tensor):
        kind = f"{type(tensor).__module__}.{type(tensor).__name__}"
        shape = getattr(tensor, "shape", None)
        raise TypeError(f"tensor must be a torch.Tensor, got tensor=<{kind}"
                        f"{f' of shape {tuple(shape)}' if shape is not None else ''}>; for a "
                        "numpy array use xavier_adapters.numpy")


def resolve(
    tensor: torch.Tensor,
    spec: xc.VarianceScaling,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> xc.Distribution:
    """The distribution ``spec`` gives ``tensor``: from ``fans`` if given, else from its shape.

    A bare tensor follows torch's convention, ``(out, in, *kernel)`` (:data:`xavier_core.TORCH`);
    ``layout`` overrides it (grouped, packed, transposed weights), ``fans`` bypasses the shape.

    Raises:
      XavierError: both ``fans`` and ``layout`` given, bad ``fans``, a layout that does not fit
        the shape, or a tensor of rank < 2 with neither (a ``ValueError`` with torch's message).
    """
    _check_tensor(tensor)
    if not isinstance(spec, xc.VarianceScaling):
        raise TypeError(f"spec must be an xavier_core.VarianceScaling (e.g. xc.glorot_uniform(), "
                        f"xc.he('normal')), got spec={spec!r} ({type(spec).__name__})")
    if layout is not None and not isinstance(layout, xc.Layout):
        raise TypeError(f"layout must be an xavier_core.Layout (e.g. xc.TORCH.with_(groups=4)) "
                        f"or None, got layout={layout!r} ({type(layout).__name__})")
    if fans is not None and layout is not None:
        raise xc.XavierError(
            f"give fans or layout, not both, got fans={fans!r}, layout={layout!r}")
    if fans is not None:
        return spec.distribution_for(_explicit_fans(fans))
    if layout is None:
        if tensor.dim() < 2:
            raise xc.XavierError(
                f"{TORCH_RANK_MESSAGE}; got a tensor of shape {tuple(tensor.shape)}: pass "
                "fans=(fan_in, fan_out) or a layout with explicit axes to initialize it")
        layout = xc.TORCH
    return spec.resolve(tuple(tensor.shape), layout).distribution


def _draw_(tensor: torch.Tensor, distribution: xc.Distribution,
           generator: torch.Generator | None) -> torch.Tensor:
    """Overwrite ``tensor`` (already in its sampling dtype) with a draw from ``distribution``."""
    if isinstance(distribution, xc.Uniform):
        return tensor.uniform_(-distribution.bound, distribution.bound, generator=generator)
    if isinstance(distribution, xc.Normal):
        return tensor.normal_(0.0, distribution.std, generator=generator)
    # Inverse CDF, in place: u ~ U(-m, m), w = sqrt(2) t erfinv(u); the clamp only removes the
    # rounding of erfinv at the two ends.
    limit = distribution.erfinv_limit
    tensor.uniform_(-limit, limit, generator=generator)
    tensor.erfinv_().mul_(distribution.erfinv_scale)
    return tensor.clamp_(-distribution.bound, distribution.bound)


_WORK_DTYPES = {torch.float32: torch.float32, torch.float64: torch.float64,
                torch.float16: torch.float32, torch.bfloat16: torch.float32}
"""``xc.sampling_dtype`` of each float dtype, looked up without its string round trip."""


def fill_(
    tensor: torch.Tensor,
    distribution: xc.Distribution,
    generator: torch.Generator | xc.PortableKey | None = None,
    *,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place with a draw from a resolved ``distribution``; return it.

    float32 and float64 tensors are drawn into directly; float16 and bfloat16 ones into a float32
    buffer of the same shape and device, then cast with one ``copy_``. complex64 and complex128
    ones get ``xavier_core.complex_law(distribution)``: both parts drawn in place, through
    ``torch.view_as_real``, from the same family at half the variance, so E|w|^2 is the
    target (``uniform_`` on a complex tensor gives twice it). Meta tensors and tensors with no
    elements are returned untouched. A :class:`xavier_core.PortableKey` as ``generator`` draws
    the portable values (:func:`xavier_adapters.torch.portable_fill_`; ``layout``, torch's by
    default, gives their canonical order); a DTensor then draws its shard's slice of them.

    Raises:
      XavierError: ``tensor`` is not float16, bfloat16, float32, float64, complex64 or complex128
        (a complex DTensor is refused).
    """
    _check_tensor(tensor)
    if tensor.is_complex() and isinstance(generator, xc.PortableKey):
        raise bad_argument("generator", generator, "a torch.Generator or None for a complex "
                           f"tensor (portable mode draws real weights), got a {tensor.dtype} one")
    if tensor.is_complex() and not dtensor.is_dtensor(tensor):
        return _fill_complex_(tensor, distribution, generator)
    work_dtype = _WORK_DTYPES.get(tensor.dtype)
    if work_dtype is None:  # refuses non-float dtypes with the standard message
        work_dtype = getattr(torch, xc.sampling_dtype(tensor.dtype))
    if tensor.is_meta or tensor.numel() == 0:
        return tensor
    xc.check_drawable(distribution, tensor.dtype)
    if isinstance(generator, xc.PortableKey):
        layout = xc.TORCH if layout is None else layout
        if dtensor.is_dtensor(tensor):
            return _portable_dtensor_fill_(tensor, distribution, generator, layout)
        return portable_fill_(tensor, distribution, generator, layout)
    if dtensor.is_dtensor(tensor):  # global fans already; draw only this rank's shard
        with torch.no_grad():
            local, shard_generator = dtensor.local_draw(tensor, generator)
            fill_(local, distribution, shard_generator)
        return tensor
    if tensor.dtype == work_dtype and not tensor.requires_grad:
        return _draw_(tensor, distribution, generator)  # no autograd to keep out: no no_grad
    with torch.no_grad():
        if tensor.dtype == work_dtype:
            return _draw_(tensor, distribution, generator)
        buffer = torch.empty_like(tensor, dtype=work_dtype)
        return tensor.copy_(_draw_(buffer, distribution, generator))


def _fill_complex_(tensor: torch.Tensor, distribution: xc.Distribution,
                   generator: torch.Generator | None) -> torch.Tensor:
    """Both parts of a complex ``tensor`` from the part law of ``distribution``, in place."""
    if tensor.is_meta or tensor.numel() == 0:
        return tensor
    part = xc.complex_law(distribution).part
    with torch.no_grad():
        _draw_(torch.view_as_real(tensor), part, generator)
    return tensor


def _portable_dtensor_fill_(tensor: torch.Tensor, distribution: xc.Distribution,
                            key: xc.PortableKey, layout: xc.Layout) -> torch.Tensor:
    """This rank's slice of the unsharded portable draw, written into its local shard."""
    local = tensor.to_local()  # type: ignore[attr-defined]
    if local.numel():
        portable_fill_(local, distribution, key, layout, global_shape=tuple(tensor.shape),
                       indices=dtensor.local_indices(tensor))
    return tensor


_RESOLVED: dict[tuple[object, float, tuple[int, ...]], xc.Distribution] = {}
"""(spec factory, gain, shape) -> distribution for the bare calls in torch's layout."""
RESOLVED_CACHE_SIZE = 1024
"""Entries kept in :data:`_RESOLVED` before it starts afresh."""


def _named_(
    tensor: torch.Tensor,
    factory: Callable[[float], xc.VarianceScaling],
    gain: float,
    generator: torch.Generator | xc.PortableKey | None,
    fans: FansLike | None,
    layout: xc.Layout | None,
) -> torch.Tensor:
    """``variance_scaling_(tensor, factory(gain), ...)``, with the distribution of a bare call
    (plain int or float gain, torch's layout) cached per (factory, gain, shape): the spec is
    built and the fans read once per shape, not once per call. Only successful resolutions are
    cached, so every bad gain or shape still raises as it would uncached."""
    _check_tensor(tensor)
    if fans is not None or layout is not None or (type(gain) is not float
                                                  and type(gain) is not int):
        return variance_scaling_(tensor, factory(gain), generator, fans=fans, layout=layout)
    key = (factory, gain, tuple(tensor.shape))
    distribution = _RESOLVED.get(key)
    if distribution is None:
        if tensor.numel() == 0 and tensor.dim() >= 2:
            return tensor  # as variance_scaling_: a zero-size axis has no fans
        distribution = resolve(tensor, factory(gain))
        if len(_RESOLVED) >= RESOLVED_CACHE_SIZE:
            _RESOLVED.clear()
        _RESOLVED[key] = distribution
    return fill_(tensor, distribution, generator)


def variance_scaling_(
    tensor: torch.Tensor,
    spec: xc.VarianceScaling,
    generator: torch.Generator | xc.PortableKey | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """Var[w] = spec.scale / n (n from ``spec.mode``), drawn from ``spec.distribution``, in place.

    The one code path of every initializer here: Glorot, He (``xc.he()``), LeCun, the paper's
    "standard" init.

    Args:
      tensor: the weight to overwrite; float16, bfloat16, float32 or float64, any device.
      spec: what to draw, e.g. ``xavier_core.he("normal")``.
      generator: the ``torch.Generator`` to draw from; None uses torch's default generator of
        the tensor's device (``torch.manual_seed`` then reproduces the values); a
        :class:`xavier_core.PortableKey` draws the portable values, the same bit for bit in
        numpy, Keras and JAX (their canonical order from ``layout``, torch's by default).
      fans: ``(fan_in, fan_out)`` to use instead of the ones read from the shape.
      layout: how to read the fans from the shape, instead of torch's ``(out, in, *kernel)``;
        e.g. ``xavier_core.TORCH.with_(groups=4)`` for a grouped convolution.

    Returns:
      ``tensor`` itself.

    Raises:
      XavierError (a ValueError): see :func:`resolve` and :func:`fill_`.

    Example:
      >>> import torch, xavier_core as xc
      >>> w = variance_scaling_(torch.empty(256, 128), xc.he("normal"))
    """
    _check_tensor(tensor)
    if tensor.numel() == 0 and tensor.dim() >= 2:
        return tensor  # nothing to draw; a zero-size axis has no fans (torch: no-op for (0, n))
    distribution = resolve(tensor, spec, fans=fans, layout=layout)
    return fill_(tensor, distribution, generator, layout=layout)


def xavier_uniform_(
    tensor: torch.Tensor,
    gain: float = 1.0,
    generator: torch.Generator | xc.PortableKey | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), in place.

    A drop-in for ``torch.nn.init.xavier_uniform_``: same signature, and for a float32 or float64
    tensor the same values, bit for bit, under the same seed. float16 and bfloat16 are drawn in
    float32 and cast once (torch rounds the bound to the low-precision dtype first). ``fans`` and
    ``layout`` are as in :func:`variance_scaling_`.

    Example:
      >>> import torch
      >>> w = xavier_uniform_(torch.empty(64, 784), gain=xc.calculate_gain("relu"))
    """
    return _named_(tensor, xc.glorot_uniform, gain, generator, fans, layout)


def xavier_normal_(
    tensor: torch.Tensor,
    gain: float = 1.0,
    generator: torch.Generator | xc.PortableKey | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)), untruncated, in place.

    A drop-in for ``torch.nn.init.xavier_normal_``: same signature, same values under the same
    seed (float16 and bfloat16 included). ``fans`` and ``layout`` are as in
    :func:`variance_scaling_`.

    Example:
      >>> import torch
      >>> w = xavier_normal_(torch.empty(64, 784), generator=torch.Generator().manual_seed(0))
    """
    return _named_(tensor, xc.glorot_normal, gain, generator, fans, layout)


def xavier_trunc_normal_(
    tensor: torch.Tensor,
    gain: float = 1.0,
    generator: torch.Generator | xc.PortableKey | None = None,
    *,
    fans: FansLike | None = None,
    layout: xc.Layout | None = None,
) -> torch.Tensor:
    """N(0, t^2) cut at +-2t, t = s / 0.8796..., so the final std is the Glorot std s, in place.

    s = gain * sqrt(2 / (fan_in + fan_out)). Drawn by inverse CDF with ``erfinv_`` (one pass, no
    rejection loop, no extra buffer). ``fans`` and ``layout`` are as in :func:`variance_scaling_`.

    Example:
      >>> import torch
      >>> w = xavier_trunc_normal_(torch.empty(64, 784))
      >>> bool(w.abs().max() <= 2 * (2 / (64 + 784)) ** 0.5 / 0.87962566103423978)
      True
    """
    return _named_(tensor, xc.glorot_truncated_normal, gain, generator, fans, layout)


def torch_dtype(dtype: object) -> torch.dtype:
    """``dtype`` (a name, or a torch or numpy dtype) as a floating or complex ``torch.dtype``.

    Raises:
      XavierError: not float16, bfloat16, float32, float64, complex64 or complex128.
    """
    name = xc.dtype_name(dtype)
    if xc.is_complex(name):
        return getattr(torch, name)
    xc.sampling_dtype(name)  # refuses non-float dtypes with the standard message
    return getattr(torch, name)


def sample(
    spec: xc.VarianceScaling,
    shape: Sequence[int],
    layout: xc.Layout,
    dtype: str,
    seed: int,
    device: str = "cpu",
) -> torch.Tensor:
    """A fresh tensor of ``shape`` drawn from ``spec`` (fans read with ``layout``).

    The entry point of the conformance suite: a new ``torch.Generator`` on ``device`` seeded with
    ``seed``, so a (spec, shape, layout, dtype, seed, device) always gives the same values.

    Example:
      >>> import xavier_core as xc
      >>> w = sample(xc.glorot_uniform(), (64, 16, 3, 3), xc.TORCH, "bfloat16", seed=0)
      >>> w.dtype, tuple(w.shape)
      (torch.bfloat16, (64, 16, 3, 3))
    """
    tensor = torch.empty(tuple(shape), dtype=torch_dtype(dtype), device=device)
    generator = torch.Generator(device=tensor.device).manual_seed(seed)
    return variance_scaling_(tensor, spec, generator, layout=layout)
