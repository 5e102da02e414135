"""Progress bars for training: tqdm on stderr, silent when stderr is not a terminal."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What a harness may do with its bar (a ``tqdm`` bar satisfies it)."""

    disable: bool

    def update(self, n: float | None = 1) -> bool | None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...


def progress_bar(total: int, description: str) -> Progress:
    """A tqdm bar of ``total`` steps; ``disable=None`` keeps it quiet off a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="step", disable=None, dynamic_ncols=True,
                mininterval=0.5)
