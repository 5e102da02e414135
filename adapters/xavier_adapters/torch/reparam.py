"""Weights held through weight_norm or spectral_norm, in both torch styles: found, and drawn.

``torch.nn.utils.parametrizations.weight_norm`` (and the older ``torch.nn.utils.weight_norm``
hook, with ``weight_g``/``weight_v``) computes the layer's weight as w = g v / ||v|| (norm per
``dim`` slice). Drawing w from the spec and assigning it through the right inverse, v = w and
g = ||w|| per slice, makes the weight the layer computes with exactly the draw.

``spectral_norm`` (both styles) computes w / sigma(w), sigma the largest singular value found by
power iteration: the layer's weight has spectral norm 1 by design, whatever is drawn. The
original is drawn from the spec (its right inverse is the identity), and the power-iteration
vectors u, v are started afresh for it, as torch does when it registers the parametrization
(random unit vectors; 15 power iterations for the parametrization style).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import xavier_core as xc
from xavier_adapters._require import require
from xavier_adapters.torch.sampling import fill_

if TYPE_CHECKING:
    import torch
    from torch import nn
else:
    torch = require("torch", "torch")
    nn = torch.nn

from torch.nn.utils import parametrizations as _parametrizations
from torch.nn.utils import parametrize as _parametrize
from torch.nn.utils.spectral_norm import SpectralNorm as _SpectralNormHook
from torch.nn.utils.weight_norm import WeightNorm as _WeightNormHook

Kind = Literal["weight_norm", "spectral_norm", "other"]
POWER_ITERATIONS = 15
"""Power iterations torch's parametrization-style spectral_norm runs when it is registered."""


@dataclass(frozen=True)
class Slot:
    """One tensor of a reparametrized weight: where it lives and what it is."""

    owner: nn.Module
    key: str
    is_buffer: bool
    role: str
    """``g``/``v`` (weight_norm), ``original``/``u``/``v`` (spectral_norm), or ``other``."""
    path: str
    """Its name relative to the layer, as in the layer's state_dict."""

    @property
    def tensor(self) -> torch.Tensor:
        store = self.owner._buffers if self.is_buffer else self.owner._parameters
        return store[self.key]  # type: ignore[return-value]


@dataclass
class Reparam:
    """A weight ``name`` of a layer held through a reparametrization."""

    layer: nn.Module
    name: str
    kind: Kind
    hook: bool
    """Held by the old forward-pre-hook style (``weight_g``/``weight_v``, ``weight_orig``)."""
    slots: list[Slot] = field(default_factory=list)
    module: nn.Module | None = None
    """The parametrization module (parametrization style) or the hook object (hook style)."""
    described: str = ""
    """What it is, for notes: ``weight_norm (dim 0)``, ``parametrized by _Orthogonal``."""

    @property
    def note(self) -> str:
        if self.kind == "weight_norm":
            return f"{self.described}: the layer's weight g v/||v|| equals the draw"
        if self.kind == "spectral_norm":
            return (f"{self.described}: the layer computes with the draw divided by its largest "
                    "singular value (spectral norm 1 by design)")
        return ("init_model draws through weight_norm and spectral_norm only: initialize it "
                "before registering the parametrization, or yourself")

    def slot(self, role: str) -> Slot:
        return next(s for s in self.slots if s.role == role)

    def check(self) -> None:
        """Raise before any write if torch's spectral_norm lacks what the draw relies on."""
        if self.kind == "spectral_norm" and not self.hook and self.slots_named("u") and not all(
                hasattr(self.module, a) for a in ("_power_method", "_reshape_weight_to_matrix")):
            raise xc.XavierError(
                f"spectral_norm of {self.name!r}: this torch's _SpectralNorm has no "
                "_power_method / _reshape_weight_to_matrix, which init_model uses to restart "
                "its power iteration; remove the parametrization to initialize the weight")

    def slots_named(self, role: str) -> list[Slot]:
        return [s for s in self.slots if s.role == role]

    def draw(self, distribution: xc.Distribution,
             generator: torch.Generator | xc.PortableKey | None,
             layout: xc.Layout | None = None) -> None:
        """Write the weight: drawn from ``distribution``, assigned through the right inverse.

        With a :class:`xavier_core.PortableKey` the weight is the portable draw (in ``layout``'s
        canonical order); spectral norm's power-iteration vectors, not weights, then restart
        from torch's default generator."""
        if self.kind == "weight_norm":
            g, v = self.slot("g").tensor, self.slot("v").tensor
            fill_(v, distribution, generator, layout=layout)
            with torch.no_grad():
                g.copy_(torch.norm_except_dim(v, 2, self.module.dim))  # type: ignore[union-attr]
            if self.hook:  # the hook recomputes it before each forward; keep it true meanwhile
                setattr(self.layer, self.name, self.module.compute_weight(self.layer))  # type: ignore[union-attr]
            return
        original = self.slot("original").tensor
        fill_(original, distribution, generator, layout=layout)
        if self.slots_named("u"):
            self._restart_power_iteration(
                original, None if isinstance(generator, xc.PortableKey) else generator)

    def _restart_power_iteration(self, weight: torch.Tensor,
                                 generator: torch.Generator | None) -> None:
        eps = self.module.eps  # type: ignore[union-attr]
        with torch.no_grad():
            for role in ("u", "v"):
                vector = self.slot(role).tensor
                vector.normal_(0.0, 1.0, generator=generator)
                torch.nn.functional.normalize(vector, dim=0, eps=eps, out=vector)
            if not self.hook:
                module = self.module
                module._power_method(  # type: ignore[union-attr,operator]
                    module._reshape_weight_to_matrix(weight), POWER_ITERATIONS)  # type: ignore[union-attr,operator]


