"""``keras.initializers.Initializer`` subclasses that draw the xavier_core spec.

``GlorotUniform``, ``GlorotNormal`` (untruncated, as its name says) and ``GlorotTruncatedNormal``
share the base ``VarianceScaling``. Fans come from explicit axes, as in ``jax.nn.initializers``;
the defaults are Keras' channels-last ``(..., in, out)``, which is also what Keras' own
initializers assume for a bare weight. Every class is registered for ``.keras`` saving under the
package ``xavier_init``, so ``"xavier_init>GlorotUniform"`` also works as a string identifier.

Seeds: an int gives the same values on every call, as in Keras; None gives fresh values on
every call (Keras' own unseeded initializers repeat theirs, so one instance shared by two layers
gives them the same kernel); a ``keras.random.SeedGenerator`` advances on every call.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.keras.sampling import draw, draw_portable, to_numpy
from xavier_adapters.keras.seeds import Seed, SeedStream, check_seed, seed_config

keras = require("keras", "keras")

PACKAGE = "xavier_init"
"""The package name the classes are registered under: ``"xavier_init>GlorotUniform"``."""

Axes = int | Sequence[int]


def _axes(value: Axes) -> Axes:
    """Lists as tuples, so that a config read back from JSON compares equal; xavier_core checks
    the axes themselves when the initializer is called."""
    return tuple(value) if isinstance(value, list) else value


def _layout(in_axis: Axes, out_axis: Axes, batch_axis: Axes, groups: int, grouped_axis: str,
            blocks: int, strides: Sequence[int], transposed: bool) -> xc.Layout:
    return xc.Layout(in_axis=_axes(in_axis), out_axis=_axes(out_axis),
                     batch_axis=_axes(batch_axis), groups=groups, grouped_axis=grouped_axis,
                     blocks=blocks, strides=tuple(strides),
                     transposed=transposed)  # type: ignore[arg-type]


def layout_config(layout: xc.Layout) -> dict[str, Any]:
    """The fields of ``layout`` as JSON-ready keyword arguments (tuples become lists)."""
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(layout).items()}


def _keras_axes(input_axes: Sequence[int] | None,
                output_axes: Sequence[int] | None) -> tuple[list[int] | None, list[int] | None]:
    if (input_axes is None) != (output_axes is None):
        raise xc.XavierError(f"input_axes and output_axes must be given together or not at all, "
                             f"got input_axes={input_axes!r}, output_axes={output_axes!r}")
    for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
        if axes is not None and (isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence)
                                 or not all(isinstance(a, numbers.Integral)
                                            and not isinstance(a, bool) for a in axes)):
            raise TypeError(f"{name} must be a sequence of ints (Keras' EinsumDense convention) "
                            f"or None, got {name}={axes!r}")
    return (None if input_axes is None else [int(a) for a in input_axes],
            None if output_axes is None else [int(a) for a in output_axes])


@keras.saving.register_keras_serializable(package=PACKAGE)
class VarianceScaling(keras.initializers.VarianceScaling):
    """variance = scale / n, n = fan_in | fan_out | (fan_in + fan_out) / 2 | sqrt(fan_in fan_out),
    drawn from ``distribution`` with Keras' own random ops.

    ``distribution`` is named exactly: ``"uniform"``, ``"normal"`` (untruncated; Keras'
    ``VarianceScaling`` reads ``"normal"`` as truncated) or ``"truncated_normal"`` (final std is
    sqrt(variance)). float16 and bfloat16 weights are sampled in float32 and cast once.

    Args:
      scale: a finite number >= 0.
      mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
      distribution: ``"uniform"``, ``"normal"`` or ``"truncated_normal"``.
      seed: an int (the same values on every call), None (fresh values on every call) or a
        ``keras.random.SeedGenerator`` (advances on every call).
      in_axis, out_axis, batch_axis, groups, grouped_axis, blocks, strides, transposed: the
        weight layout, as in ``xavier_core.compute_fans``; the defaults read ``(..., in, out)``.
      input_axes, output_axes: Keras' names, which ``EinsumDense`` (and so
        ``MultiHeadAttention``) sets, from its equation, on a ``VarianceScaling`` kernel
        initializer (this class subclasses Keras' for that): fan_in = prod(shape[input_axes]),
        fan_out = prod(shape[output_axes]). When given, they replace the default layout (an
        explicit layout wins); together they must name every axis of the weight.

    Raises:
      XavierError: a bad scale, mode, distribution or seed; at call time, bad axes, a shape the
        layout does not fit or a dtype that is not floating.

    Example:
      >>> he_normal = VarianceScaling(2.0, "fan_in", "normal", seed=0)
      >>> layer = keras.layers.Dense(64, kernel_initializer=he_normal)
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: xc.Mode = "fan_in",
        distribution: xc.DistributionName = "truncated_normal",
        seed: Seed = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        in_axis: Axes = -2,
        out_axis: Axes = -1,
        batch_axis: Axes = (),
        groups: int = 1,
        grouped_axis: str = "out",
        blocks: int = 1,
        strides: Sequence[int] = (),
        transposed: bool = False,
    ) -> None:
        # Keras' VarianceScaling.__init__ is not called: its checks and "normal" are not ours.
        self.spec = xc.VarianceScaling(scale, mode, distribution)
        self.layout = _layout(in_axis, out_axis, batch_axis, groups, grouped_axis, blocks,
                              strides, transposed)
        self.input_axes, self.output_axes = _keras_axes(input_axes, output_axes)
        self.seed = check_seed(seed)
        self._seeds = SeedStream(self.seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """A tensor of ``shape`` and ``dtype`` (default ``keras.config.floatx()``).

        A rank 0 or 1 weight with the default layout (``Dense(bias_initializer=HeNormal())``)
        takes Keras' fans: (1, 1) for a scalar, (n, n) for a vector of length n
        (``xavier_core.keras_small_rank_fans``).
        """
        layout = self._layout_for(shape)
        if len(xc.fans.check_shape(shape)) < 2 and layout == xc.Layout():
            distribution = self.spec.distribution_for(xc.keras_small_rank_fans(shape))
        else:
            distribution = self.spec.resolve(shape, layout).distribution
        if isinstance(self.seed, xc.PortableKey):
            return draw_portable(distribution, tuple(shape), dtype, self.seed, layout)
        seed = self.seed if isinstance(self.seed, int) else self._seeds.next()
        return draw(distribution, tuple(shape), dtype, seed)

    @property
    def scale(self) -> float:
        """Keras' public attribute: the variance is ``scale / n``."""
        return self.spec.scale

    @property
    def mode(self) -> str:
        """Keras' public attribute: ``fan_in``, ``fan_out``, ``fan_avg`` or ``fan_geo_avg``."""
        return self.spec.mode

    @property
    def distribution(self) -> str:
        """Keras' public attribute, named exactly: ``normal`` is untruncated here (Keras says
        ``untruncated_normal``), ``truncated_normal`` is Keras' ``normal``."""
        return self.spec.distribution

    def _layout_for(self, shape: Sequence[int]) -> xc.Layout:
        # An explicit layout wins: EinsumDense sets input_axes/output_axes on every
        # VarianceScaling kernel initializer it is given, whether or not the user chose axes.
        if self.input_axes is None or self.output_axes is None or self.layout != xc.Layout():
            return self.layout
        if len(xc.fans.check_shape(shape)) != len(self.input_axes) + len(self.output_axes):
            raise xc.XavierError(
                f"input_axes and output_axes must name every axis of the weight, got "
                f"input_axes={self.input_axes!r}, output_axes={self.output_axes!r} for shape "
                f"{tuple(shape)}; use in_axis, out_axis and batch_axis for other layouts")
        return xc.Layout(in_axis=tuple(self.input_axes), out_axis=tuple(self.output_axes))

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.spec.scale, "mode": self.spec.mode,
                "distribution": self.spec.distribution, "seed": seed_config(self.seed),
                **self._axes_config()}

    def _axes_config(self) -> dict[str, Any]:
        return {**layout_config(self.layout), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _Glorot(VarianceScaling):
    """Var[W] = gain^2 * 2 / (fan_in + fan_out), from the subclass's distribution."""

    _distribution: ClassVar[xc.DistributionName]

    def __init__(
        self,
        seed: Seed = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        gain: float = 1.0,
        in_axis: Axes = -2,
        out_axis: Axes = -1,
        batch_axis: Axes = (),
        groups: int = 1,
        grouped_axis: str = "out",
        blocks: int = 1,
        strides: Sequence[int] = (),
        transposed: bool = False,
    ) -> None:
        self.gain = xc.check_gain(gain)
        spec = xc.glorot(self._distribution, self.gain)
        super().__init__(spec.scale, spec.mode, spec.distribution, seed, in_axis=in_axis,
                         out_axis=out_axis, batch_axis=batch_axis, groups=groups,
                         grouped_axis=grouped_axis, blocks=blocks, strides=strides,
                         transposed=transposed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": seed_config(self.seed), "gain": self.gain, **self._axes_config()}


@keras.saving.register_keras_serializable(package=PACKAGE)
class GlorotUniform(_Glorot):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    A drop-in for ``keras.initializers.GlorotUniform`` (``seed`` first), plus ``gain`` and
    explicit axes (see :class:`VarianceScaling`).

    Example:
      >>> layer = keras.layers.Dense(128, activation="tanh",
      ...                            kernel_initializer=GlorotUniform(gain=5 / 3))
    """

    _distribution = "uniform"


@keras.saving.register_keras_serializable(package=PACKAGE)
class GlorotNormal(_Glorot):
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)), untruncated.

    Unlike ``keras.initializers.GlorotNormal``, which is truncated; for that one use
    :class:`GlorotTruncatedNormal`.

    Example:
      >>> layer = keras.layers.Dense(128, kernel_initializer=GlorotNormal(seed=0))
    """

    _distribution = "normal"


@keras.saving.register_keras_serializable(package=PACKAGE)
class GlorotTruncatedNormal(_Glorot):
    """N(0, t^2) cut at +-2t, t = s / 0.87962566103423978, s = gain * sqrt(2 / (fan_in + fan_out)),
    so the final std is s (what ``keras.initializers.GlorotNormal`` draws, for gain 1).

    Example:
      >>> layer = keras.layers.Dense(128, kernel_initializer=GlorotTruncatedNormal(seed=0))
    """

    _distribution = "truncated_normal"


class _FanIn(VarianceScaling):
    """Var[W] = scale / fan_in (He: 2, LeCun: 1), from the subclass's distribution."""

    _family: ClassVar[str]
    _distribution: ClassVar[xc.DistributionName]

    def __init__(
        self,
        seed: Seed = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        in_axis: Axes = -2,
        out_axis: Axes = -1,
        batch_axis: Axes = (),
        groups: int = 1,
        grouped_axis: str = "out",
        blocks: int = 1,
        strides: Sequence[int] = (),
        transposed: bool = False,
    ) -> None:
        spec = xc.he(self._distribution) if self._family == "he" else xc.lecun(self._distribution)
        super().__init__(spec.scale, spec.mode, spec.distribution, seed, in_axis=in_axis,
                         out_axis=out_axis, batch_axis=batch_axis, groups=groups,
                         grouped_axis=grouped_axis, blocks=blocks, strides=strides,
                         transposed=transposed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": seed_config(self.seed), **self._axes_config()}


@keras.saving.register_keras_serializable(package=PACKAGE)
class HeUniform(_FanIn):
    """He et al. (2015): U(-a, a), a = sqrt(6 / fan_in); Keras' ``HeUniform``, the same law.

    Example:
      >>> layer = keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer=HeUniform(0))
    """

    _family, _distribution = "he", "uniform"


@keras.saving.register_keras_serializable(package=PACKAGE)
class HeNormal(_FanIn):
    """He: N(0, 2 / fan_in), untruncated (torch's ``kaiming_normal_``).

    ``keras.initializers.HeNormal`` is truncated; that law is :class:`HeTruncatedNormal`.
    """

    _family, _distribution = "he", "normal"


@keras.saving.register_keras_serializable(package=PACKAGE)
class HeTruncatedNormal(_FanIn):
    """He, truncated at +-2t and corrected so the final variance is 2 / fan_in (the law of
    ``keras.initializers.HeNormal``)."""

    _family, _distribution = "he", "truncated_normal"


@keras.saving.register_keras_serializable(package=PACKAGE)
class LecunUniform(_FanIn):
    """LeCun: U(-a, a), a = sqrt(3 / fan_in); Keras' ``LecunUniform``, the same law."""

    _family, _distribution = "lecun", "uniform"


@keras.saving.register_keras_serializable(package=PACKAGE)
class LecunNormal(_FanIn):
    """LeCun: N(0, 1 / fan_in), untruncated.

    ``keras.initializers.LecunNormal`` is truncated; that law is :class:`LecunTruncatedNormal`.
    """

    _family, _distribution = "lecun", "normal"


@keras.saving.register_keras_serializable(package=PACKAGE)
class LecunTruncatedNormal(_FanIn):
    """LeCun, truncated at +-2t and corrected so the final variance is 1 / fan_in (the law of
    ``keras.initializers.LecunNormal``)."""

    _family, _distribution = "lecun", "truncated_normal"


def from_spec(spec: xc.VarianceScaling, layout: xc.Layout = xc.CHANNELS_LAST,
              seed: Seed = None) -> VarianceScaling:
    """The Keras initializer that draws ``spec`` for weights stored in ``layout``.

    Example:
      >>> lecun = from_spec(xc.lecun("uniform"), xc.KERAS_TRANSPOSED, seed=0)
      >>> lecun.get_config()["mode"], lecun.get_config()["in_axis"]
      ('fan_in', -1)
    """
    return VarianceScaling(spec.scale, spec.mode, spec.distribution, seed, **layout_config(layout))


def sample(spec: xc.VarianceScaling, shape: Sequence[int], layout: xc.Layout, dtype: str,
           seed: int, device: str = "cpu") -> np.ndarray:
    """A weight of ``shape`` drawn from ``spec`` by the initializer class on the current Keras
    backend and ``device`` (``"cpu"``, ``"gpu"``/``"cuda"``, ``"gpu:1"``), as a numpy array of
    ``dtype``: the conformance suite's entry point."""
    with keras.device(device.replace("cuda", "gpu")):
        values = from_spec(spec, layout, seed)(shape, dtype)
    return to_numpy(values, dtype)
