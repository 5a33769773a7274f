"""The outbox: work for the central side (events, heartbeats, cashbox
collections, confirmations) delivered exactly once by key, with backoff.

An item is written to the journal in the same transaction as the step that
caused it, so nothing is lost across a crash. Delivery sends it with the
item's key as ``Idempotency-Key``: a retry after a lost answer is answered
by the central side with the first result and has no second effect. A
documented refusal (4xx) is final: the item is parked with its error for the
operator, never retried in a loop.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from daemon.central import CentralClient, CentralError, CentralRejected
from daemon.journal import Journal

__all__ = ["ENDPOINTS", "Outbox", "OutboxItem"]

logger = logging.getLogger(__name__)

#: kind → (method, path) at the central API
ENDPOINTS: dict[str, tuple[str, str]] = {
    "event": ("POST", "/v1/kiosk/events"),
    "heartbeat": ("POST", "/v1/kiosk/heartbeat"),
}
MAX_BACKOFF_S = 300.0


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class Outbox:
    def __init__(self, journal: Journal, central: CentralClient) -> None:
        self._journal = journal
        self._central = central

    @staticmethod
    def enqueue(db: sqlite3.Connection, kind: str, key: str, payload: dict[str, Any]) -> None:
        """Add an item inside the caller's journal transaction; a repeated key is a no-op."""
        if kind not in ENDPOINTS:
            raise ValueError(f"unknown outbox kind {kind!r}")
        now = time.time()
        db.execute("INSERT OR IGNORE INTO outbox (key, kind, payload, created_at, next_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   (key, kind, json.dumps(payload, sort_keys=True), now, now))

    def pending(self, now: float | None = None) -> list[OutboxItem]:
        rows = self._journal.query(
            "SELECT id, key, kind, payload, attempts FROM outbox "
            "WHERE delivered_at IS NULL AND parked_at IS NULL AND next_at <= ? ORDER BY id",
            (time.time() if now is None else now,))
        return [OutboxItem(r["id"], r["key"], r["kind"], json.loads(r["payload"]), r["attempts"])
                for r in rows]

    def depth(self) -> int:
        return int(self._journal.query(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL")[0][0])

    def parked(self) -> list[tuple[str, str]]:
        """Items the central side refused: (key, error), for the operator."""
        return [(r["key"], r["last_error"]) for r in self._journal.query(
            "SELECT key, last_error FROM outbox WHERE parked_at IS NOT NULL ORDER BY id")]

    def deliver_due(self, now: float | None = None) -> int:
        """Try every due item once; return how many were delivered. Stops at the
        first item the link fails on (the others would fail the same way)."""
        delivered = 0
        for item in self.pending(now):
            method, path = ENDPOINTS[item.kind]
            try:
                self._central.request(method, path, item.payload, idempotency_key=item.key,
                                      retries=0)
            except CentralRejected as exc:
                self._park(item, f"{exc.code}: {exc.message}")
                logger.error("outbox item %s (%s) refused by central: %s", item.key, item.kind,
                             exc.code)
                continue
            except CentralError as exc:
                self._retry_later(item, str(exc))
                break
            with self._journal.transaction() as db:
                db.execute("UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 "
                           "WHERE id = ?", (time.time(), item.id))
            delivered += 1
        return delivered

    def _retry_later(self, item: OutboxItem, error: str) -> None:
        delay = min(2.0 ** item.attempts, MAX_BACKOFF_S)
        with self._journal.transaction() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? "
                       "WHERE id = ?", (time.time() + delay, error, item.id))

    def _park(self, item: OutboxItem, error: str) -> None:
        with self._journal.transaction() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, parked_at = ?, last_error = ? "
                       "WHERE id = ?", (time.time(), error, item.id))