def find(layer: nn.Module) -> list[Reparam]:
    """Every reparametrized weight ``layer`` holds directly, in both torch styles."""
    found: list[Reparam] = []
    if "parametrizations" in layer._modules and _parametrize.is_parametrized(layer):
        for name, plist in layer.parametrizations.items():  # type: ignore[union-attr]
            found.append(_parametrized(layer, name, plist))
    for hook in layer._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook):
            found.append(_hooked(layer, hook, "weight_norm", [("g", "_g"), ("v", "_v")]))
        elif isinstance(hook, _SpectralNormHook):
            found.append(_hooked(layer, hook, "spectral_norm",
                                 [("original", "_orig"), ("u", "_u"), ("v", "_v")]))
    return found


def _hooked(layer: nn.Module, hook: object, kind: Kind,
            roles: list[tuple[str, str]]) -> Reparam:
    name: str = hook.name  # type: ignore[attr-defined]
    reparam = Reparam(layer, name, kind, hook=True, module=hook,  # type: ignore[arg-type]
                      described=f"{kind} (hook, dim {hook.dim})")  # type: ignore[attr-defined]
    for role, suffix in roles:
        key = name + suffix
        is_buffer = key in layer._buffers
        reparam.slots.append(Slot(layer, key, is_buffer, role, key))
    return reparam


def _parametrized(layer: nn.Module, name: str, plist: nn.Module) -> Reparam:
    modules = list(plist)  # type: ignore[call-overload]
    base = f"parametrizations.{name}"
    originals = [(k, f"{base}.{k}") for k in plist._parameters]
    if len(modules) == 1 and isinstance(modules[0], _parametrizations._WeightNorm):
        reparam = Reparam(layer, name, "weight_norm", False, module=modules[0],
                          described=f"weight_norm (dim {modules[0].dim})")
        roles = {"original0": "g", "original1": "v"}
        reparam.slots += [Slot(plist, k, False, roles[k], p) for k, p in originals]
        return reparam
    if len(modules) == 1 and isinstance(modules[0], _parametrizations._SpectralNorm):
        reparam = Reparam(layer, name, "spectral_norm", False, module=modules[0],
                          described=f"spectral_norm (dim {modules[0].dim})")
        reparam.slots += [Slot(plist, k, False, "original", p) for k, p in originals]
        reparam.slots += [Slot(modules[0], k, True, k.lstrip("_"), f"{base}.0.{k}")
                          for k in modules[0]._buffers if k in ("_u", "_v")]
        return reparam
    kinds = ", ".join(type(m).__name__ for m in modules)
    reparam = Reparam(layer, name, "other", False, described=f"parametrized by {kinds}")
    reparam.slots += [Slot(plist, k, False, "other", p) for k, p in originals]
    for index, module in enumerate(modules):
        for prefix, sub in module.named_modules():
            where = f"{base}.{index}" + (f".{prefix}" if prefix else "")
            reparam.slots += [Slot(sub, k, False, "other", f"{where}.{k}")
                              for k, t in sub._parameters.items() if t is not None]
            reparam.slots += [Slot(sub, k, True, "other", f"{where}.{k}")
                              for k, t in sub._buffers.items() if t is not None]
    return reparam


def submodules(layer: nn.Module) -> list[nn.Module]:
    """The modules a parametrized ``layer`` holds for its parametrizations (walked by
    ``named_modules()``, but planned with their layer)."""
    container = layer._modules.get("parametrizations")
    return [] if container is None else list(container.modules())
