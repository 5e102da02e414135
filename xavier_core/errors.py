"""The one error type of xavier-init."""

from __future__ import annotations

from typing import Any


class XavierError(ValueError):
    """Bad input to xavier-init.

    Every message names the argument, echoes the value and says what is allowed, e.g.
    ``gain must be a finite number >= 0, got gain=-1.0``. It subclasses ``ValueError`` so code
    that already catches the frameworks' own ``ValueError`` keeps working.
    """


def bad_argument(name: str, value: Any, allowed: str, hint: str = "") -> XavierError:
    """Build the standard message: ``{name} must be {allowed}, got {name}={value!r}``."""
    message = f"{name} must be {allowed}, got {name}={value!r}"
    return XavierError(f"{message}; {hint}" if hint else message)
