"""Where the risk monitor keeps what it saw and what it raised.

:class:`RiskStore` is the whole surface the rules need; :class:`SqliteRiskStore`
implements it inside the caller's SQLite transaction (the request's own, so an
alert commits or rolls back with the effect that raised it). A PostgreSQL store
implements the same methods with the same SQL (nothing here is SQLite-only but
``?`` placeholders).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from central.risk.events import Alert

__all__ = ["AlertQuery", "RiskStore", "SqliteRiskStore", "Window"]


@dataclass(frozen=True)
class Window:
    """What one card did in a window: how many events, their sum, at which kiosks."""

    count: int
    fen: int
    kiosks: frozenset[str]


@dataclass(frozen=True)
class AlertQuery:
    """A filter for listing alerts, newest first; ``before_id`` pages."""

    rule: str | None = None
    severity: str | None = None
    since: int | None = None
    card_no: str | None = None
    kiosk_id: str | None = None
    before_id: int | None = None
    limit: int = 100


class RiskStore(Protocol):
    """Subclasses must implement every method; all run in the caller's transaction."""

    def record(self, kind: str, card_no: str, kiosk_id: str, amount_fen: int,
               at: int) -> None: ...

    def window(self, kinds: Sequence[str], card_no: str, since: int) -> Window: ...

    def open_alert(self, rule: str, subject: str, since: int) -> Alert | None:
        """The newest unacknowledged alert of ``rule`` on ``subject`` hit at or after
        ``since``."""

    def last_alert_at(self, rule: str, subject: str) -> int | None: ...

    def add_alert(self, alert: Alert) -> int: ...

    def fold(self, alert_id: int, at: int, details: dict[str, Any], *,
             hit: bool = True) -> None: ...

    def blacklist(self, card_no: str, alert_id: int, rule: str, at: int) -> bool:
        """Blacklist an *active* card pending review, with an audit event; False when
        the card is not active (already lost or blocked, or unknown)."""

    def silent_kiosks(self, before: int) -> list[tuple[str, int]]: ...

    def alerts(self, query: AlertQuery) -> list[Alert]: ...

    def prune(self, before: int) -> int: ...


_ALERT_COLUMNS = ("id, rule, severity, subject_kind, subject, kiosk_id, first_at, last_at, "
                  "hits, details, card_blacklisted, acknowledged_at")


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(rule=row["rule"], severity=row["severity"],
                 subject_kind=row["subject_kind"], subject=row["subject"],
                 kiosk_id=row["kiosk_id"], first_at=int(row["first_at"]),
                 last_at=int(row["last_at"]), details=json.loads(row["details"]),
                 hits=int(row["hits"]), card_blacklisted=bool(row["card_blacklisted"]),
                 acknowledged_at=row["acknowledged_at"], id=int(row["id"]))


class SqliteRiskStore:
    """:class:`RiskStore` on the central database (tables of migration 3)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def record(self, kind: str, card_no: str, kiosk_id: str, amount_fen: int,
               at: int) -> None:
        self.conn.execute("INSERT INTO risk_events (kind, card_no, kiosk_id, amount_fen, at) "
                          "VALUES (?, ?, ?, ?, ?)", (kind, card_no, kiosk_id, amount_fen, at))

    def window(self, kinds: Sequence[str], card_no: str, since: int) -> Window:
        marks = ", ".join("?" * len(kinds))
        rows = self.conn.execute(
            f"SELECT kiosk_id, COUNT(*) AS n, SUM(amount_fen) AS fen FROM risk_events "
            f"WHERE card_no = ? AND kind IN ({marks}) AND at >= ? GROUP BY kiosk_id",
            (card_no, *kinds, since)).fetchall()
        return Window(sum(int(r["n"]) for r in rows), sum(int(r["fen"] or 0) for r in rows),
                      frozenset(r["kiosk_id"] for r in rows))

    def open_alert(self, rule: str, subject: str, since: int) -> Alert | None:
        row = self.conn.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE rule = ? AND subject = ? "
            "AND acknowledged_at IS NULL AND last_at >= ? ORDER BY id DESC LIMIT 1",
            (rule, subject, since)).fetchone()
        return None if row is None else _alert(row)

    def last_alert_at(self, rule: str, subject: str) -> int | None:
        row = self.conn.execute("SELECT MAX(last_at) FROM alerts WHERE rule = ? AND subject = ?",
                                (rule, subject)).fetchone()
        return None if row[0] is None else int(row[0])

    def add_alert(self, alert: Alert) -> int:
        cur = self.conn.execute(
            "INSERT INTO alerts (rule, severity, subject_kind, subject, kiosk_id, first_at, "
            "last_at, hits, details, card_blacklisted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (alert.rule, alert.severity, alert.subject_kind, alert.subject, alert.kiosk_id,
             alert.first_at, alert.last_at, alert.hits,
             json.dumps(alert.details, ensure_ascii=False), int(alert.card_blacklisted)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def fold(self, alert_id: int, at: int, details: dict[str, Any], *,
             hit: bool = True) -> None:
        row = self.conn.execute("SELECT details FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        merged = {**json.loads(row["details"]), **details}
        self.conn.execute(
            "UPDATE alerts SET hits = hits + ?, last_at = MAX(last_at, ?), details = ? "
            "WHERE id = ?", (int(hit), at, json.dumps(merged, ensure_ascii=False), alert_id))

    def blacklist(self, card_no: str, alert_id: int, rule: str, at: int) -> bool:
        cur = self.conn.execute("UPDATE cards SET status = 'blacklisted' "
                                "WHERE card_no = ? AND status = 'active'", (card_no,))
        if not cur.rowcount:
            return False
        self.conn.execute("UPDATE alerts SET card_blacklisted = 1 WHERE id = ?", (alert_id,))
        self.conn.execute(
            "INSERT INTO audit_events (at, actor, action, subject, details) "
            "VALUES (?, 'risk-monitor', 'card_blacklisted', ?, ?)",
            (at, card_no, json.dumps({"alert_id": alert_id, "rule": rule,
                                      "pending_review": True})))
        return True

    def silent_kiosks(self, before: int) -> list[tuple[str, int]]:
        rows = self.conn.execute("SELECT kiosk_id, last_seen_at FROM kiosks WHERE "
                                 "last_seen_at < ? ORDER BY kiosk_id", (before,)).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

    def alerts(self, query: AlertQuery) -> list[Alert]:
        where: list[str] = ["1 = 1"]
        args: list[str | int] = []
        for column, value in (("rule", query.rule), ("severity", query.severity)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if query.card_no is not None:
            where.append("subject_kind = 'card' AND subject = ?")
            args.append(query.card_no)
        if query.kiosk_id is not None:
            where.append("kiosk_id = ?")
            args.append(query.kiosk_id)
        if query.since is not None:
            where.append("last_at >= ?")
            args.append(query.since)
        if query.before_id is not None:
            where.append("id < ?")
            args.append(query.before_id)
        rows = self.conn.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE {' AND '.join(where)} "
            "ORDER BY id DESC LIMIT ?", (*args, query.limit)).fetchall()
        return [_alert(r) for r in rows]

    def prune(self, before: int) -> int:
        return self.conn.execute("DELETE FROM risk_events WHERE at < ?", (before,)).rowcount
