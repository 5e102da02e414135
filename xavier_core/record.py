"""What a layer-aware init did, parameter by parameter: one record type for every adapter."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from xavier_core.distributions import Distribution
from xavier_core.fans import Fans

Action = Literal["initialized", "zeroed", "skipped", "kept"]


@dataclass(frozen=True)
class InitRecord:
    """One parameter: its name, layer type, shape, what was done, and with which numbers.

    ``fans`` and ``distribution`` are set for initialized weights (per block for packed
    weights); ``note`` says why a parameter was skipped or how its fans were read.
    """

    name: str
    layer: str
    shape: tuple[int, ...]
    action: Action
    fans: Fans | None = None
    distribution: Distribution | None = None
    note: str = ""

    def row(self) -> tuple[str, ...]:
        """The record as table cells."""
        dist = self.distribution
        spread = "" if dist is None else (
            f"bound {dist.bound:.4g}" if math.isfinite(dist.bound) else f"std {dist.std:.4g}")
        if dist is not None and dist.name == "truncated_normal":
            spread = f"std {dist.std:.4g}, |w|<={dist.bound:.4g}"
        fans = "" if self.fans is None else f"({self.fans.fan_in}, {self.fans.fan_out})"
        return (self.name, self.layer, str(self.shape), self.action, fans,
                "" if dist is None else dist.name, spread, self.note)


HEADER = ("parameter", "layer", "shape", "action", "fans (in, out)", "distribution", "spread",
          "note")


class InitReport(tuple[InitRecord, ...]):
    """The records of one ``init_model`` call; ``print(report)`` shows them as a table."""

    def __new__(cls, records: Iterable[InitRecord] = ()) -> InitReport:
        return super().__new__(cls, tuple(records))

    def by_action(self, action: Action) -> InitReport:
        """Only the records whose action is ``action``."""
        return InitReport(r for r in self if r.action == action)

    def __getitem__(self, key):  # type: ignore[no-untyped-def,override]
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            raise KeyError(f"no parameter named {key!r} in this report")
        return super().__getitem__(key)

    def table(self) -> str:
        """A plain-text table, one row per parameter."""
        return render_table(HEADER, [r.row() for r in self])

    def __str__(self) -> str:
        return self.table()


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
