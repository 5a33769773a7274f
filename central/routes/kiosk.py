"""The kiosk's own business with the central side: notices, help, feedback, heartbeat,
events."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from central import db
from central.risk import AuditReport, Heartbeat
from central.router import Reply, Request, Route
from central.routes.common import CHINA, iso, next_counter
from central.routes.riskfeed import observe
from protocol import central as c
from protocol.helpdoc import parse_help

__all__ = ["ROUTES", "read_help"]

logger = logging.getLogger(__name__)


def notices(req: Request) -> Reply:
    now = int(req.now)
    rows = db.rows(req.conn, "SELECT * FROM notices WHERE ends_at > :now "
                   "ORDER BY starts_at, notice_id", now=now)
    return Reply(200, {"notices": [
        {"notice_id": r["notice_id"], "kind": r["kind"], "title": r["title"],
         "title_zh": r["title_zh"], "body": r["body"], "body_zh": r["body_zh"],
         "starts_at": iso(r["starts_at"]), "ends_at": iso(r["ends_at"]),
         "active": r["starts_at"] <= now} for r in rows]})


def read_help(path: Path) -> Any:
    """The help document in ``path``, checked (OSError, ValueError)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    parse_help(data)
    return data


def help_document(req: Request) -> Reply:
    # Read on each request, so the issuer's edit reaches the kiosks at their next
    # heartbeat; an edit that breaks it is a server fault (500), logged here.
    return Reply(200, read_help(req.settings.help_file))


def feedback(req: Request) -> Reply:
    now = int(req.now)
    body = req.body
    day = dt.datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d")
    ticket = f"FB{day}{next_counter(req.conn, 'feedback'):06d}"
    db.run(req.conn,
           "INSERT INTO feedback (ticket_no, kiosk_id, category, text, phone, card_no,"
           " created_at) VALUES (:ticket, :kiosk_id, :category, :text, :phone, :card_no, :now)",
           ticket=ticket, kiosk_id=req.kiosk_id, category=body["category"], text=body["text"],
           phone=body.get("phone"), card_no=body.get("card_no"), now=now)
    logger.info("feedback ticket %s (%s)", ticket, body["category"])
    return Reply(201, {"ticket_no": ticket, "created_at": iso(now)})


def heartbeat(req: Request) -> Reply:
    now = int(req.now)
    db.run(req.conn, "UPDATE kiosks SET last_seen_at = :now, last_status = :status "
           "WHERE kiosk_id = :kiosk_id", now=now,
           status=json.dumps(req.body, ensure_ascii=False), kiosk_id=req.kiosk_id)
    observe(req, Heartbeat(req.kiosk_id))
    windows = db.rows(
        req.conn, "SELECT starts_at, ends_at FROM notices WHERE kind = 'maintenance' "
        "AND ends_at > :now ORDER BY starts_at, notice_id", now=now)
    active = [w["ends_at"] for w in windows if w["starts_at"] <= now]
    coming = [w for w in windows if w["starts_at"] > now]
    # The window's ends (and the next start) let the kiosk act on time between
    # heartbeats, on its own clock, instead of at the next answer.
    return Reply(200, {"kiosk_id": req.kiosk_id, "server_time": now,
                       "maintenance": bool(active),
                       "maintenance_until": max(active) if active else None,
                       "next_maintenance": ({"starts_at": coming[0]["starts_at"],
                                             "ends_at": coming[0]["ends_at"]}
                                            if coming else None)})


def events(req: Request) -> Reply:
    accepted = duplicates = 0
    for event in req.body["events"]:
        cur = db.run(
            req.conn, "INSERT INTO kiosk_events (kiosk_id, event_id, kind, occurred_at, data,"
            " received_at) VALUES (:kiosk_id, :event_id, :kind, :occurred_at, :data, :now)"
            " ON CONFLICT DO NOTHING", kiosk_id=req.kiosk_id, event_id=event["event_id"],
            kind=event["kind"], occurred_at=event["occurred_at"],
            data=json.dumps(event.get("data", {}), ensure_ascii=False), now=int(req.now))
        if cur.rowcount:
            accepted += 1
            if event["kind"] == "settlement":
                _audit_report(req, event.get("data", {}))
        else:
            duplicates += 1
    return Reply(200, {"accepted": accepted, "duplicates": duplicates})


def _audit_report(req: Request, data: dict[str, Any]) -> None:
    """A kiosk's Z report (daemon/settlement.py) as a risk event: ``loads_owed`` is
    ``[count, fen]`` of loads whose cash is owed back to customers."""
    owed = data.get("loads_owed")
    if (isinstance(owed, list) and len(owed) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in owed)):
        reference = data.get("reference")
        observe(req, AuditReport(req.kiosk_id, owed[1], owed[0],
                                 reference if isinstance(reference, str) else ""))


ROUTES = [
    Route("GET", "/v1/notices", notices, "listNotices",
          "Announcements and maintenance windows, current and coming", "kiosk",
          response="Notices"),
    Route("GET", "/v1/help", help_document, "getHelp",
          "Help and emergency guides (应急处理指南), both languages", "kiosk",
          response="HelpDocument",
          description="Sections use, lost, pin, fraud, damaged, outlets and hotline at "
                      "least; {hotline} in a text is the kiosk's own hotline."),
    Route("POST", "/v1/feedback", feedback, "createFeedback",
          "A complaint or feedback ticket", "kiosk", status=201, response="FeedbackTicket",
          idempotency="optional",
          body=c.Feedback,
          description="With an Idempotency-Key a resent ticket is not filed twice."),
    Route("POST", "/v1/kiosk/heartbeat", heartbeat, "heartbeat",
          "The kiosk's periodic status", "kiosk", response="HeartbeatAck",
          body=c.Heartbeat),
    Route("POST", "/v1/kiosk/events", events, "uploadEvents",
          "Upload kiosk events (faults, cashbox collections, settlements)", "kiosk",
          response="EventsAck", idempotency="optional",
          body=c.EventBatch,
          description="Each event is stored once per (kiosk, event_id)."),
]
