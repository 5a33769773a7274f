"""The storage layer (central/db.py): the schema's history under Alembic, the
SQLite files the pre-Alembic builds left, the nonce window across restarts and
processes, and the transactions a GET commits without a synchronous flush."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from central import db
from central.cli import main
from central.client import SignedClient
from central.db import (
    ALEMBIC_USER_VERSION,
    LEGACY_SQLITE_MIGRATIONS,
    SchemaTooNew,
    connect,
    migrate,
    transaction,
)
from central.server import make_server
from central.settings import Settings
from protocol import migrations
from tests import pgcluster
from tests.central.helpers import KIOSK, ZHANG, Central, error_of

CARD_PATH = f"/v1/cards/{ZHANG}"
NONCE = "replayed-after-restart-0001"


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


# -- the nonce window holds across a restart and across processes -------------------------
def test_a_nonce_replayed_after_a_server_restart_is_refused(central: Central) -> None:
    assert central.client.get(CARD_PATH, nonce=NONCE).status_code == 200
    central.server.stop()  # every connection closed: only the database remembers
    central.server = make_server(central.db, settings=Settings())  # the fixture stops it
    replay = SignedClient(central.server.start(), KIOSK, central.secret)
    answer = replay.get(CARD_PATH, nonce=NONCE)
    assert error_of(answer, 401, "unauthorized")["reason"] == "nonce_reused"
    assert replay.get(CARD_PATH).status_code == 200  # a fresh nonce passes
    replay.close()


def test_a_nonce_used_at_one_worker_is_refused_at_another(central: Central) -> None:
    # A second server on the same database: its own engine and connections, as a
    # second worker process has.
    other = make_server(central.db, settings=Settings())
    url = other.start()
    try:
        client = SignedClient(url, KIOSK, central.secret)
        assert central.client.get(CARD_PATH, nonce=NONCE).status_code == 200
        answer = client.get(CARD_PATH, nonce=NONCE)
        assert error_of(answer, 401, "unauthorized")["reason"] == "nonce_reused"
        assert client.post("/v1/kiosk/heartbeat", {"software_version": "1", "state": "idle"},
                           nonce=NONCE + "-2").status_code == 200
        answer = central.client.post("/v1/kiosk/heartbeat",
                                     {"software_version": "1", "state": "idle"},
                                     nonce=NONCE + "-2")
        assert error_of(answer, 401, "unauthorized")["reason"] == "nonce_reused"
        client.close()
    finally:
        other.stop()


def test_a_refused_request_leaves_no_nonce_behind_and_a_served_one_does(
        central: Central) -> None:
    before = central.sql("SELECT COUNT(*) FROM nonces")[0][0]
    assert central.client.get(CARD_PATH).status_code == 200
    assert central.sql("SELECT COUNT(*) FROM nonces")[0][0] == before + 1
    # a body that is not JSON is refused (400) inside the request's transaction:
    # it rolls back, nonce and all
    refused = central.client.post("/v1/load-orders", raw=b"{not json",
                                  headers={"Content-Type": "application/json"},
                                  key="refused-key-0001")
    assert refused.status_code == 400
    assert central.sql("SELECT COUNT(*) FROM nonces")[0][0] == before + 1


# -- transactions ------------------------------------------------------------------------
def test_a_get_commits_without_a_synchronous_flush_and_a_write_with_one(
        fresh_database: Callable[[], Path | str]) -> None:
    conn = connect(fresh_database())
    try:
        if conn.dialect.name == "sqlite":
            probe = "PRAGMA synchronous"
            durable, not_durable = 2, 1  # FULL, NORMAL
        else:
            probe = "SHOW synchronous_commit"
            durable, not_durable = "on", "off"
        with transaction(conn, durable=False):
            assert conn.exec_driver_sql(probe).scalar() == not_durable
        with transaction(conn):
            assert conn.exec_driver_sql(probe).scalar() == durable
    finally:
        conn.close()


def test_sqlite_writers_of_one_process_queue_on_a_lock_not_in_sqlite(
        fresh_database: Callable[[], Path | str]) -> None:
    # Left to SQLite, a writer finding the write lock taken sleeps in its busy handler
    # and misses the release; with no busy timeout at all it fails at once. Two threads
    # of one process wait for each other instead, and both commit.
    url = fresh_database()
    if "://" in str(url):
        pytest.skip("SQLite's write lock; PostgreSQL writers do not exclude each other")
    engine = db.create_engine(url)
    held, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def writer(name: str, hold: bool) -> None:
        try:
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA busy_timeout = 0")  # (not through SQLAlchemy: no BEGIN)
                with transaction(conn):
                    db.run(conn, "INSERT INTO counters (name, value) VALUES (:name, 1)",
                           name=name)
                    if hold:
                        held.set()
                        release.wait(10)
        except BaseException as exc:  # (reported below)
            failures.append(exc)

    first = threading.Thread(target=writer, args=("first", True))
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=writer, args=("second", False))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the first writer, not failed
    release.set()
    first.join(10)
    second.join(10)
    engine.dispose()
    assert failures == []
    conn = connect(url)
    try:
        assert sorted(r["name"] for r in db.rows(conn, "SELECT name FROM counters WHERE "
                                                 "name IN ('first', 'second')")) == [
            "first", "second"]
    finally:
        conn.close()


def test_sqlite_writers_begin_immediate_and_postgresql_runs_serializable(
        fresh_database: Callable[[], Path | str]) -> None:
    conn = connect(fresh_database())
    try:
        with transaction(conn):
            if conn.dialect.name == "sqlite":
                # holding the write lock from BEGIN: another writer cannot start
                other = sqlite3.connect(conn.engine.url.database, timeout=0)
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                other.close()
            else:
                level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
                assert level == "serializable"
    finally:
        conn.close()


# -- migrations --------------------------------------------------------------------------
def test_a_new_sqlite_database_is_created_0600_at_the_newest_revision(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = connect(path)
    assert migrate(conn) == _head()
    conn.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == ALEMBIC_USER_VERSION
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(_head(),)]
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


@pytest.mark.parametrize("legacy_version", [4, 2])
def test_a_pre_alembic_sqlite_file_is_stamped_and_kept_not_recreated(
        tmp_path: Path, legacy_version: int) -> None:
    path = tmp_path / "old.sqlite"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(raw, LEGACY_SQLITE_MIGRATIONS[:legacy_version], name="old build")
    raw.execute("INSERT INTO cards (card_no, aid, card_type, holder_name, id_last6, "
                "valid_from, valid_until, status) VALUES ('31044403000000100017', 'A', "
                "'ordinary', '张伟', '100017', '2020-01-01', '2030-01-01', 'active')")
    raw.execute("INSERT INTO orders (order_id, kind, source, card_no, amount_fen, "
                "terminal_id, kiosk_id, status, created_at, updated_at) VALUES "
                "('LO1', 'load', 'cash', '31044403000000100017', 100, 'T', 'K', 'created', "
                "1, 1)")
    raw.close()
    conn = connect(path)
    assert migrate(conn) == _head()
    assert db.scalar(conn, "SELECT holder_name FROM cards") == "张伟"
    assert db.scalar(conn, "SELECT card_seq FROM orders") == 1
    # the v4 columns are there whichever version the file was at
    assert db.scalar(conn, "SELECT owed_fen FROM cards") == 0
    # and revision 0003's (the keys branch's schema 5): previous secrets, verifier
    # schemes, admin accounts
    assert db.scalar(conn, "SELECT pin_kdf FROM cards") is None
    assert db.rows(conn, "SELECT secret_prev, secret_prev_until, secret_rotated_at "
                   "FROM kiosks") == []
    assert db.scalar(conn, "SELECT COUNT(*) FROM admins") == 0
    conn.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(_head(),)]
    assert raw.execute("PRAGMA user_version").fetchone()[0] == ALEMBIC_USER_VERSION
    raw.close()


# 5: a development file of the keys branch (its schema 5 never reached a release; it
# is Alembic revision 0003 now): refused, not guessed at
@pytest.mark.parametrize("newer", [ALEMBIC_USER_VERSION + 1, 5])
def test_a_sqlite_file_of_a_newer_pre_alembic_schema_is_refused(tmp_path: Path,
                                                                  newer: int) -> None:
    path = tmp_path / "newer.sqlite"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.close()
    conn = connect(path)
    with pytest.raises(SchemaTooNew):
        migrate(conn)
    conn.close()


def test_a_database_at_a_revision_this_build_does_not_know_is_refused(
        fresh_database: Callable[[], Path | str]) -> None:
    conn = connect(fresh_database())
    try:
        with transaction(conn):
            db.run(conn, "UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
        with pytest.raises(SchemaTooNew, match="ffff_from_the_future"):
            migrate(conn)
    finally:
        conn.close()


def test_migrating_twice_changes_nothing(fresh_database: Callable[[], Path | str]) -> None:
    conn = connect(fresh_database())
    try:
        cards = db.scalar(conn, "SELECT COUNT(*) FROM cards")
        assert migrate(conn) == migrate(conn) == _head()
        assert db.scalar(conn, "SELECT COUNT(*) FROM cards") == cards
    finally:
        conn.close()


# -- the console on PostgreSQL -----------------------------------------------------------
@pytest.mark.postgresql
def test_the_console_seeds_and_serves_a_postgresql_database(
        pg_cluster: pgcluster.Cluster, tmp_path: Path) -> None:
    name = pg_cluster.new_name("cli")
    pg_cluster.admin(f"CREATE DATABASE {name}")
    url = pg_cluster.url(name)
    secret_file = tmp_path / "kiosk.secret"
    try:
        assert main(["--log-level", "ERROR", "seed", "--database-url", url,
                     "--kiosk-secret", str(secret_file), "--transactions", "50"]) == 0
        assert main(["--log-level", "ERROR", "seed", "--database-url", url,
                     "--kiosk-secret", str(secret_file)]) == 1  # it holds cards already
        conn = connect(url)
        assert db.scalar(conn, "SELECT COUNT(*) FROM transactions") == 50
        conn.close()
        proc = subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING",
                                 "serve", "--database-url", url, "--port", "0"],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("listening on "), line
            client = SignedClient(line.removeprefix("listening on "), KIOSK,
                                  secret_file.read_bytes().strip())
            assert client.get(CARD_PATH).json()["card_no"] == ZHANG
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        pg_cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_seed_with_a_database_url_needs_the_kiosk_secret_file(tmp_path: Path) -> None:
    assert main(["--log-level", "ERROR", "seed", "--database-url",
                 f"sqlite:///{tmp_path / 'c.sqlite'}"]) == 1
