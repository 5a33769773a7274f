"""What the acceptor tells its listener, and the listener base class.

Events are frozen dataclasses so they can be journaled and sent over the local
API as they are (``dataclasses.asdict``). Listener calls are fire-and-forget:
they run on the acceptor's own dispatch thread, in order, and an exception in
one is logged and never stops decoding (STYLE.md, mopidy's listener).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CashEvent",
    "CashListener",
    "Fault",
    "FaultKind",
    "InhibitChanged",
    "InhibitReason",
    "Noise",
    "NoteStacked",
    "UnrecognisedCash",
]


class FaultKind(enum.StrEnum):
    JAM = "jam"
    CASHBOX_REMOVED = "cashbox_removed"
    PULSE_LINE_STUCK = "pulse_line_stuck"


class InhibitReason(enum.StrEnum):
    """Why the inhibit line is in its state; ``ACCEPTING`` is the only open one."""

    NOT_READY = "not_ready"
    OFFLINE = "offline"
    FAULT = "fault"
    NO_SESSION = "no_session"
    DECODING = "decoding"
    HEADROOM = "headroom"
    CLOSED = "closed"
    ACCEPTING = "accepting"


@dataclass(frozen=True)
class NoteStacked:
    """A train matched the pulse table: this much cash is now in the cashbox.

    ``unsolicited`` is true when the train began while the acceptor was
    inhibited for a reason other than decoding (the acceptor ignored the line,
    or the note was already on its way): the cash is real and must be handled.
    """

    value_fen: int
    pulses: int
    widths_ms: tuple[float, ...]
    duration_ms: float
    unsolicited: bool = False


@dataclass(frozen=True)
class UnrecognisedCash:
    """A train that matches no pulse-table entry: cash of unknown value.

    Never dropped: it is counted as unidentified in the cashbox and raised to
    the operator. ``long_pulses`` counts pulses longer than the width window
    (any of them makes the train unrecognised rather than risk a wrong value).
    """

    pulses: int
    long_pulses: int
    widths_ms: tuple[float, ...]
    duration_ms: float
    unsolicited: bool = False


@dataclass(frozen=True)
class Noise:
    """A spike shorter than the width window; not counted as a pulse.

    On a line that sparks continuously the acceptor reports at most a few
    spikes a second; ``suppressed_before`` counts the spikes it did not report
    since the previous :class:`Noise` event, so none goes uncounted.
    """

    width_ms: float
    suppressed_before: int = 0


@dataclass(frozen=True)
class Fault:
    """A fault input changed (``active`` true: the fault is present)."""

    kind: FaultKind
    active: bool


@dataclass(frozen=True)
class InhibitChanged:
    """The inhibit output changed; ``reason`` says which rule decided it."""

    inhibited: bool
    reason: InhibitReason


CashEvent = NoteStacked | UnrecognisedCash | Noise | Fault | InhibitChanged


class CashListener:
    """Receives the acceptor's events. Subclass and override what you need.

    Every method is optional (the defaults do nothing). Calls come from one
    dispatch thread, in the order the events happened; keep them short (journal
    the note, notify the session) and never block on the acceptor itself.
    """

    def on_note_stacked(self, event: NoteStacked) -> None:
        """Cash of a known value reached the cashbox."""

    def on_unrecognised(self, event: UnrecognisedCash) -> None:
        """Cash of unknown value reached the cashbox; tell the operator."""

    def on_noise(self, event: Noise) -> None:
        """A spike on the pulse line was ignored."""

    def on_fault(self, event: Fault) -> None:
        """A jam or a removed cashbox appeared or cleared."""

    def on_inhibit_changed(self, event: InhibitChanged) -> None:
        """The acceptor was opened for cash or closed to it."""
