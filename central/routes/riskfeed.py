"""The routes' one door into the risk monitor (:mod:`central.risk`).

:func:`observe` judges an event inside the request's transaction, under a
savepoint: the alert commits with the effect that raised it (a refused request
commits too, so a wrong PIN is counted), and a fault in the monitor is logged
and undone without costing the cardholder the request.
"""

from __future__ import annotations

import logging

from central import db
from central.db import Connection
from central.risk import Alert, Event, Monitor, SqlRiskStore
from central.risk.settings import RiskSettings
from central.router import Request

__all__ = ["monitor_on", "observe"]

logger = logging.getLogger(__name__)


def monitor_on(conn: Connection, settings: RiskSettings, now: float) -> Monitor:
    """The monitor over ``conn`` (inside the caller's transaction) at the time ``now``."""
    return Monitor(SqlRiskStore(conn), settings, lambda: now)


def observe(req: Request, event: Event) -> list[Alert]:
    """Judge ``event``; the alerts it raised or added to (none if the monitor failed)."""
    savepoint = req.conn.begin_nested()
    try:
        alerts = monitor_on(req.conn, req.settings.risk, req.now).observe(event)
    except Exception as exc:
        savepoint.rollback()
        if db.retryable(exc):  # PostgreSQL: the whole transaction runs again
            raise
        logger.exception("risk monitor failed on a %s event; request goes on", event.kind)
        return []
    savepoint.commit()
    return alerts
