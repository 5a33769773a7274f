"""The routes' one door into the risk monitor (:mod:`central.risk`).

:func:`observe` judges an event inside the request's transaction, under a
savepoint: the alert commits with the effect that raised it (a refused request
commits too, so a wrong PIN is counted), and a fault in the monitor is logged
and undone without costing the cardholder the request.
"""

from __future__ import annotations

import logging
import sqlite3

from central.risk import Alert, Event, Monitor, SqliteRiskStore
from central.risk.settings import RiskSettings
from central.router import Request

__all__ = ["monitor_on", "observe"]

logger = logging.getLogger(__name__)


def monitor_on(conn: sqlite3.Connection, settings: RiskSettings, now: float) -> Monitor:
    """The monitor over ``conn`` (inside the caller's transaction) at the time ``now``."""
    return Monitor(SqliteRiskStore(conn), settings, lambda: now)


def observe(req: Request, event: Event) -> list[Alert]:
    """Judge ``event``; the alerts it raised or added to (none if the monitor failed)."""
    conn = req.conn
    conn.execute("SAVEPOINT risk")
    try:
        alerts = monitor_on(conn, req.settings.risk, req.now).observe(event)
    except Exception:
        conn.execute("ROLLBACK TO risk")
        conn.execute("RELEASE risk")
        logger.exception("risk monitor failed on a %s event; request goes on", event.kind)
        return []
    conn.execute("RELEASE risk")
    return alerts
