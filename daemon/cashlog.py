"""Cash as the daemon records it: every note journaled before anything else.

:class:`CashRecorder` is the acceptor's listener. A stacked note or an
unrecognised train is written to the journal's ``cash`` table (with the
session it belongs to, or none) in the listener call itself, then published
on the event bus, so cash in can always be reconciled against credited +
pending + unidentified. Top-up sessions (issue 6) attach to it through
``session_id``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from daemon.events import EventBus
from daemon.journal import Journal
from hardware.cash import (
    CashListener,
    Fault,
    InhibitChanged,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)

__all__ = ["CashRecorder"]

logger = logging.getLogger(__name__)


class CashRecorder(CashListener):
    """Journals and publishes what the acceptor reports."""

    def __init__(self, journal: Journal, bus: EventBus, *,
                 save_counters: Callable[[Any], None] | None = None,
                 report: Callable[[str, dict[str, Any]], object] | None = None) -> None:
        """``save_counters`` writes the cashbox counters in each note's own transaction
        (:meth:`daemon.cashbox.Cashbox.save`); ``report`` queues an event for the
        central side (:meth:`daemon.reporting.Reporter.event`)."""
        self._journal = journal
        self._bus = bus
        self._lock = threading.Lock()
        self._save_counters = save_counters
        self._report_to = report
        self.session_id: str | None = None
        # Told (with the session id) after a note or unrecognised train is journaled.
        self.on_cash: Callable[[str | None], None] | None = None
        self.inhibited = True
        self.inhibit_reason = "not_ready"

    def _record(self, kind: str, value_fen: int, pulses: int) -> int:
        session_id = self.session_id
        with self._journal.transaction() as db:
            cur = db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (session_id, kind, value_fen, pulses, time.time()))
            row = int(cur.lastrowid or 0)
            if self._save_counters is not None:
                self._save_counters(db)
        if self.on_cash is not None:
            try:
                self.on_cash(session_id)
            except Exception:
                logger.exception("cash listener failed after journal row %d", row)
        return row

    def on_note_stacked(self, event: NoteStacked) -> None:
        row = self._record("note", event.value_fen, event.pulses)
        logger.info("note stacked: %d fen (%d pulses%s), journal row %d", event.value_fen,
                    event.pulses, ", unsolicited" if event.unsolicited else "", row)
        self._publish("note", {"value_fen": event.value_fen, "pulses": event.pulses,
                               "unsolicited": event.unsolicited, "journal_id": row})

    def on_unrecognised(self, event: UnrecognisedCash) -> None:
        row = self._record("unidentified", 0, event.pulses)
        logger.warning("unrecognised cash: %d pulses (%d too long), journal row %d",
                       event.pulses, event.long_pulses, row)
        self._publish("unidentified", {"pulses": event.pulses, "journal_id": row,
                                       "widths_ms": list(event.widths_ms)})
        self._report("other", {"what": "unidentified_cash", "pulses": event.pulses,
                               "journal_id": row})

    def on_noise(self, event: Noise) -> None:
        logger.debug("noise on the pulse line: %s", event)

    def on_fault(self, event: Fault) -> None:
        logger.warning("cash acceptor fault: %s", event)
        self._publish("fault", _plain(event))
        self._report("fault" if event.active else "fault_cleared",
                     {"device": "cash", **_plain(event)})

    def on_inhibit_changed(self, event: InhibitChanged) -> None:
        self.inhibited = event.inhibited
        self.inhibit_reason = str(event.reason)  # hardware.cash.acceptor logs the change

    def _report(self, kind: str, data: dict[str, Any]) -> None:
        if self._report_to is not None:
            try:
                self._report_to(kind, data)
            except Exception:
                logger.exception("could not queue the %s event", kind)

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        self._bus.publish("cash", {"kind": kind, **data})

    def inserted_since(self, row_id: int) -> list[dict[str, Any]]:
        """Journal rows after ``row_id`` (for ``kioskctl sim insert``)."""
        rows = self._journal.query("SELECT id, session_id, kind, value_fen, pulses, at FROM cash"
                                   " WHERE id > ? ORDER BY id", (row_id,))
        return [dict(r) for r in rows]

    def last_row(self) -> int:
        rows = self._journal.query("SELECT COALESCE(MAX(id), 0) AS last FROM cash")
        return int(rows[0]["last"])


def _plain(event: Any) -> dict[str, Any]:
    return {k: (str(v) if not isinstance(v, (int, float, bool, str, type(None))) else v)
            for k, v in asdict(event).items()}
