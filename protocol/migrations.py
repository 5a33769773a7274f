"""The one SQLite migration runner, for kioskd's journal and the central database.

A schema is an append-only list of SQL scripts; ``PRAGMA user_version`` records
how many have been applied. Each script runs in its own ``BEGIN IMMEDIATE``
transaction together with the version bump, so a failing script leaves the
database at the version before it, whole. A database from a newer build is
refused rather than guessed at.

Scripts are split into statements with :func:`sqlite3.complete_statement`, not
on every ``;``: a trigger body or a string literal may hold semicolons.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence

__all__ = ["SchemaTooNew", "migrate", "statements"]

logger = logging.getLogger(__name__)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer build than this one."""


def statements(script: str) -> Iterator[str]:
    """The complete SQL statements of ``script``, in order (a last one may lack its
    ``;``); ValueError when the script ends inside a statement."""
    pieces = script.split(";")
    pending = ""
    for piece in pieces[:-1]:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending.strip()
            pending = ""
    tail = pending + pieces[-1]
    if tail.strip():
        # a newline first, so a trailing "-- comment" cannot swallow the probe's ";"
        if not sqlite3.complete_statement(tail + "\n;"):
            raise ValueError(f"a script ends inside a statement: {tail.strip()[:60]!r}")
        yield tail.strip()


def migrate(conn: sqlite3.Connection, scripts: Sequence[str], *, name: str) -> int:
    """Apply ``scripts`` beyond the database's ``user_version``; return the new version.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and outside a
    transaction; ``name`` says which database in the log and in errors.
    """
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(scripts):
        raise SchemaTooNew(f"{name} has schema v{current}; this build knows v{len(scripts)}")
    for version, script in enumerate(scripts[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        logger.info("%s migrated to schema v%d", name, version)
    return len(scripts)
