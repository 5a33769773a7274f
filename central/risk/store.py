"""Where the risk monitor keeps what it saw and what it raised.

:class:`RiskStore` is the whole surface the rules need; :class:`SqlRiskStore`
implements it inside the caller's transaction (the request's own, so an alert
commits or rolls back with the effect that raised it), on SQLite and PostgreSQL
alike (SQLAlchemy ``text()`` with named binds; nothing dialect-specific).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from central import db
from central.db import Connection, RowMapping
from central.risk.events import Alert

__all__ = ["SWEEP_CLAIM", "AlertQuery", "RiskStore", "SqlRiskStore", "SqliteRiskStore",
           "Window", "claim_sweep"]

#: The ``counters`` row holding when a server's timed sweep last ran (its clock, ms).
SWEEP_CLAIM = "risk_sweep_at"


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


def _alert(row: RowMapping) -> Alert:
    return Alert(rule=row["rule"], severity=row["severity"],
                 subject_kind=row["subject_kind"], subject=row["subject"],
                 kiosk_id=row["kiosk_id"], first_at=int(row["first_at"]),
                 last_at=int(row["last_at"]), details=json.loads(row["details"]),
                 hits=int(row["hits"]), card_blacklisted=bool(row["card_blacklisted"]),
                 acknowledged_at=row["acknowledged_at"], id=int(row["id"]))


class SqlRiskStore:
    """:class:`RiskStore` on the central database (SQLite or PostgreSQL; the tables of
    the risk migration), in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, kind: str, card_no: str, kiosk_id: str, amount_fen: int,
               at: int) -> None:
        db.run(self.conn, "INSERT INTO risk_events (kind, card_no, kiosk_id, amount_fen, at) "
               "VALUES (:kind, :card_no, :kiosk_id, :amount, :at)", kind=kind,
               card_no=card_no, kiosk_id=kiosk_id, amount=amount_fen, at=at)

    def window(self, kinds: Sequence[str], card_no: str, since: int) -> Window:
        named = {f"kind{i}": kind for i, kind in enumerate(kinds)}
        marks = ", ".join(f":{name}" for name in named)
        rows = db.rows(
            self.conn,
            f"SELECT kiosk_id, COUNT(*) AS n, SUM(amount_fen) AS fen FROM risk_events "
            f"WHERE card_no = :card_no AND kind IN ({marks}) AND at >= :since "
            "GROUP BY kiosk_id", card_no=card_no, since=since, **named)
        return Window(sum(int(r["n"]) for r in rows), sum(int(r["fen"] or 0) for r in rows),
                      frozenset(r["kiosk_id"] for r in rows))

    def open_alert(self, rule: str, subject: str, since: int) -> Alert | None:
        row = db.one(
            self.conn, f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE rule = :rule "
            "AND subject = :subject AND acknowledged_at IS NULL AND last_at >= :since "
            "ORDER BY id DESC LIMIT 1", rule=rule, subject=subject, since=since)
        return None if row is None else _alert(row)

    def last_alert_at(self, rule: str, subject: str) -> int | None:
        last = db.scalar(self.conn, "SELECT MAX(last_at) FROM alerts WHERE rule = :rule "
                         "AND subject = :subject", rule=rule, subject=subject)
        return None if last is None else int(last)

    def add_alert(self, alert: Alert) -> int:
        return int(db.scalar(
            self.conn,
            "INSERT INTO alerts (rule, severity, subject_kind, subject, kiosk_id, first_at, "
            "last_at, hits, details, card_blacklisted) VALUES (:rule, :severity, "
            ":subject_kind, :subject, :kiosk_id, :first_at, :last_at, :hits, :details, "
            ":card_blacklisted) RETURNING id",
            rule=alert.rule, severity=alert.severity, subject_kind=alert.subject_kind,
            subject=alert.subject, kiosk_id=alert.kiosk_id, first_at=alert.first_at,
            last_at=alert.last_at, hits=alert.hits,
            details=json.dumps(alert.details, ensure_ascii=False),
            card_blacklisted=int(alert.card_blacklisted)))

    def fold(self, alert_id: int, at: int, details: dict[str, Any], *,
             hit: bool = True) -> None:
        stored = db.scalar(self.conn, "SELECT details FROM alerts WHERE id = :id", id=alert_id)
        merged = {**json.loads(stored), **details}
        db.run(self.conn,
               "UPDATE alerts SET hits = hits + :hit, last_at = CASE WHEN last_at > :at "
               "THEN last_at ELSE :at END, details = :details WHERE id = :id",
               hit=int(hit), at=at, details=json.dumps(merged, ensure_ascii=False), id=alert_id)

    def blacklist(self, card_no: str, alert_id: int, rule: str, at: int) -> bool:
        changed = db.run(self.conn, "UPDATE cards SET status = 'blacklisted' "
                         "WHERE card_no = :card_no AND status = 'active'",
                         card_no=card_no).rowcount
        if not changed:
            return False
        db.run(self.conn, "UPDATE alerts SET card_blacklisted = 1 WHERE id = :id", id=alert_id)
        db.run(self.conn,
               "INSERT INTO audit_events (at, actor, action, subject, details) "
               "VALUES (:at, 'risk-monitor', 'card_blacklisted', :card_no, :details)",
               at=at, card_no=card_no,
               details=json.dumps({"alert_id": alert_id, "rule": rule,
                                   "pending_review": True}))
        return True

    def silent_kiosks(self, before: int) -> list[tuple[str, int]]:
        rows = db.rows(self.conn, "SELECT kiosk_id, last_seen_at FROM kiosks WHERE "
                       "last_seen_at < :before ORDER BY kiosk_id", before=before)
        return [(str(r["kiosk_id"]), int(r["last_seen_at"])) for r in rows]

    def alerts(self, query: AlertQuery) -> list[Alert]:
        where: list[str] = ["1 = 1"]
        args: dict[str, str | int] = {"limit": query.limit}
        for column, value in (("rule", query.rule), ("severity", query.severity)):
            if value is not None:
                where.append(f"{column} = :{column}")
                args[column] = value
        if query.card_no is not None:
            where.append("subject_kind = 'card' AND subject = :card_no")
            args["card_no"] = query.card_no
        if query.kiosk_id is not None:
            where.append("kiosk_id = :kiosk_id")
            args["kiosk_id"] = query.kiosk_id
        if query.since is not None:
            where.append("last_at >= :since")
            args["since"] = query.since
        if query.before_id is not None:
            where.append("id < :before_id")
            args["before_id"] = query.before_id
        rows = db.rows(self.conn, f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE "
                       f"{' AND '.join(where)} ORDER BY id DESC LIMIT :limit", **args)
        return [_alert(r) for r in rows]

    def prune(self, before: int) -> int:
        return int(db.run(self.conn, "DELETE FROM risk_events WHERE at < :before",
                          before=before).rowcount)


#: the name this class had while it ran on SQLite only
SqliteRiskStore = SqlRiskStore


def claim_sweep(conn: Connection, now: float, every_s: int) -> bool:
    """Whether this process runs the timed sweep due at ``now``: True for the first
    to ask once ``every_s`` (less 0.1 s for timers' jitter) has passed since the last
    claim — or when that claim lies in the future (a clock set back). Inside the
    caller's transaction, which serialises claimants (SQLite's one writer;
    PostgreSQL's row lock and SERIALIZABLE retry): of the ``serve --workers N``
    processes on one database, one sweeps each period, and another takes over
    when that one stops. The claim is kept in milliseconds."""
    now_ms = int(now * 1000)
    claimed = db.scalar(
        conn, "INSERT INTO counters (name, value) VALUES (:name, :now) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value "
        "WHERE counters.value <= :due OR counters.value > :now RETURNING value",
        name=SWEEP_CLAIM, now=now_ms, due=now_ms - every_s * 1000 + 100)
    return claimed is not None
