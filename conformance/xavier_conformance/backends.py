"""The backends the suite can check, how to tell whether each is installed, and its sampler.

A backend is one framework as seen from one process: Keras counts three times, once per
``KERAS_BACKEND``, since that is fixed at import. Each sampler takes the spec's numbers to the
framework through its adapter and returns the drawn weight as a numpy array in the weight's dtype
(bfloat16 through ``ml_dtypes``), so that every backend is judged by the same statistics.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

import xavier_core as xc
from xavier_adapters import numpy as xnp

Sampler = Callable[[xc.VarianceScaling, tuple[int, ...], xc.Layout, str, int, str], np.ndarray]
"""sample(spec, shape, layout, dtype, seed, device) -> the drawn weight as a numpy array."""


REAL_DTYPES = ("float32", "float64", "float16", "bfloat16")
"""Every backend's dtypes; numpy, torch and JAX add complex64 and complex128 (Keras' random
ops have no complex dtypes: a complex weight there is refused with a clear error)."""


@dataclass(frozen=True)
class Backend:
    """One backend: the modules it needs, the pip extra that installs them, its environment."""

    name: str
    modules: tuple[str, ...]
    extra: str
    layout: xc.Layout
    env: Mapping[str, str] = field(default_factory=dict)
    dtypes: tuple[str, ...] = REAL_DTYPES

    @property
    def install_hint(self) -> str:
        return f"pip install 'xavier-init[{self.extra}]'"

    def missing_modules(self) -> list[str]:
        """The required modules that are not installed (found without importing them)."""
        return [m for m in self.modules if importlib.util.find_spec(m) is None]


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("numpy", ("numpy",), "conformance", xc.CHANNELS_LAST,
                dtypes=(*REAL_DTYPES, *xc.COMPLEX_DTYPES)),
        Backend("torch", ("torch",), "torch", xc.TORCH, dtypes=(*REAL_DTYPES, *xc.COMPLEX_DTYPES)),
        Backend("jax", ("jax",), "jax", xc.CHANNELS_LAST, {"JAX_ENABLE_X64": "1"},
                dtypes=(*REAL_DTYPES, *xc.COMPLEX_DTYPES)),
        Backend("keras-tensorflow", ("keras", "tensorflow"), "tensorflow", xc.CHANNELS_LAST,
                {"KERAS_BACKEND": "tensorflow"}),
        Backend("keras-jax", ("keras", "jax"), "keras,jax", xc.CHANNELS_LAST,
                {"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1"}),
        Backend("keras-torch", ("keras", "torch"), "keras,torch", xc.CHANNELS_LAST,
                {"KERAS_BACKEND": "torch"}),
    )
}


def get_backend(name: str) -> Backend:
    """The backend called ``name``, or a XavierError listing the known ones."""
    if name not in BACKENDS:
        raise xc.errors.bad_argument("backend", name, f"one of {', '.join(BACKENDS)}")
    return BACKENDS[name]


def to_numpy(array: object, dtype: str) -> np.ndarray:
    """A framework array as numpy in ``dtype``; low precision goes through float32, exactly."""
    if hasattr(array, "detach"):  # torch: bfloat16 has no numpy view; complex stays complex
        array = array.detach().cpu()
        array = (array if array.is_complex() else array.float()).numpy()
    elif not isinstance(array, np.ndarray) and hasattr(array, "numpy"):
        array = array.numpy()
    values = np.asarray(array)
    return values.astype(xnp.numpy_dtype(dtype), copy=False)


def _numpy_sampler() -> Sampler:
    def sample(spec, shape, layout, dtype, seed, device):  # type: ignore[no-untyped-def]
        if device != "cpu":
            raise xc.errors.bad_argument("device", device, "'cpu' for the numpy backend")
        return xnp.initialize(spec, shape, layout=layout, dtype=dtype, rng=seed)

    return sample


def _adapter_sampler(module: str) -> Sampler:
    adapter = importlib.import_module(f"xavier_adapters.{module}")

    def sample(spec, shape, layout, dtype, seed, device):  # type: ignore[no-untyped-def]
        return to_numpy(adapter.sample(spec, shape, layout, dtype, seed, device), dtype)

    return sample


def load_sampler(backend: Backend) -> Sampler:
    """The sampler of ``backend``, importing its framework (call once per process)."""
    if backend.name == "numpy":
        return _numpy_sampler()
    return _adapter_sampler(backend.name.split("-")[0])
