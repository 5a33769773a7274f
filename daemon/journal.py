"""The money journal: SQLite in WAL mode with ``synchronous=FULL``.

Every step that matters for money is written here *before* the next step is
taken and before the UI is told (ARCHITECTURE.md, invariant 2). The schema is
versioned: :data:`MIGRATIONS` is an append-only list, applied in order inside
one transaction each by the one migration runner (:mod:`protocol.migrations`),
and ``PRAGMA user_version`` records how far a database has come. A database
from a newer build is refused rather than guessed at.

Tables (schema v1):

- ``sessions``: one row per cardholder session.
- ``cash``: every train the acceptor produced (note stacked, unidentified).
- ``orders``: load and purchase orders with their idempotency keys and state.
- ``steps``: the append-only log of each order's journaled steps.
- ``outbox``: work for the central side, delivered exactly once by key.
- ``receipts``: every receipt, printed or waiting for a reprint.
- ``cashbox``: the cashbox counters (long and short, per denomination).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from protocol.migrations import SchemaTooNew, migrate

__all__ = ["MIGRATIONS", "Journal", "JournalError"]



class JournalError(Exception):
    """The journal cannot be used (newer schema, unwritable file)."""


MIGRATIONS: list[str] = [
    # v1
    """
    CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        card_no     TEXT,
        state       TEXT NOT NULL,
        started_at  REAL NOT NULL,
        ended_at    REAL
    );
    CREATE TABLE cash (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id  TEXT REFERENCES sessions(id),
        kind        TEXT NOT NULL CHECK (kind IN ('note', 'unidentified')),
        value_fen   INTEGER NOT NULL CHECK (value_fen >= 0),
        pulses      INTEGER NOT NULL,
        at          REAL NOT NULL
    );
    CREATE TABLE orders (
        id              TEXT PRIMARY KEY,
        session_id      TEXT REFERENCES sessions(id),
        kind            TEXT NOT NULL CHECK (kind IN ('load', 'purchase')),
        card_no         TEXT NOT NULL,
        amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
        idempotency_key TEXT NOT NULL UNIQUE,
        state           TEXT NOT NULL,
        central_ref     TEXT,
        created_at      REAL NOT NULL,
        updated_at      REAL NOT NULL
    );
    CREATE TABLE steps (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id  TEXT NOT NULL REFERENCES orders(id),
        step      TEXT NOT NULL,
        detail    TEXT NOT NULL,
        at        REAL NOT NULL
    );
    CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        key           TEXT NOT NULL UNIQUE,
        kind          TEXT NOT NULL,
        payload       TEXT NOT NULL,
        created_at    REAL NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_at       REAL NOT NULL,
        delivered_at  REAL,
        parked_at     REAL,
        last_error    TEXT
    );
    CREATE TABLE receipts (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  REAL NOT NULL,
        printed_at  REAL,
        last_error  TEXT
    );
    CREATE TABLE cashbox (
        counter     TEXT NOT NULL CHECK (counter IN ('long', 'short')),
        denomination TEXT NOT NULL,
        count       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (counter, denomination)
    );
    CREATE INDEX steps_by_order ON steps(order_id);
    CREATE INDEX orders_by_state ON orders(state);
    CREATE INDEX outbox_pending ON outbox(delivered_at, next_at);
    """,
    # v2: the cashbox counters as one document, written in the same transaction as
    # each note (v1's per-denomination table could not hold the collection time).
    """
    CREATE TABLE cashbox_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        counters    TEXT NOT NULL,
        updated_at  REAL NOT NULL
    );
    DROP TABLE cashbox;
    """,
    # v3: the card's application beside its serial, so a session's receipts and
    # vouchers print the number as the card does (a T-Union number is 19 digits).
    """
    ALTER TABLE sessions ADD COLUMN aid TEXT;
    """,
]


# SQLite's page cache for the one connection, in KiB (its default is 2,000). The
# cache filled over the first ~2,500 soak sessions and then held ~2 MB of
# kioskd's 60 MB budget; pages it drops are read again from the OS's file
# cache (docs/PERFORMANCE.md, "Bringing kioskd under 60 MB").
CACHE_KIB = 512


class Journal:
    """One SQLite connection, serialised by a lock; every write commits durably."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=10)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._closed = False
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(f"journal {self.path} cannot use WAL (got {mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._migrate()

    @property
    def schema_version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _migrate(self) -> None:
        try:
            with self._lock:
                migrate(self._db, MIGRATIONS, name=f"journal {self.path}")
        except SchemaTooNew as exc:
            raise JournalError(str(exc)) from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction (BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error)."""
        with self._lock:
            if self._closed:
                raise JournalError("journal is closed")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def add_step(self, db: sqlite3.Connection, order_id: str, step: str,
                 detail: dict[str, Any]) -> None:
        """Append one step of an order (inside the caller's transaction)."""
        db.execute("INSERT INTO steps (order_id, step, detail, at) VALUES (?, ?, ?, ?)",
                   (order_id, step, json.dumps(detail, sort_keys=True), time.time()))

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"schema v{self.schema_version}"
        return f"<Journal {self.path} {state}>"
