"""The layout of an einsum weight, read from its equation.

A layer that computes ``einsum("<input>,<weight>-><output>", x, w)`` (Keras ``EinsumDense``, the
projections of ``MultiHeadAttention``, Flax ``Einsum``) gives each axis of its weight a role by
where the axis's letter appears:

    in both the input and the output  -> batch axis (an independent copy per index)
    in the input only                 -> in axis (summed into each output unit)
    in the output only                -> out axis

so ``fan_in`` = prod(in axes) and ``fan_out`` = prod(out axes). Example: the query projection of
Keras ``MultiHeadAttention``, ``"abc,cde->abde"`` with a ``(64, 4, 16)`` kernel, has fans
(64, 64), where the channels-last convention for a rank-3 weight would read (256, 1024).
"""

from __future__ import annotations

import numbers
import re

from xavier_core.errors import XavierError, bad_argument
from xavier_core.fans import Layout

_EQUATION = re.compile(r"^([a-zA-Z.]*),([a-zA-Z.]*)->([a-zA-Z.]*)$")
_SPEC = re.compile(r"^(\.\.\.)?[a-zA-Z]*(\.\.\.)?$")
_ALLOWED = "'<input>,<weight>-><output>' with letters and at most one '...' per term"


def _letters(term: str, equation: str) -> str:
    if not _SPEC.match(term) or term == "......":
        raise bad_argument("equation", equation, _ALLOWED)
    return term.replace("...", "")


def einsum_layout(equation: str, operand: int = 1) -> Layout:
    """The :class:`Layout` of operand ``operand`` (the weight) of a two-operand einsum.

    Axes whose letter appears in the other operand and the output are batch axes, in the other
    operand only in axes, in the output only out axes.

    Args:
      equation: ``"<input>,<weight>-><output>"``, e.g. ``"abc,cde->abde"``; spaces are ignored
        and the input and output may hold one ``...``; the weight may not.
      operand: which operand is the weight, 1 (the second, as in Keras ``EinsumDense``) or 0.

    Returns:
      ``Layout(in_axis, out_axis, batch_axis)`` with tuples of axes of the weight.

    Raises:
      XavierError: a malformed equation, a weight with ``...`` or a repeated letter, a weight
        letter found in neither the input nor the output, or ``operand`` not 0 or 1.

    Example:
      >>> layout = einsum_layout("abcd,cde->abe")    # Keras MultiHeadAttention output projection
      >>> layout.in_axis, layout.out_axis, layout.fans((4, 16, 64))
      ((0, 1), (2,), Fans(fan_in=64, fan_out=64))
    """
    if (not isinstance(operand, numbers.Integral) or isinstance(operand, bool)
            or operand not in (0, 1)):
        raise bad_argument("operand", operand, "0 or 1, the position of the weight")
    match = _EQUATION.match(equation.replace(" ", "")) if isinstance(equation, str) else None
    if match is None:
        raise bad_argument("equation", equation, _ALLOWED)
    weight = match.group(operand + 1)
    if not weight.isalpha() or len(set(weight)) != len(weight):
        raise bad_argument("equation", equation, "an einsum whose weight term is distinct "
                           "letters, without '...'", f"the weight term is {weight!r}")
    other = set(_letters(match.group(2 - operand), equation))
    output = set(_letters(match.group(3), equation))
    roles: dict[str, list[int]] = {"in": [], "out": [], "batch": []}
    for axis, letter in enumerate(weight):
        if letter in other and letter in output:
            roles["batch"].append(axis)
        elif letter in other:
            roles["in"].append(axis)
        elif letter in output:
            roles["out"].append(axis)
        else:
            raise XavierError(f"equation must give every weight axis a letter found in the "
                              f"input or the output, got equation={equation!r}, whose weight "
                              f"letter {letter!r} is in neither")
    return Layout(in_axis=tuple(roles["in"]), out_axis=tuple(roles["out"]),
                  batch_axis=tuple(roles["batch"]))
