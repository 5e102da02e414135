"""The namespace tests' signature check, shared by tests/{torch,jax,keras}/test_*_namespace.py."""

from __future__ import annotations

import inspect


def assert_compatible(ours: inspect.Signature, theirs: inspect.Signature, name: str) -> None:
    """Each of the framework's parameters in ours, same name, kind, position and default; ours
    may add keyword-only parameters with defaults."""
    mine = list(ours.parameters.values())
    for index, param in enumerate(theirs.parameters.values()):
        assert index < len(mine), f"got no parameter {param.name!r}, but should have it [{name}]"
        got = mine[index]
        assert (got.name, got.kind, got.default) == (param.name, param.kind, param.default), \
            f"got {got}, but should be {param} [{name}]"
    for extra in mine[len(theirs.parameters):]:
        assert extra.kind == inspect.Parameter.KEYWORD_ONLY and extra.default is not extra.empty, \
            f"got extra parameter {extra}, but should be keyword-only with a default [{name}]"
