"""The central database: schema, versioned migrations and a small connection pool.

SQLite in WAL mode with ``synchronous=FULL`` (a confirmed load is durable
before its answer leaves). Migrations are an append-only list recorded in
``PRAGMA user_version``, applied by the one runner (:mod:`protocol.migrations`);
a database from a newer build is refused.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from protocol import migrations

__all__ = ["MIGRATIONS", "Pool", "connect", "migrate", "transaction"]


MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE kiosks (
        kiosk_id    TEXT PRIMARY KEY,
        secret      BLOB NOT NULL,
        created_at  INTEGER NOT NULL,
        last_seen_at INTEGER,
        last_status TEXT
    );
    CREATE TABLE nonces (
        kiosk_id TEXT NOT NULL,
        nonce    TEXT NOT NULL,
        seen_at  INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, nonce)
    ) WITHOUT ROWID;
    CREATE INDEX nonces_seen ON nonces (seen_at);
    CREATE TABLE cards (
        card_no      TEXT PRIMARY KEY,
        aid          TEXT NOT NULL,
        card_type    TEXT NOT NULL,
        holder_name  TEXT NOT NULL,
        id_last6     TEXT NOT NULL,
        valid_from   TEXT NOT NULL,
        valid_until  TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('active','lost','blacklisted','expired')),
        points       INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
        pin_hash     BLOB,
        pin_salt     BLOB,
        pin_failures INTEGER NOT NULL DEFAULT 0,
        pin_locked_until INTEGER,
        lost_at      INTEGER,
        loss_report_no TEXT
    );
    CREATE TABLE transactions (
        id            INTEGER PRIMARY KEY,
        card_no       TEXT NOT NULL,
        occurred_at   INTEGER NOT NULL,
        kind          TEXT NOT NULL,
        amount_fen    INTEGER NOT NULL,
        balance_after_fen INTEGER,
        fare_fen      INTEGER,
        ride_discount_fen INTEGER,
        transfer_discount_fen INTEGER,
        mode          TEXT,
        line          TEXT,
        station       TEXT,
        merchant      TEXT,
        points_delta  INTEGER NOT NULL DEFAULT 0,
        terminal_id   TEXT,
        order_id      TEXT
    );
    CREATE INDEX transactions_card_time ON transactions (card_no, occurred_at DESC, id DESC);
    CREATE TABLE orders (
        order_id     TEXT PRIMARY KEY,
        kind         TEXT NOT NULL CHECK (kind IN ('load','purchase')),
        source       TEXT NOT NULL,
        card_no      TEXT NOT NULL,
        amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
        terminal_id  TEXT NOT NULL,
        kiosk_id     TEXT NOT NULL,
        status       TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        bill_id      TEXT,
        points_used  INTEGER NOT NULL DEFAULT 0,
        balance_before_fen INTEGER,
        counter      INTEGER,
        card_random  TEXT,
        host_date    TEXT,
        host_time    TEXT,
        terminal_seq INTEGER,
        mac2         TEXT,
        tac          TEXT,
        confirmed_by TEXT
    );
    CREATE INDEX orders_card ON orders (card_no, status);
    CREATE TABLE idempotency (
        kiosk_id     TEXT NOT NULL,
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status       INTEGER NOT NULL,
        response     TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE bills (
        bill_id      TEXT PRIMARY KEY,
        utility      TEXT NOT NULL CHECK (utility IN ('water','electricity','gas')),
        account_no   TEXT NOT NULL,
        payee        TEXT NOT NULL,
        payee_zh     TEXT NOT NULL,
        holder_name  TEXT NOT NULL,
        period       TEXT NOT NULL,
        amount_due_fen INTEGER NOT NULL CHECK (amount_due_fen > 0),
        due_date     TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('unpaid','paid')),
        paid_at      INTEGER,
        paid_order_id TEXT
    );
    CREATE INDEX bills_account ON bills (utility, account_no, status);
    CREATE TABLE notices (
        notice_id  INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('announcement','maintenance')),
        title      TEXT NOT NULL,
        title_zh   TEXT NOT NULL,
        body       TEXT NOT NULL,
        body_zh    TEXT NOT NULL,
        starts_at  INTEGER NOT NULL,
        ends_at    INTEGER NOT NULL
    );
    CREATE TABLE feedback (
        ticket_no  TEXT PRIMARY KEY,
        kiosk_id   TEXT NOT NULL,
        category   TEXT NOT NULL,
        text       TEXT NOT NULL,
        phone      TEXT,
        card_no    TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE kiosk_events (
        kiosk_id    TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        kind        TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        data        TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, event_id)
    ) WITHOUT ROWID;
    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    """,
    # 2: wrong answers to a card's secrets (payment password, holder's ID) in one table,
    # keyed by card number so unknown numbers are counted like cards (central/routes/lockout.py)
    """
    CREATE TABLE secret_tries (
        card_no      TEXT NOT NULL,
        secret       TEXT NOT NULL CHECK (secret IN ('pin','identity')),
        failures     INTEGER NOT NULL CHECK (failures >= 0),
        locked_until INTEGER,
        PRIMARY KEY (card_no, secret)
    ) WITHOUT ROWID;
    INSERT INTO secret_tries (card_no, secret, failures, locked_until)
        SELECT card_no, 'pin', pin_failures, pin_locked_until FROM cards
        WHERE pin_failures > 0 OR pin_locked_until IS NOT NULL;
    ALTER TABLE cards DROP COLUMN pin_failures;
    ALTER TABLE cards DROP COLUMN pin_locked_until;
    """,
    # 3: risk monitoring (central/risk/): what the rules count, what they raised, and
    # the audit trail of what they did to cards
    """
    CREATE TABLE risk_events (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        card_no     TEXT NOT NULL,
        kiosk_id    TEXT NOT NULL,
        amount_fen  INTEGER NOT NULL DEFAULT 0,
        at          INTEGER NOT NULL
    );
    CREATE INDEX risk_events_card ON risk_events (card_no, kind, at);
    CREATE INDEX risk_events_at ON risk_events (at);
    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY,
        rule            TEXT NOT NULL,
        severity        TEXT NOT NULL CHECK (severity IN ('medium','high')),
        subject_kind    TEXT NOT NULL CHECK (subject_kind IN ('card','kiosk')),
        subject         TEXT NOT NULL,
        kiosk_id        TEXT NOT NULL,
        first_at        INTEGER NOT NULL,
        last_at         INTEGER NOT NULL,
        hits            INTEGER NOT NULL CHECK (hits >= 1),
        details         TEXT NOT NULL,
        card_blacklisted INTEGER NOT NULL DEFAULT 0,
        acknowledged_at INTEGER
    );
    CREATE INDEX alerts_rule_subject ON alerts (rule, subject, last_at);
    CREATE TABLE audit_events (
        id       INTEGER PRIMARY KEY,
        at       INTEGER NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        subject  TEXT NOT NULL,
        details  TEXT NOT NULL
    );
    """,
    # 4: the loss-report lifecycle (central/routes/lifecycle.py): a replacement card for a
    # lost one and the balance moved to it after the hold; what happened to a card, as
    # audit events; why a card is blacklisted and what its overdraft owes
    # (central/routes/overdraft.py)
    """
    CREATE TABLE replacements (
        old_card_no  TEXT PRIMARY KEY,
        new_card_no  TEXT NOT NULL UNIQUE,
        recorded_at  INTEGER NOT NULL,
        confirmed_balance_fen INTEGER NOT NULL CHECK (confirmed_balance_fen >= 0),
        confirmed_tx_id INTEGER NOT NULL,
        transferred_fen INTEGER NOT NULL DEFAULT 0 CHECK (transferred_fen >= 0)
    );
    CREATE TABLE card_events (
        id          INTEGER PRIMARY KEY,
        card_no     TEXT NOT NULL,
        kind        TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        detail      TEXT NOT NULL
    );
    CREATE INDEX card_events_card ON card_events (card_no, occurred_at);
    -- "I did not make this": one ticket per disputed transaction (central/routes/disputes.py)
    CREATE TABLE disputes (
        ticket_no      TEXT PRIMARY KEY,
        card_no        TEXT NOT NULL,
        transaction_id INTEGER NOT NULL UNIQUE,
        kiosk_id       TEXT NOT NULL,
        loss_report_no TEXT,
        created_at     INTEGER NOT NULL
    );
    -- why a card is blacklisted (overdraft | fraud | other), and what an overdraft owes
    ALTER TABLE cards ADD COLUMN blacklist_reason TEXT;
    ALTER TABLE cards ADD COLUMN owed_fen INTEGER NOT NULL DEFAULT 0 CHECK (owed_fen >= 0);
    """,
    # 5: keys and issuer administration (central/keys.py, central/admin.py): a kiosk's
    # previous secret, valid until the end of a rotation's overlap; the scheme of each
    # payment-password verifier (NULL: the PBKDF2 of before, upgraded when next proven);
    # the issuer's admin accounts (their tokens as SHA-256; who did what is audit_events)
    """
    ALTER TABLE kiosks ADD COLUMN secret_prev BLOB;
    ALTER TABLE kiosks ADD COLUMN secret_prev_until INTEGER;
    ALTER TABLE kiosks ADD COLUMN secret_rotated_at INTEGER;
    ALTER TABLE cards ADD COLUMN pin_kdf TEXT;
    CREATE TABLE admins (
        name        TEXT PRIMARY KEY,
        token_hash  BLOB NOT NULL UNIQUE,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    """,
]


def connect(path: Path | str) -> sqlite3.Connection:
    """One connection with the pragmas every user of the database needs.

    Autocommit mode: callers open transactions explicitly (:func:`transaction`).
    """
    _create_private(Path(path))
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (SQLite makes its -wal and
    -shm files with the database file's mode); an existing file is left as it is."""
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the newest version; return that version
    (:class:`protocol.migrations.SchemaTooNew` for a database from a newer build)."""
    return migrations.migrate(conn, MIGRATIONS, name="central database")


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (writers serialise here, not later) … ``COMMIT``/``ROLLBACK``."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Pool:
    """A fixed set of connections handed out one per request."""

    def __init__(self, path: Path | str, size: int = 8) -> None:
        self.path = Path(path)
        first = connect(self.path)
        migrate(first)
        self._free: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all = [first] + [connect(self.path) for _ in range(size - 1)]
        for conn in self._all:
            self._free.put(conn)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        conn = self._free.get()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._free.put(conn)

    def close(self) -> None:
        for conn in self._all:
            conn.close()
