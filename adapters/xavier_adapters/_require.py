"""Import a framework, or fail with the pip command that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``; if it is missing, raise ``ModuleNotFoundError`` naming the extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module.split(".")[0]:
            raise
        raise ModuleNotFoundError(
            f"xavier_adapters needs {module!r}, which is not installed; "
            f"install it with: pip install 'xavier-init[{extra}]'",
            name=error.name,
        ) from error
