"""The journal: durable settings, migrations, refusal of newer schemas, atomicity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from daemon.journal import MIGRATIONS, Journal, JournalError


def test_new_journal_is_wal_full_sync_at_latest_schema(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        assert j.schema_version == len(MIGRATIONS)
        assert j.query("PRAGMA journal_mode")[0][0] == "wal"
        assert j.query("PRAGMA synchronous")[0][0] == 2  # FULL
        tables = {r[0] for r in j.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"sessions", "cash", "orders", "steps", "outbox", "receipts",
                "cashbox_state"} <= tables
        assert "cashbox" not in tables  # v2 replaced it


def test_the_page_cache_is_capped_for_the_memory_budget(tmp_path: Path) -> None:
    # SQLite's default (2,000 KiB) filled up over a long soak and held ~2 MB of
    # kioskd's 60 MB (docs/PERFORMANCE.md); a smaller cache reads again from the OS.
    with Journal(tmp_path / "j.sqlite") as j:
        assert j.query("PRAGMA cache_size")[0][0] == -512


_SESSION = ("INSERT INTO sessions (id, kind, card_no, state, started_at)"
            " VALUES ('s1', 'topup', NULL, 'open', 1.0)")


def test_a_v1_journal_is_migrated_to_the_latest_keeping_its_data(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO cash (kind, value_fen, pulses, at) VALUES ('note', 5000, 50, 1)")
    db.commit()
    db.close()
    with Journal(path) as j:
        assert j.schema_version == len(MIGRATIONS) == 3
        assert [tuple(r) for r in j.query("SELECT kind, value_fen FROM cash")] == \
            [("note", 5000)]
        assert j.query("SELECT COUNT(*) FROM cashbox_state")[0][0] == 0


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j, j.transaction() as db:
        db.execute(_SESSION)
    with Journal(path) as j:
        assert [r["id"] for r in j.query("SELECT id FROM sessions")] == ["s1"]


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        with pytest.raises(sqlite3.IntegrityError), j.transaction() as db:
            db.execute(_SESSION)
            db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at) "
                       "VALUES ('s1', 'note', -5, 5, 1.0)")  # negative money: refused
        assert j.query("SELECT count(*) FROM sessions")[0][0] == 0


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(JournalError, match="this build knows"):
        Journal(path)


def test_closed_journal_refuses_writes_and_close_is_idempotent(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite")
    j.close()
    j.close()
    with pytest.raises(JournalError, match="closed"), j.transaction():
        pass
    assert "closed" in repr(j)


def test_a_migration_with_a_trigger_and_a_semicolon_in_a_string_applies_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the journal once split scripts on every ";": a trigger body broke it
    later = """
    CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
    CREATE TRIGGER notes_stamp AFTER INSERT ON notes BEGIN
        UPDATE notes SET text = NEW.text || '; seen' WHERE id = NEW.id;
        SELECT 1;
    END;
    INSERT INTO notes (text) VALUES ('first; of all');
    """
    monkeypatch.setattr("daemon.journal.MIGRATIONS", [*MIGRATIONS, later])
    with Journal(tmp_path / "j.sqlite") as j:
        assert j.schema_version == len(MIGRATIONS) + 1
        assert j.query("SELECT text FROM notes")[0][0] == "first; of all; seen"
