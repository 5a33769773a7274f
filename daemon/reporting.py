"""What the kiosk tells the central side on its own: events (faults, maintenance,
receipts that failed, unidentified cash) through the outbox, exactly once by
event id, and a periodic heartbeat (best effort: the next one replaces it),
whose answer says whether a central maintenance window is on, when it ends and
when the next one starts (:mod:`daemon.maintwindow`). What else the kiosk
takes from the central side once a minute — the notices (:mod:`daemon.notices`),
the help document (:mod:`daemon.helpdesk`) — is fetched with each heartbeat.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, get_args

from daemon.central import CentralClient, CentralError
from daemon.journal import Journal
from daemon.maintwindow import CentralWindows
from daemon.outbox import Outbox
from protocol.central import EventBatch, EventKind, Heartbeat, KioskEvent
from protocol.wire import to_json

__all__ = ["EVENT_KINDS", "Reporter", "queue_event"]

logger = logging.getLogger(__name__)

EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
HEARTBEAT_S = 60.0


def queue_event(db: sqlite3.Connection, kind: str, data: dict[str, Any] | None = None) -> str:
    """Queue an event for the central side inside the caller's journal transaction (with
    the step it reports, e.g. a cashbox collection's reset); returns its id."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event_id = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:12]}"
    batch = EventBatch(events=[KioskEvent(
        event_id=event_id, kind=kind,
        occurred_at=datetime.now().astimezone().isoformat(), data=data or {})])
    Outbox.enqueue(db, "event", event_id, to_json(batch))
    return event_id


class Reporter:
    def __init__(self, journal: Journal, central: CentralClient, *, version: str,
                 snapshot: Callable[[], dict[str, Any]],
                 on_maintenance: Callable[[CentralWindows], None] | None = None,
                 with_heartbeat: Sequence[Callable[[CentralClient], None]] = ()) -> None:
        self._journal = journal
        self._central = central
        self.outbox = Outbox(journal, central)
        self._version = version
        self._snapshot = snapshot
        self._next_heartbeat = 0.0
        # Told of the central maintenance windows (daemon.sessions).
        self._on_maintenance = on_maintenance
        self._with_heartbeat = with_heartbeat  # each keeps what it had if its call fails

    def event(self, kind: str, data: dict[str, Any] | None = None) -> str:
        """Journal an event for the central side; returns its id."""
        with self._journal.transaction() as db:
            event_id = queue_event(db, kind, data)
        logger.info("event %s (%s) queued for the central side", event_id, kind)
        return event_id

    def tick(self, link_up: bool, now: float | None = None) -> None:
        """From the main loop: deliver what is due, and a heartbeat now and then."""
        if not link_up:
            # The first answer after an outage (or a refusal) is a heartbeat: its
            # server_time tells whether this kiosk's clock is back within the window.
            self._next_heartbeat = 0.0
            return
        self.outbox.deliver_due()
        now = time.monotonic() if now is None else now
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_S
            try:
                ack = self._central.request("POST", "/v1/kiosk/heartbeat", self._heartbeat())
            except CentralError as exc:
                logger.info("heartbeat not sent: %s", exc)
                return
            # The answer says whether a central maintenance window is on now, when
            # it ends and when the next one starts.
            windows = CentralWindows.from_ack(ack, time.monotonic())
            if self._on_maintenance is not None and windows is not None:
                self._on_maintenance(windows)
            for fetch in self._with_heartbeat:
                fetch(self._central)

    def _heartbeat(self) -> Heartbeat:
        snap = self._snapshot()
        return Heartbeat(software_version=self._version, state=snap["state"],
                         devices={k: str(v)[:64] for k, v in snap["devices"].items()},
                         cashbox_fen=int(snap["cashbox_fen"]),
                         queue_depth=self.outbox.depth())
