"""Pulse-train decoding: edges with timestamps in, cash events out.

Pure and single-threaded: the caller passes every edge of the pulse line and
calls :meth:`PulseDecoder.poll` when :meth:`PulseDecoder.deadline` comes. All
times are in seconds on the *edge* clock, the one the edges' timestamps come
in: widths and gaps are differences of timestamps, never of the moments their
callbacks ran. When wall time may poll, and with which edge time, is
:mod:`hardware.cash.feed`'s business. The acceptor drives it from gpiozero
callbacks; tests drive it directly with tables of edges.

The rules (docs/cash-acceptor.md):

* A *dip* (the line inactive for less than half the minimum pulse width) inside
  a pulse is contact bounce: the pulse continues.
* A pulse shorter than ``pulse_min_ms`` is a spike: reported as
  :class:`Noise`, not counted, and it neither starts nor extends a train.
* A pulse longer than ``pulse_max_ms`` is counted as a *long* pulse: the train
  it belongs to is unrecognised, whatever its count (never guess a value).
* A train ends once the line has been quiet for ``train_gap_ms`` after its last
  pulse — shown by a poll, or by the next edge's timestamp; only then is the
  value looked up in the pulse table.
* A line held active for longer than ``pulse_max_ms + train_gap_ms`` is
  reported as a stuck line (a fault); the long pulse still ends its train.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hardware.cash.errors import CashConfigError
from hardware.cash.events import (
    CashEvent,
    Fault,
    FaultKind,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)

__all__ = ["PulseDecoder", "PulseTable", "PulseTiming"]


@dataclass(frozen=True)
class PulseTiming:
    """The width window and quiet gap, in milliseconds."""

    pulse_min_ms: float = 20
    pulse_max_ms: float = 200
    train_gap_ms: float = 300

    def __post_init__(self) -> None:
        if not 0 < self.pulse_min_ms < self.pulse_max_ms:
            raise CashConfigError(
                f"pulse_min_ms ({self.pulse_min_ms}) must be above 0 and below "
                f"pulse_max_ms ({self.pulse_max_ms})"
            )
        if self.train_gap_ms <= self.dip_ms:
            raise CashConfigError(f"train_gap_ms ({self.train_gap_ms}) is too short")

    @property
    def dip_ms(self) -> float:
        """Inactive stretches shorter than this inside a pulse are bounce."""
        return self.pulse_min_ms / 2


class PulseTable:
    """Pulse count → value in fen, from the config's ``{"count": fen}`` table."""

    def __init__(self, table: Mapping[str, int] | Mapping[int, int]) -> None:
        values: dict[int, int] = {}
        for count, fen in table.items():
            n = int(count)
            if n < 1 or fen <= 0:
                raise CashConfigError(f"pulse table entry {count!r}: {fen!r} is not usable")
            values[n] = int(fen)
        if not values:
            raise CashConfigError("the pulse table is empty")
        if len(set(values.values())) != len(values):
            raise CashConfigError("two pulse counts map to the same value")
        self._by_count = values
        self._by_value = {fen: n for n, fen in values.items()}

    def value_for(self, pulses: int) -> int | None:
        return self._by_count.get(pulses)

    def pulses_for(self, value_fen: int) -> int:
        try:
            return self._by_value[value_fen]
        except KeyError:
            raise CashConfigError(
                f"no pulse count gives {value_fen} fen; known: {sorted(self._by_value)}"
            ) from None

    @property
    def denominations(self) -> tuple[int, ...]:
        """Values in fen, smallest first."""
        return tuple(sorted(self._by_value))

    def __repr__(self) -> str:
        return f"PulseTable({dict(sorted(self._by_count.items()))})"


