"""This kiosk's clock against the central side's: the skew, and whether money may move.

Every request to the central side is signed with this kiosk's Unix time, and
the central side refuses a timestamp more than :data:`MAX_SKEW_S` off its own
(``protocol.signing``, the one place the window is set). The central client
measures the skew from every answer that carries the server's clock — the
heartbeat's ``server_time`` and the ``details.server_time`` of a ``401
unauthorized`` — as ``server_time + 0.5 - (sent + received) / 2`` (the
server's whole second, against the middle of the round trip), and notes
whether the central side's last word on a signed request was a ``clock_skew``
refusal.

The clock is ``skewed`` when the last measurement is past the window or the
central side refused this kiosk's timestamp; then no money moves (the
sessions refuse with ``clock_skew``, the acceptor stays inhibited) until a
measurement is back within the window and the central side accepts again.
Before the first measurement it is ``unknown``, which refuses nothing: the
central side's own check still guards every request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from protocol.central import ServerClock
from protocol.local import Clock, ClockState
from protocol.signing import MAX_SKEW_S
from protocol.wire import Invalid, decode_reply

__all__ = ["MAX_SKEW_S", "ClockReading", "ClockSkew", "ClockState", "server_time_of"]


@dataclass(frozen=True)
class ClockReading:
    """The last measurement. ``skew_s`` is the central side's clock minus this
    kiosk's (positive: the kiosk is behind); ``refused``: the central side's last
    answer to a signed request refused its timestamp."""

    skew_s: float | None = None
    measured_at: float | None = None  # this kiosk's Unix time when measured
    refused: bool = False

    @property
    def state(self) -> ClockState:
        if self.refused or (self.skew_s is not None and abs(self.skew_s) > MAX_SKEW_S):
            return "skewed"
        return "unknown" if self.skew_s is None else "ok"

    def status(self) -> Clock:
        """As ``GET /v1/admin/status`` shows it."""
        return Clock(state=self.state, skew_s=self.skew_s, measured_at=self.measured_at,
                     refused=self.refused, window_s=MAX_SKEW_S)


def server_time_of(answer: object) -> int | None:
    """The ``server_time`` an answer (decoded JSON) carries, as the central side
    sends it (:class:`protocol.central.ServerClock`: Unix seconds, an integer), or
    None for anything else: a malformed answer measures nothing."""
    try:
        return decode_reply(ServerClock, answer).server_time
    except Invalid:
        return None


class ClockSkew:
    """The running measurement, shared by the central client (which feeds it) and
    the link loop (which acts on it); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading = ClockReading()

    @property
    def reading(self) -> ClockReading:
        with self._lock:
            return self._reading

    def measured(self, server_time: int, sent_at: float, received_at: float) -> ClockReading:
        """One answer carried ``server_time``; the request left at ``sent_at`` and the
        answer came at ``received_at`` (this kiosk's Unix times)."""
        skew = server_time + 0.5 - (sent_at + received_at) / 2
        with self._lock:
            self._reading = ClockReading(round(skew, 1), received_at, self._reading.refused)
            return self._reading

    def verdict(self, *, refused: bool) -> None:
        """The central side's word on a signed request's timestamp: refused as
        ``clock_skew``, or accepted."""
        with self._lock:
            old = self._reading
            self._reading = ClockReading(old.skew_s, old.measured_at, refused)
