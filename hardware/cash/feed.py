"""A :class:`~hardware.cash.decoder.PulseDecoder` fed from pin callbacks that may
arrive late.

Widths and gaps are measured on the edges' own timestamps only (lgpio's come
from the kernel; gpiozero's ``MockPin`` stamps the change, the simulator's
``ScriptedMockPin`` the time its script meant). The caller's wall clock
(``time.monotonic()``) answers one question only: has the line been quiet long
enough to end a pulse or a train? A callback held up on a busy machine would
prove a hasty "yes" wrong — the edge happened in time, its callback came late —
so wall time decides only with a margin for that latency
(docs/cash-acceptor.md, "Late callbacks"):

    After the last callback, which brought an edge stamped ``t`` at wall time
    ``w``, the line is known to have been quiet up to edge time
    ``t + (now - w) - margin``.

So a gap is declared from wall time only once the delay since the last
callback exceeds the gap plus ``margin``; the next edge's own timestamp ends a
train at once (:meth:`PulseDecoder.edge`). Every note decodes as long as no
callback comes more than ``margin`` later than the one before it would have,
had both been on time.
"""

from __future__ import annotations

from hardware.cash.decoder import PulseDecoder
from hardware.cash.events import CashEvent

__all__ = ["CALLBACK_MARGIN_S", "EdgeFeed"]

#: How late a pin callback may come (a machine busy printing, drawing and talking
#: to the central side); the end of a train waits this much longer.
CALLBACK_MARGIN_S = 0.5


class EdgeFeed:
    """Edges with their timestamps and the wall time they arrived in; polls in wall
    time. Pure and single-threaded, like the decoder (the caller holds a lock)."""

    def __init__(self, decoder: PulseDecoder, *, margin_s: float = CALLBACK_MARGIN_S) -> None:
        if margin_s < 0:
            raise ValueError("the callback margin cannot be negative")
        self.decoder = decoder
        self.margin_s = margin_s
        self._last: tuple[float, float] | None = None  # (edge time, wall time it arrived)
        self._decided_to = float("-inf")  # edge time up to which polls have decided
        self.late_edges = 0  # edges that came after wall time had decided past them

    def edge(self, t: float, active: bool, received: float) -> list[CashEvent]:
        """The line changed to ``active`` at edge time ``t``; its callback ran at wall
        time ``received``."""
        if t < self._decided_to:
            self.late_edges += 1  # later than the margin allows: it may split a train
        self._last = (t, received)
        return self.decoder.edge(t, active)

    def settled(self, now: float) -> float | None:
        """The edge time up to which no edge can still arrive, at wall time ``now``."""
        if self._last is None:
            return None
        t, received = self._last
        return t + (now - received) - self.margin_s

    def next_poll(self) -> float | None:
        """The wall time at which :meth:`poll` can decide something, or None."""
        deadline = self.decoder.deadline()
        if deadline is None or self._last is None:
            return None
        t, received = self._last
        return received + (deadline - t) + self.margin_s

    def poll(self, now: float) -> list[CashEvent]:
        """Let the decoder close what the passing of time has decided by wall time ``now``."""
        settled = self.settled(now)
        if settled is None:
            return []
        due = self.next_poll()
        deadline = self.decoder.deadline()
        if due is not None and deadline is not None and now >= due:
            settled = max(settled, deadline)  # float rounding must not stall the timer
        self._decided_to = max(self._decided_to, settled)
        return self.decoder.poll(settled)

    def flush(self, now: float) -> list[CashEvent]:
        """End everything open (shutdown) at the edge time wall time ``now`` maps to."""
        if self._last is None:
            return self.decoder.flush(float("-inf"))
        t, received = self._last
        return self.decoder.flush(t + (now - received))
