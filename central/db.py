"""The central database: SQLAlchemy Core over SQLite (the embedded default) or PostgreSQL.

:func:`create_engine` takes a database URL (``sqlite:///path`` — what ``--db PATH``
means — or ``postgresql+psycopg://…``). Handlers get a
:class:`sqlalchemy.engine.Connection` already inside the request's transaction and
run SQL as text with named binds through :func:`run`, :func:`one`, :func:`rows` and
:func:`scalar`; rows come back as mappings (``row["col"]``). Inside a transaction
those run on the driver's own cursor, each statement compiled once per dialect by
SQLAlchemy (:func:`_cursor`: SQLAlchemy's execution path cost more than the queries).

SQLite keeps what the hand-made pool had: WAL, ``synchronous=FULL``, ``BEGIN
IMMEDIATE`` for writers (SQLAlchemy's documented pysqlite hooks: the driver's own
transaction handling off, ``BEGIN`` emitted by the ``begin`` event), foreign keys on,
and the file created 0600; a process's writers queue on a lock of their own before
``BEGIN IMMEDIATE`` (:func:`transaction`), not in SQLite's sleeping busy handler.
PostgreSQL runs every transaction SERIALIZABLE, and :func:`atomic` retries one that
lost a serialisation race — the same "as if one at a time" the SQLite code was
written against.

A transaction may be declared not durable (``durable=False``): a GET whose only
write is its nonce. SQLite commits it with ``synchronous=NORMAL`` (in WAL mode: no
fsync, still atomic and still there after a process restart), PostgreSQL with
``synchronous_commit = off`` (the pooled connections' own setting; a durable
transaction sets the server's configured level back for itself with ``SET LOCAL``).
See docs/decisions.md.

The schema's history is Alembic revisions in ``central/migrations`` (:func:`migrate`);
the SQLite-only builds' ``PRAGMA user_version`` scripts are kept below so an old file
is brought to their v4 and stamped with the baseline revision, not re-created.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from protocol import migrations

__all__ = ["LEGACY_SQLITE_MIGRATIONS", "Connection", "Database", "Done", "RowMapping",
           "SchemaTooNew", "create_engine", "database_url", "migrate", "one", "rows", "run",
           "scalar", "sql", "transaction"]

logger = logging.getLogger(__name__)

SchemaTooNew = migrations.SchemaTooNew
T = TypeVar("T")

#: the Alembic scripts (env.py, versions/)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: the revision equal to the SQLite-only builds' user_version 4
BASELINE = "0001"
#: user_version of a SQLite file managed by Alembic: an older (pre-Alembic) build
#: sees a schema newer than its v4 and refuses it
ALEMBIC_USER_VERSION = 5

LEGACY_SQLITE_MIGRATIONS: list[str] = [
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
]


_MODE = "citycard.txn_mode"   # (write, durable) of the next BEGIN, in Connection.info
_SYNC = "citycard.synchronous"  # the SQLite connection's current synchronous level
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_PG_MIGRATION_LOCK = 4403_0014  # pg_advisory_xact_lock key: one migrating process at a time
_WRITER = "citycard_writer"  # the engine attribute holding its in-process SQLite writer lock


def database_url(db: str | Path) -> str:
    """``db`` as a SQLAlchemy URL: a URL as it is, a path as ``sqlite:///path``."""
    text = str(db)
    return text if "://" in text else f"sqlite:///{Path(text)}"


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (its -wal and -shm
    files take the same mode)."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_engine(db: str | Path, *, pool_size: int = 8, pooled: bool = True) -> Engine:
    """An engine for ``db`` (a path or a ``sqlite:///`` / ``postgresql+psycopg://`` URL)
    with the hooks this module's transactions rely on. ``pooled=False``: each
    ``connect()`` opens a connection and closing it closes it (console commands, tests)."""
    url = sa.engine.make_url(database_url(db))
    backend = url.get_backend_name()
    pool: dict[str, Any] = ({"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 60}
                            if pooled else {"poolclass": sa.pool.NullPool})
    if backend == "sqlite":
        if not url.database:
            raise ValueError("an SQLite database needs a file: sqlite:///PATH")
        if url.database != ":memory:":  # (the memory database: a test's, unpooled)
            _create_private(Path(url.database))
        if pooled:
            pool["poolclass"] = sa.pool.QueuePool
        engine = sa.create_engine(url, connect_args={"timeout": 30.0,
                                                     "check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        setattr(engine, _WRITER, threading.RLock())
        return engine
    if backend == "postgresql":
        engine = sa.create_engine(url, isolation_level="SERIALIZABLE", **pool)
        event.listen(engine, "connect", _pg_connect)
        event.listen(engine, "begin", _pg_begin)
        return engine
    raise ValueError(f"unsupported database {backend!r}: sqlite:///PATH or "
                     "postgresql+psycopg://…")


def _sqlite_connect(dbapi_conn: Any, record: Any) -> None:
    # SQLAlchemy's documented recipe for pysqlite: the driver's own BEGIN handling off
    # (it would defer BEGIN and skip it for DDL); _sqlite_begin emits BEGIN itself.
    dbapi_conn.isolation_level = None
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   "busy_timeout=30000"):
        dbapi_conn.execute(f"PRAGMA {pragma}")
    record.info[_SYNC] = "FULL"


def _sqlite_begin(conn: Connection) -> None:
    write, durable = conn.info.pop(_MODE, (True, True))
    want = "FULL" if durable else "NORMAL"
    # Straight to the driver: SQLAlchemy's statement machinery would double the
    # cost of a short transaction's bookkeeping, and it tracks nothing here.
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.info.get(_SYNC) != want:  # may only change outside a transaction: here
        dbapi.execute(f"PRAGMA synchronous={want}")
        conn.info[_SYNC] = want
    # IMMEDIATE: writers queue here for the write lock (busy_timeout), never fail
    # later on a lock upgrade; the request's checks and writes are one serial unit.
    dbapi.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def _pg_connect(dbapi_conn: Any, record: Any) -> None:
    # A connection's own synchronous_commit is off; a durable transaction (the default)
    # sets the server's configured level back for itself (_pg_begin). A GET, whose
    # only write is its nonce, then needs no statement for it (a round trip, ~45 µs
    # through SQLAlchemy, was every GET's). A SET LOCAL ends with its transaction
    # however that ends, so no transaction can inherit another's level.
    with dbapi_conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    dbapi_conn.commit()


def _pg_begin(conn: Connection) -> None:
    _write, durable = conn.info.pop(_MODE, (True, True))
    if durable:  # straight to the driver (it sends BEGIN first): see _sqlite_begin
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        cursor.execute("SET LOCAL synchronous_commit TO DEFAULT")
        cursor.close()


@contextmanager
def transaction(conn: Connection, *, write: bool = True,
                durable: bool = True) -> Iterator[Connection]:
    """One transaction on ``conn``: ``BEGIN IMMEDIATE`` (``BEGIN`` when not ``write``) on
    SQLite, SERIALIZABLE on PostgreSQL; commit, or roll back on an exception.

    A transaction SQLAlchemy began by itself on the connection's first statement
    (a read before this block) is committed first."""
    if conn.in_transaction():
        conn.commit()
    # SQLite: this process's writers queue on a lock of their own before BEGIN
    # IMMEDIATE. Left to SQLite, a writer finding the lock taken sleeps in its busy
    # handler (1, 2, 5 … 100 ms steps) and misses the release a fraction of a
    # millisecond later: under a fleet that sleep, not the work, was the request's
    # time. Other processes (serve --workers, the console) still meet busy_timeout.
    writer: threading.RLock | None = getattr(conn.engine, _WRITER, None) if write else None
    if writer is not None:
        writer.acquire()
    conn.info[_MODE] = (write, durable)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.info.pop(_MODE, None)
        if writer is not None:
            writer.release()


def retryable(exc: BaseException) -> bool:
    """A PostgreSQL serialisation failure or deadlock: run the transaction again."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def atomic(conn: Connection, body: Callable[[], T], *, write: bool = True,
           durable: bool = True, attempts: int = 10) -> T:
    """``body()`` in one :func:`transaction`, run again (with a short random back-off)
    when PostgreSQL aborts it as a serialisation failure; SQLite never does."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(conn, write=write, durable=durable):
                return body()
        except DBAPIError as exc:
            if attempt == attempts or not retryable(exc):
                raise
            logger.debug("transaction lost a serialisation race (attempt %d); again", attempt)
        time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
    raise AssertionError("unreachable")


# -- statements -----------------------------------------------------------------------
#: A row as handlers read it: ``row["col"]`` (a dict, or SQLAlchemy's RowMapping).
RowMapping = Mapping[str, Any]


@functools.lru_cache(maxsize=2048)
def sql(statement: str) -> sa.TextClause:
    """``text(statement)``, parsed once."""
    return sa.text(statement)


@functools.lru_cache(maxsize=4096)
def _compiled(dialect: sa.Dialect, statement: str) -> tuple[str, tuple[str, ...], bool]:
    """``statement`` as the driver takes it (its paramstyle: ``?`` for sqlite3,
    ``%(name)s`` for psycopg), the bind names in order, and whether they are positional:
    SQLAlchemy's own compilation of the :func:`sql` text, done once per dialect."""
    compiled = sql(statement).compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    return compiled.string, names, positional


class Done:
    """What a statement run on the driver's cursor answers: the rows it changed."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


def _cursor(conn: Connection, statement: str, params: Mapping[str, Any]) -> Any:
    """``statement`` executed on the driver's own cursor, or None outside a transaction
    (SQLAlchemy begins that one: the begin hooks above).

    Inside a transaction SQLAlchemy adds nothing a text statement needs — no types to
    process, no events of ours — and costs 40–60 µs a statement in Python (result
    metadata, execution context, parameter processing), several times the query's own
    time here: the statements are compiled once (:func:`_compiled`) and run directly.
    A driver error is raised as SQLAlchemy raises it (``IntegrityError``, ``DBAPIError``
    with the SQLSTATE that :func:`retryable` reads)."""
    if not conn.in_transaction():
        return None
    dialect = conn.dialect
    text, names, positional = _compiled(dialect, statement)
    args: Any = (tuple(params[n] for n in names) if positional
                 else {n: params[n] for n in names})
    dbapi_conn = conn.connection.dbapi_connection
    assert dbapi_conn is not None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(text, args)
    except dialect.loaded_dbapi.Error as exc:
        cursor.close()
        raise sa.exc.DBAPIError.instance(text, args, exc, dialect.loaded_dbapi.Error,
                                         dialect=dialect) from exc
    return cursor


def _mappings(cursor: Any, limit: int | None = None) -> list[dict[str, Any]]:
    try:
        if cursor.description is None:
            return []
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return [dict(zip(names, row, strict=True)) for row in found]
    finally:
        cursor.close()


def run(conn: Connection, statement: str, /, **params: Any) -> Done | sa.CursorResult[Any]:
    """Execute one statement with named binds (``:name``); its ``rowcount``."""
    cursor = _cursor(conn, statement, params)
    if cursor is None:
        return conn.execute(sql(statement), params)
    done = Done(cursor.rowcount)
    cursor.close()
    return done


def run_many(conn: Connection, statement: str, rows_: Sequence[Mapping[str, Any]]) -> None:
    """One statement for each of ``rows_`` (the driver's executemany)."""
    if rows_:
        conn.execute(sql(statement), list(rows_))


def rows(conn: Connection, statement: str, /, **params: Any) -> list[RowMapping]:
    """Every row, each a mapping (``row["col"]``)."""
    cursor = _cursor(conn, statement, params)
    if cursor is None:
        return [dict(row) for row in conn.execute(sql(statement), params).mappings()]
    return list(_mappings(cursor))


def one(conn: Connection, statement: str, /, **params: Any) -> RowMapping | None:
    """The first row as a mapping, or None."""
    cursor = _cursor(conn, statement, params)
    if cursor is None:
        first = conn.execute(sql(statement), params).mappings().first()
        return None if first is None else dict(first)
    found = _mappings(cursor, 1)
    return found[0] if found else None


def scalar(conn: Connection, statement: str, /, **params: Any) -> Any:
    """The first column of the first row, or None."""
    cursor = _cursor(conn, statement, params)
    if cursor is None:
        return conn.execute(sql(statement), params).scalar()
    try:
        row = cursor.fetchone() if cursor.description is not None else None
    finally:
        cursor.close()
    return None if row is None else row[0]


# -- the database of one server ---------------------------------------------------------
class Database:
    """The engine (and its connection pool) of one server process, migrated on open."""

    def __init__(self, db: str | Path, *, pool_size: int = 8, migrate_schema: bool = True) -> None:
        self.url = database_url(db)
        self.engine = create_engine(self.url, pool_size=pool_size)
        if migrate_schema:
            with self.engine.connect() as conn:
                migrate(conn)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    @property
    def nonce_in_reads(self) -> bool:
        """Whether a signed GET stores its nonce inside its own transaction
        (PostgreSQL: writers do not exclude each other) or, on SQLite, in a short
        unflushed transaction of its own before a read-only one (one writer at a
        time: a GET must not hold the write lock while it works)."""
        return self.dialect != "sqlite"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection, outside any transaction; rolled back if left in one."""
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def connect(db: str | Path) -> Connection:
    """One unpooled connection (console commands, tests, benches); ``close()`` it."""
    return create_engine(db, pooled=False).connect()


# -- migrations -----------------------------------------------------------------------
def _alembic(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(conn: Connection) -> str:
    """Bring the schema to the newest Alembic revision in one transaction; return it.

    A SQLite file of the pre-Alembic builds (``user_version`` 1–4) is brought to v4
    by their scripts and stamped with the baseline; a database from a newer build
    (an unknown revision, or a ``user_version`` above 5 without Alembic's table) is
    refused with :class:`SchemaTooNew`."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = _alembic(conn)
    script = ScriptDirectory.from_config(cfg)
    head = str(script.get_current_head())
    sqlite = conn.dialect.name == "sqlite"
    with transaction(conn):
        if not sqlite:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and sqlite:
            legacy = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            if legacy > len(LEGACY_SQLITE_MIGRATIONS):
                raise SchemaTooNew(f"central database has schema v{legacy} and no Alembic "
                                   f"revision; this build knows v{len(LEGACY_SQLITE_MIGRATIONS)}")
            if legacy:
                for number, old in enumerate(LEGACY_SQLITE_MIGRATIONS[legacy:], legacy + 1):
                    for statement in migrations.statements(old):
                        conn.exec_driver_sql(statement)
                    logger.info("central database migrated to legacy schema v%d", number)
                command.stamp(cfg, BASELINE)
                logger.info("central database at legacy v%d stamped as revision %s",
                            len(LEGACY_SQLITE_MIGRATIONS), BASELINE)
                current = BASELINE
        if current is not None:
            try:
                known = script.get_revision(current) is not None
            except CommandError:
                known = False
            if not known:
                raise SchemaTooNew(f"central database is at revision {current}, which this "
                                   f"build does not know (its newest is {head})")
        if current != head:
            command.upgrade(cfg, "head")
            logger.info("central database migrated to revision %s", head)
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA user_version = {ALEMBIC_USER_VERSION}")
    return head
