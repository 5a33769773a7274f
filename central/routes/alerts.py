"""Risk alerts for the issuer's staff: ``GET /v1/admin/alerts`` (admin token, not a kiosk).

The monitor itself is :mod:`central.risk`; the routes feed it through
:mod:`central.routes.riskfeed`. :func:`alert_view` is the one shape of an
alert, for the API and for ``citycard-central alerts --json`` alike.
"""

from __future__ import annotations

from typing import Any

from central.risk import RULES, Alert, AlertQuery, SqlRiskStore
from central.router import Param, Reply, Request, Route
from central.routes.common import iso
from central.schemas import CARD_NO

__all__ = ["ROUTES", "alert_view", "list_alerts"]

_MAX_LIMIT = 500


def alert_view(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "rule": alert.rule, "severity": alert.severity,
            "subject_kind": alert.subject_kind, "subject": alert.subject,
            "kiosk_id": alert.kiosk_id, "first_at": iso(alert.first_at),
            "last_at": iso(alert.last_at), "hits": alert.hits, "details": alert.details,
            "card_blacklisted": alert.card_blacklisted,
            "acknowledged_at": iso(alert.acknowledged_at)}


def list_alerts(req: Request) -> Reply:
    q = req.query
    limit = int(q.get("limit", 100))
    found = SqlRiskStore(req.conn).alerts(AlertQuery(
        rule=q.get("rule"), severity=q.get("severity"), since=q.get("since"),
        card_no=q.get("card_no"), kiosk_id=q.get("kiosk_id"), before_id=q.get("before_id"),
        limit=limit + 1))
    page = found[:limit]
    return Reply(200, {"alerts": [alert_view(a) for a in page],
                       "next_before_id": page[-1].id if len(found) > limit else None})


ROUTES = [
    Route("GET", "/v1/admin/alerts", list_alerts, "listAlerts",
          "Risk alerts (风险预警), newest first", "admin", response="AlertPage",
          auth=False, admin=True,
          query=(Param("rule", {"type": "string", "enum": list(RULES)}, "only this rule"),
                 Param("severity", {"type": "string", "enum": ["medium", "high"]},
                       "only this severity"),
                 Param("since", {"type": "integer", "minimum": 0},
                       "only alerts hit at or after this time (Unix seconds)"),
                 Param("card_no", CARD_NO, "only alerts on this card"),
                 Param("kiosk_id", {"type": "string",
                                    "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
                       "only alerts raised at this kiosk"),
                 Param("before_id", {"type": "integer", "minimum": 1},
                       "next_before_id of the previous page"),
                 Param("limit", {"type": "integer", "minimum": 1, "maximum": _MAX_LIMIT},
                       "page size (default 100)")),
          description="Needs `Authorization: Bearer <admin token>` (the server's "
                      "--admin-token-file), not a kiosk signature; without a configured "
                      "token the route answers 401 unauthorized (reason admin_disabled). "
                      "See docs/operations.md, 'Risk rules and alerts'."),
]
