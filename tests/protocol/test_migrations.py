"""The one migration runner: statements split where SQLite says they end, one
transaction per script, newer schemas refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from protocol.migrations import SchemaTooNew, migrate, statements

TRIGGER = """CREATE TRIGGER t AFTER INSERT ON a BEGIN
    UPDATE a SET x = x || ';' WHERE rowid = NEW.rowid; SELECT 1;
END"""


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    yield db
    db.close()


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@pytest.mark.parametrize(("script", "expected"), [
    ("CREATE TABLE a (x TEXT); CREATE TABLE b (y);",
     ["CREATE TABLE a (x TEXT);", "CREATE TABLE b (y);"]),
    (f"CREATE TABLE a (x TEXT);\n{TRIGGER};", ["CREATE TABLE a (x TEXT);", f"{TRIGGER};"]),
    ("INSERT INTO a VALUES ('x;y'); -- done; really\n",
     ["INSERT INTO a VALUES ('x;y');", "-- done; really"]),
    ("-- a comment; then\nCREATE TABLE a (x)", ["-- a comment; then\nCREATE TABLE a (x)"]),
    ("  \n ; ;", []),
])
def test_statements_end_where_sqlite_says(script: str, expected: list[str]) -> None:
    assert list(statements(script)) == expected


def test_a_script_ending_inside_a_statement_is_an_error() -> None:
    with pytest.raises(ValueError, match="ends inside a statement"):
        list(statements("CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;"))


def test_scripts_apply_in_order_with_triggers_and_strings(conn: sqlite3.Connection) -> None:
    scripts = ["CREATE TABLE a (x TEXT);", f"{TRIGGER}; INSERT INTO a VALUES ('1;2');"]
    assert migrate(conn, scripts, name="test") == 2
    assert version(conn) == 2
    assert conn.execute("SELECT x FROM a").fetchall() == [("1;2;",)]
    assert migrate(conn, scripts, name="test") == 2  # nothing again
    assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 1


def test_a_failing_script_leaves_the_database_at_the_version_before(
        conn: sqlite3.Connection) -> None:
    scripts = ["CREATE TABLE a (x);", "CREATE TABLE b (y); INSERT INTO nowhere VALUES (1);"]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, scripts, name="test")
    assert version(conn) == 1 and not conn.in_transaction
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"a"}  # b went with the failed script


def test_a_newer_schema_is_refused(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA user_version = 3")
    with pytest.raises(SchemaTooNew, match="test db has schema v3; this build knows v1"):
        migrate(conn, ["CREATE TABLE a (x);"], name="test db")
