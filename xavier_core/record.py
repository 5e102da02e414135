"""What a model-level init did, parameter by parameter: one record type and one vocabulary for
every adapter (torch ``init_model``, Keras ``init_model``, JAX ``init_params``).

Every parameter and buffer of the model ends in exactly one state:

==============  =============================================================================
``drawn``       values drawn from the spec, with the fans of the record (per block if packed)
``zeroed``      set to zero by the bias policy
``filled``      set to a constant by the bias policy (``bias=0.1``)
``reset``       values written by the framework's own initializer (torch ``reset_parameters()``,
                a Keras layer's or a Flax module's own initializer)
``kept``        left as it was, on purpose: not a weight (norm scales, running statistics, a
                shared tensor already handled), or the caller asked
``unhandled``   left as it was because no rule knows it: the adapter warns with what to do, and
                ``strict=True`` raises before anything is written
==============  =============================================================================

A record says ``drawn``, ``zeroed``, ``filled`` or ``reset`` only when values were written.
``reason`` is a short phrase that the summary counts (``"normalization layer"``); ``note`` adds
detail (``"per gate (i, f, g, o)"``, ``"gain 1.414"``, what to do).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, SupportsIndex, overload

from xavier_core.distributions import Distribution
from xavier_core.errors import XavierError
from xavier_core.fans import Fans

State = Literal["drawn", "zeroed", "filled", "reset", "kept", "unhandled"]
STATES: tuple[str, ...] = ("drawn", "zeroed", "filled", "reset", "kept", "unhandled")
WRITTEN: tuple[str, ...] = ("drawn", "zeroed", "filled", "reset")
"""The states in which values were written."""

ROWS_SHOWN = 40
"""``str(report)`` shows at most this many rows (every unhandled one among them)."""


class UnhandledWarning(UserWarning):
    """Some parameters or buffers of a model were left as they were because no rule knows them."""


@dataclass(frozen=True)
class InitRecord:
    """One parameter or buffer: its name, layer type, shape, final state, and with which numbers.

    ``fans`` and ``distribution`` are set for ``drawn`` weights (per block for packed weights).
    """

    name: str
    layer: str
    shape: tuple[int, ...]
    state: State
    fans: Fans | None = None
    distribution: Distribution | None = None
    reason: str = ""
    note: str = ""

    @property
    def written(self) -> bool:
        """Were values written to this tensor?"""
        return self.state in WRITTEN

    def row(self) -> tuple[str, ...]:
        """The record as table cells."""
        dist = self.distribution
        spread = "" if dist is None else (
            f"bound {dist.bound:.4g}" if math.isfinite(dist.bound) else f"std {dist.std:.4g}")
        if dist is not None and dist.name == "truncated_normal":
            spread = f"std {dist.std:.4g}, |w|<={dist.bound:.4g}"
        fans = "" if self.fans is None else f"({self.fans.fan_in:g}, {self.fans.fan_out:g})"
        detail = "; ".join(filter(None, [self.reason, self.note]))
        return (self.name, self.layer, str(self.shape), self.state, fans,
                "" if dist is None else dist.name, spread, detail)


HEADER = ("parameter", "layer", "shape", "state", "fans (in, out)", "distribution", "spread",
          "reason")


class InitReport(tuple[InitRecord, ...]):
    """The records of one model-level init; ``print(report)`` shows a summary line and a table
    (long tables collapsed; ``report.table(full=True)`` has every row)."""

    def __new__(cls, records: Iterable[InitRecord] = ()) -> InitReport:
        return super().__new__(cls, tuple(records))

    def by_state(self, state: State) -> InitReport:
        """Only the records in ``state``."""
        if state not in STATES:
            raise XavierError(f"state must be one of {', '.join(STATES)}, got state={state!r}")
        return InitReport(r for r in self if r.state == state)

    @property
    def unhandled(self) -> InitReport:
        """The records no rule knew: what the warning lists."""
        return self.by_state("unhandled")

    @overload
    def __getitem__(self, key: str) -> InitRecord: ...
    @overload
    def __getitem__(self, key: SupportsIndex) -> InitRecord: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[InitRecord, ...]: ...

    def __getitem__(
        self, key: str | SupportsIndex | slice
    ) -> InitRecord | tuple[InitRecord, ...]:
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            raise KeyError(f"no parameter named {key!r} in this report")
        return super().__getitem__(key)

    def counts(self) -> dict[str, Counter[str]]:
        """``{state: Counter(reason)}`` over every record, states in :data:`STATES` order."""
        result: dict[str, Counter[str]] = {}
        for state in STATES:
            reasons = Counter(r.reason for r in self if r.state == state)
            if reasons:
                result[state] = reasons
        return result

    def summary(self) -> str:
        """One line: counts by state, and by reason within a state, e.g.
        ``161 tensors: 52 drawn, 53 zeroed, 56 kept (normalization layer 53, buffer 3)``."""
        parts = []
        for state, reasons in self.counts().items():
            named = [f"{reason} {n}" for reason, n in reasons.most_common() if reason]
            detail = f" ({', '.join(named)})" if named else ""
            parts.append(f"{sum(reasons.values())} {state}{detail}")
        if "unhandled" not in self.counts():
            parts.append("0 unhandled")
        return f"{len(self)} tensors: " + ", ".join(parts)

    def table(self, full: bool = False) -> str:
        """A plain-text table, one row per record; at most :data:`ROWS_SHOWN` rows unless
        ``full`` (every unhandled record is always shown)."""
        records: Sequence[InitRecord] = self
        hidden = 0
        if not full and len(self) > ROWS_SHOWN:
            unhandled = [r for r in self if r.state == "unhandled"]
            room = max(ROWS_SHOWN - len(unhandled), 0)
            others = [r for r in self if r.state != "unhandled"][:room]
            keep = {id(r) for r in [*unhandled, *others]}
            records = [r for r in self if id(r) in keep]
            hidden = len(self) - len(records)
        text = render_table(HEADER, [r.row() for r in records])
        if hidden:
            text += f"\n... {hidden} more rows: print(report.table(full=True)) shows every row"
        return text

    def __str__(self) -> str:
        return f"{self.summary()}\n{self.table()}"

    def warn_unhandled(self, what_to_do: str, stacklevel: int = 3) -> None:
        """Warn (:class:`UnhandledWarning`) with every unhandled record, if any, and what to do."""
        message = self.unhandled_message(what_to_do)
        if message:
            warnings.warn(message, UnhandledWarning, stacklevel=stacklevel)

    def unhandled_message(self, what_to_do: str) -> str:
        """The text of the warning (or of ``strict=True``'s error); empty when all is handled."""
        unhandled = self.unhandled
        if not unhandled:
            return ""
        lines = [f"{len(unhandled)} tensor(s) left as they were, no rule knows them:"]
        lines += [f"  {r.name} ({r.layer}, shape {r.shape}): "
                  f"{'; '.join(filter(None, [r.reason, r.note]))}" for r in unhandled]
        lines.append(what_to_do)
        return "\n".join(lines)


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
