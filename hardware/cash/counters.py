"""Cashbox counters: what is in the box now, and what went through since install.

The acceptor updates them as notes stack; the daemon persists them through
:meth:`CashboxCounters.to_dict` in its journal and restores them with
:meth:`CashboxCounters.from_dict` at start-up. Counts only — values in fen are
derived, never stored separately, so the two can never disagree.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["CashboxCounters", "Collection", "CounterSet"]


@dataclass
class CounterSet:
    """Counts per denomination (fen → notes/coins) plus unidentified trains."""

    notes: Counter[int] = field(default_factory=Counter)
    unidentified: int = 0
    # raw pulse count → occurrences, so the operator can see what arrived
    unidentified_pulses: Counter[int] = field(default_factory=Counter)

    @property
    def total_fen(self) -> int:
        """The identified value; unidentified cash has no known value."""
        return sum(value * count for value, count in self.notes.items())

    @property
    def pieces(self) -> int:
        return sum(self.notes.values()) + self.unidentified

    def copy(self) -> CounterSet:
        return CounterSet(Counter(self.notes), self.unidentified, Counter(self.unidentified_pulses))

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": {str(v): n for v, n in sorted(self.notes.items()) if n},
            "unidentified": self.unidentified,
            "unidentified_pulses": {
                str(p): n for p, n in sorted(self.unidentified_pulses.items()) if n
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CounterSet:
        return cls(
            Counter({int(v): int(n) for v, n in data.get("notes", {}).items()}),
            int(data.get("unidentified", 0)),
            Counter({int(p): int(n) for p, n in data.get("unidentified_pulses", {}).items()}),
        )


@dataclass(frozen=True)
class Collection:
    """What a collection took out: the short counters at that moment."""

    collected_at: datetime
    previous_collection_at: datetime | None
    contents: CounterSet


class CashboxCounters:
    """Long counters (since install) and short ones (since the last collection)."""

    def __init__(
        self,
        *,
        long: CounterSet | None = None,
        short: CounterSet | None = None,
        last_collection_at: datetime | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._long = long or CounterSet()
        self._short = short or CounterSet()
        self.last_collection_at = last_collection_at

    def record_note(self, value_fen: int) -> None:
        with self._lock:
            self._long.notes[value_fen] += 1
            self._short.notes[value_fen] += 1

    def record_unidentified(self, pulses: int) -> None:
        with self._lock:
            for counters in (self._long, self._short):
                counters.unidentified += 1
                counters.unidentified_pulses[pulses] += 1

    @property
    def long(self) -> CounterSet:
        """A copy of the since-install counters."""
        with self._lock:
            return self._long.copy()

    @property
    def short(self) -> CounterSet:
        """A copy of the since-last-collection counters (what is in the box)."""
        with self._lock:
            return self._short.copy()

    def collect(self, at: datetime) -> Collection:
        """The box was emptied at ``at``: return its contents, reset the short counters."""
        with self._lock:
            taken = Collection(at, self.last_collection_at, self._short)
            self._short = CounterSet()
            self.last_collection_at = at
            return taken

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "long": self._long.to_dict(),
                "short": self._short.to_dict(),
                "last_collection_at": (
                    self.last_collection_at.isoformat() if self.last_collection_at else None
                ),
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CashboxCounters:
        last = data.get("last_collection_at")
        return cls(
            long=CounterSet.from_dict(data.get("long", {})),
            short=CounterSet.from_dict(data.get("short", {})),
            last_collection_at=datetime.fromisoformat(last) if last else None,
        )

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"<CashboxCounters short={self._short.pieces} pieces/{self._short.total_fen} fen "
                f"long={self._long.pieces} pieces/{self._long.total_fen} fen>"
            )