class PulseDecoder:
    """Turns edges into :class:`NoteStacked`, :class:`UnrecognisedCash`,
    :class:`Noise` and stuck-line :class:`Fault` events."""

    def __init__(self, timing: PulseTiming, table: PulseTable) -> None:
        self.timing = timing
        self.table = table
        self._min = timing.pulse_min_ms / 1000
        self._max = timing.pulse_max_ms / 1000
        self._gap = timing.train_gap_ms / 1000
        self._dip = timing.dip_ms / 1000
        self._pulse_start: float | None = None  # line active since
        self._pending_end: float | None = None  # line inactive since (maybe a dip)
        self._widths: list[float] = []  # counted and long pulses of the open train
        self._train_start = 0.0
        self._last_end = 0.0
        self._stuck = False
        self._last_edge = float("-inf")

    # -- inputs ---------------------------------------------------------

    def edge(self, t: float, active: bool) -> list[CashEvent]:
        """The line changed to ``active`` at ``t``. Repeated levels are ignored.

        The edge's timestamp first decides what the quiet before it decided (a
        pulse after a dip, the end of a train), whether or not a poll came first.
        """
        # Edge timestamps never run back; should one, it counts as simultaneous.
        t = self._last_edge = max(t, self._last_edge)
        events = self.poll(t)
        if active:
            if self._pending_end is not None:
                if t - self._pending_end < self._dip:
                    self._pending_end = None  # bounce inside a pulse
                    return events
                events += self._finish_pulse()
            if self._pulse_start is None:
                self._pulse_start = t
        elif self._pulse_start is not None and self._pending_end is None:
            self._pending_end = t
        return events

    def poll(self, now: float) -> list[CashEvent]:
        """Close whatever the passing of time has decided by ``now``."""
        # Compare with the same sums deadline() returns, so that polling at a
        # deadline always makes progress (a - b >= c is not a >= b + c in floats).
        # A poll never moves the edge clock: a later edge stamped before ``now``
        # still counts at its own time.
        events: list[CashEvent] = []
        if self._pending_end is not None and now >= self._pending_end + self._dip:
            events += self._finish_pulse()
        if (
            self._pulse_start is not None
            and self._pending_end is None
            and not self._stuck
            and now >= self._pulse_start + self._max + self._gap
        ):
            self._stuck = True
            events.append(Fault(FaultKind.PULSE_LINE_STUCK, True))
        if self._widths and self._pulse_start is None and now >= self._last_end + self._gap:
            events.append(self._finish_train())
        return events

    def flush(self, now: float) -> list[CashEvent]:
        """End everything open at ``now`` (shutdown): a pulse still active ends
        here, and the open train is reported, so no cash goes unreported."""
        now = max(now, self._last_edge)
        if self._pulse_start is not None and self._pending_end is None:
            self._pending_end = now
        events = self._finish_pulse() if self._pending_end is not None else []
        if self._widths:
            events.append(self._finish_train())
        return events

    # -- state ----------------------------------------------------------

    def deadline(self) -> float | None:
        """When :meth:`poll` should next run, or ``None`` when idle."""
        times: list[float] = []
        if self._pending_end is not None:
            times.append(self._pending_end + self._dip)
        elif self._pulse_start is not None and not self._stuck:
            times.append(self._pulse_start + self._max + self._gap)
        if self._widths and self._pulse_start is None:
            times.append(self._last_end + self._gap)
        return min(times) if times else None

    @property
    def busy(self) -> bool:
        """A pulse or a train is in progress (the acceptor stays inhibited)."""
        return self._pulse_start is not None or bool(self._widths)

    @property
    def line_active(self) -> bool:
        return self._pulse_start is not None and self._pending_end is None

    @property
    def pulses_so_far(self) -> int:
        return len(self._widths)

    # -- helpers --------------------------------------------------------

    def _finish_pulse(self) -> list[CashEvent]:
        assert self._pulse_start is not None and self._pending_end is not None
        start, end = self._pulse_start, self._pending_end
        self._pulse_start = self._pending_end = None
        events: list[CashEvent] = []
        if self._stuck:
            self._stuck = False
            events.append(Fault(FaultKind.PULSE_LINE_STUCK, False))
        # Round to the microsecond: edges are never timed better than that, and
        # a pulse of exactly pulse_min_ms must not fail on float error.
        width = round(end - start, 6)
        if width < self._min:
            events.append(Noise(width_ms=_ms(width)))
            return events
        if not self._widths:
            self._train_start = start
        self._widths.append(width)
        self._last_end = end
        return events

    def _finish_train(self) -> CashEvent:
        widths = tuple(_ms(w) for w in self._widths)
        long_pulses = sum(1 for w in self._widths if w > self._max)  # already rounded
        count = len(self._widths) - long_pulses
        duration = _ms(self._last_end - self._train_start)
        self._widths = []
        value = self.table.value_for(count) if long_pulses == 0 else None
        if value is None:
            return UnrecognisedCash(
                pulses=count, long_pulses=long_pulses, widths_ms=widths, duration_ms=duration
            )
        return NoteStacked(value_fen=value, pulses=count, widths_ms=widths, duration_ms=duration)

    def __repr__(self) -> str:
        state = "active" if self.line_active else ("train" if self.busy else "idle")
        return f"<PulseDecoder {state} pulses={self.pulses_so_far} {self.table!r}>"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
