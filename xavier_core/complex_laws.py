"""Complex weights: each distribution's complex law, with E|w|^2 equal to the target variance.

For a real law of variance v (``uniform``, ``normal``, ``truncated_normal``), the complex weight
is w = x + i y with x and y independent and both drawn from the SAME family at variance v / 2:

    uniform            x, y ~ U(-a, a),      a = sqrt(3 v / 2)
    normal             x, y ~ N(0, v / 2)    (the circular complex normal)
    truncated_normal   x, y ~ N(0, t^2) cut at +-2t, final std sqrt(v / 2) each

so E[w] = 0, E|w|^2 = v exactly, E[w^2] = 0 (a proper complex law: no preferred direction for a
normal) and |w| <= a sqrt 2 (uniform) or 2 t sqrt 2 (truncated). Drawing the real law into both
parts, as ``torch.Tensor.uniform_`` does on a complex tensor, gives E|w|^2 = 2 v; JAX's complex
truncated normal uses 0.95311164380491208 where the part law needs 0.87962566103423978 and comes
out 1.9 % high.

What the conformance suite tests: the real parts and the imaginary parts, each against
:attr:`ComplexLaw.part` (bounds, reach, mean, variance, exact CDF), |w|^2 against
:attr:`ComplexLaw.variance` with the exact E|w|^4, and the parts' correlation against 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xavier_core.distributions import Distribution, Normal, TruncatedNormal, Uniform
from xavier_core.dtypes import dtype_name
from xavier_core.errors import bad_argument

COMPLEX_DTYPES = ("complex64", "complex128")
"""The complex dtypes sampled: complex64 from float32 parts, complex128 from float64 parts."""
_PART_DTYPES = {"complex64": "float32", "complex128": "float64"}


def is_complex(dtype: object) -> bool:
    """Whether ``dtype`` (a name, or any framework's dtype) is complex64 or complex128."""
    return dtype_name(dtype) in COMPLEX_DTYPES


def part_dtype(dtype: object) -> str:
    """The real dtype each part of a complex weight is sampled in: ``"float32"`` or ``"float64"``.

    Raises:
      XavierError: ``dtype`` is not complex64 or complex128.

    Example:
      >>> part_dtype("complex64")
      'float32'
    """
    name = dtype_name(dtype)
    if name not in _PART_DTYPES:
        raise bad_argument("dtype", name, f"a complex dtype ({', '.join(COMPLEX_DTYPES)})")
    return _PART_DTYPES[name]


def half_variance(distribution: Distribution) -> Distribution:
    """The same family as ``distribution`` with half its variance (std / sqrt 2)."""
    if isinstance(distribution, Uniform):
        return Uniform(bound=distribution.bound / math.sqrt(2.0))
    if isinstance(distribution, Normal):
        return Normal(std=distribution.std / math.sqrt(2.0))
    return TruncatedNormal(std=distribution.std / math.sqrt(2.0), cut=distribution.cut)


@dataclass(frozen=True)
class ComplexLaw:
    """w = x + i y, x and y independent, each from ``part``.

    Args:
      part: the law of the real part and of the imaginary part.

    Example:
      >>> law = complex_law(Uniform(bound=0.3))
      >>> round(law.variance, 12) == round(Uniform(bound=0.3).variance, 12)
      True
    """

    part: Distribution
    mean: float = 0.0

    @property
    def name(self) -> str:
        return f"complex_{self.part.name}"

    @property
    def variance(self) -> float:
        """E|w|^2 = 2 Var[x]: the target variance of the real law."""
        return 2.0 * self.part.variance

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)

    @property
    def bound(self) -> float:
        """The largest |w| possible: sqrt 2 times the part's bound (inf for the normal)."""
        return math.sqrt(2.0) * self.part.bound

    @property
    def part_bound(self) -> float:
        """The largest |x| (and |y|) possible."""
        return self.part.bound

    @property
    def fourth_moment(self) -> float:
        """E|w|^4 = E[(x^2 + y^2)^2] = 2 E[x^4] + 2 Var[x]^2, for the sampling error of |w|^2."""
        return 2.0 * self.part.fourth_moment + 2.0 * self.part.variance**2


def complex_law(distribution: Distribution) -> ComplexLaw:
    """The complex law whose E|w|^2 is ``distribution``'s variance (see the module docstring).

    Example:
      >>> complex_law(Normal(std=2.0)).part
      Normal(std=1.414213562373095)
    """
    return ComplexLaw(half_variance(distribution))
