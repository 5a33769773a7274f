"""The issuer's administration over HTTP (``/v1/admin/*``, an admin account's token):
acknowledge alerts, lift a blacklist entry, record a replacement card, add a kiosk,
rotate a kiosk's secret, read the audit trail.

Each operation is a function of a connection and an actor, used by these routes and by
the console commands (``citycard-central ack-alert`` …) alike, and each writes one
``audit_events`` row naming who did it (:mod:`central.admin`). Listing alerts is
:mod:`central.routes.alerts`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from central import db
from central.admin import audit, audit_trail
from central.db import Connection
from central.errors import ApiError
from central.keys import KIOSK_ID, rotate_secret, store_secret
from central.risk import AlertQuery, SqlRiskStore
from central.router import Param, Reply, Request, Route
from central.routes.alerts import alert_view
from central.routes.common import find_card, iso
from central.routes.lifecycle import card_event, replace_card
from central.schemas import (
    MAX_OVERLAP_S,
    BlacklistLift,
    KioskAdd,
    ReplacementRecord,
    SecretRotation,
)

__all__ = ["ROUTES", "acknowledge_alert", "add_kiosk", "lift_blacklist", "record_replacement",
           "rotate_kiosk_secret"]

logger = logging.getLogger(__name__)

#: How long a kiosk's previous secret stays valid after a rotation, unless told.
DEFAULT_OVERLAP_S = 24 * 3600


# -- the operations (HTTP and console) --------------------------------------------------------
def acknowledge_alert(conn: Connection, alert_id: int, actor: str,
                      now: float) -> dict[str, Any]:
    """Mark an alert seen (the first acknowledgement's time stays); its view."""
    cur = db.run(conn, "UPDATE alerts SET acknowledged_at = :now WHERE id = :alert_id"
                 " AND acknowledged_at IS NULL", now=int(now), alert_id=alert_id)
    found = SqlRiskStore(conn).alerts(AlertQuery(before_id=alert_id + 1, limit=1))
    if not found or found[0].id != alert_id:
        raise ApiError("alert_unknown", alert_id=alert_id)
    if cur.rowcount:
        audit(conn, actor, "alert_acknowledged", str(alert_id), now, rule=found[0].rule)
    return alert_view(found[0])


def lift_blacklist(conn: Connection, card_no: str, actor: str, now: float,
                   note: str = "") -> dict[str, Any]:
    """Take a card off the blacklist after review. An overdraft entry that still owes
    is refused (``blacklist_owed``): repaying it lifts it."""
    card = find_card(conn, card_no)
    if card is None:
        raise ApiError("card_unknown", card_no=card_no)
    if card["status"] != "blacklisted":
        raise ApiError("card_not_blacklisted", card_no=card_no, status=card["status"])
    reason = card["blacklist_reason"] or "other"
    if reason == "overdraft" and int(card["owed_fen"]) > 0:
        raise ApiError("blacklist_owed", card_no=card_no, owed_fen=int(card["owed_fen"]))
    db.run(conn, "UPDATE cards SET status = 'active', blacklist_reason = NULL"
           " WHERE card_no = :card_no", card_no=card_no)
    card_event(conn, card_no, "blacklist_lifted", now, by=actor, reason=reason, note=note)
    audit(conn, actor, "blacklist_lifted", card_no, now, previous_reason=reason, note=note)
    logger.info("blacklist entry lifted by %s", actor)
    return {"card_no": card_no, "status": "active", "lifted_at": iso(now),
            "previous_reason": reason}


def record_replacement(conn: Connection, old_no: str, new_no: str, actor: str,
                       now: float) -> dict[str, Any]:
    """:func:`central.routes.lifecycle.replace_card`, audited; its refusals as errors."""
    for card_no in (old_no, new_no):
        if find_card(conn, card_no) is None:
            raise ApiError("card_unknown", card_no=card_no)
    try:
        done = replace_card(conn, old_no, new_no, now)
    except ValueError as exc:
        raise ApiError("replacement_refused", reason=str(exc)) from None
    audit(conn, actor, "card_replaced", old_no, now, new_card_no=new_no,
          confirmed_balance_fen=done["confirmed_balance_fen"])
    return done


def add_kiosk(conn: Connection, kiosk_id: str, actor: str, now: float,
              secret_key: bytes | None, secret: bytes | None = None) -> bytes:
    """Register a new kiosk with ``secret`` (a fresh one if None); the secret."""
    if not KIOSK_ID.match(kiosk_id):
        raise ApiError("validation_error", f"kiosk id {kiosk_id!r} is not valid",
                       field="kiosk_id")
    if db.one(conn, "SELECT 1 FROM kiosks WHERE kiosk_id = :kiosk_id", kiosk_id=kiosk_id):
        raise ApiError("kiosk_exists", kiosk_id=kiosk_id)
    secret = secret or secrets.token_hex(32).encode()
    db.run(conn, "INSERT INTO kiosks (kiosk_id, secret, created_at)"
           " VALUES (:kiosk_id, :secret, :now)", kiosk_id=kiosk_id,
           secret=store_secret(secret_key, kiosk_id, secret), now=int(now))
    audit(conn, actor, "kiosk_added", kiosk_id, now)
    return secret


def rotate_kiosk_secret(conn: Connection, kiosk_id: str, actor: str, now: float,
                        secret_key: bytes | None, overlap_s: int = DEFAULT_OVERLAP_S,
                        secret: bytes | None = None) -> tuple[bytes, int | None]:
    """A new secret for the kiosk, the old one valid ``overlap_s`` more seconds;
    ``(new secret, end of the overlap or None)``."""
    if not 0 <= overlap_s <= MAX_OVERLAP_S:
        raise ApiError("validation_error", f"the overlap must be 0 to {MAX_OVERLAP_S} s",
                       field="overlap_s")
    secret = secret or secrets.token_hex(32).encode()
    try:
        until = rotate_secret(conn, kiosk_id, secret, overlap_s=overlap_s, now=now,
                              material=secret_key)
    except LookupError:
        raise ApiError("kiosk_unknown", kiosk_id=kiosk_id) from None
    audit(conn, actor, "kiosk_secret_rotated", kiosk_id, now, overlap_s=overlap_s)
    logger.info("kiosk %s: secret rotated by %s, the old one valid %d s more", kiosk_id,
                actor, overlap_s)
    return secret, (until if overlap_s else None)


# -- HTTP ------------------------------------------------------------------------------------
def _ack(req: Request) -> Reply:
    return Reply(200, acknowledge_alert(req.conn, int(req.params["alert_id"]), req.admin,
                                        req.now))


def _lift(req: Request) -> Reply:
    return Reply(200, lift_blacklist(req.conn, req.params["card_no"], req.admin, req.now,
                                     (req.body or {}).get("note", "")))


def _replace(req: Request) -> Reply:
    return Reply(201, record_replacement(req.conn, req.params["card_no"],
                                         req.body["new_card_no"], req.admin, req.now))


def _secret_view(kiosk_id: str, secret: bytes, until: int | None) -> dict[str, Any]:
    return {"kiosk_id": kiosk_id, "secret": secret.decode(), "previous_valid_until": iso(until)}


def _add_kiosk(req: Request) -> Reply:
    kiosk_id = req.body["kiosk_id"]
    secret = add_kiosk(req.conn, kiosk_id, req.admin, req.now, req.settings.secret_key)
    return Reply(201, _secret_view(kiosk_id, secret, None))


def _rotate(req: Request) -> Reply:
    kiosk_id = req.params["kiosk_id"]
    secret, until = rotate_kiosk_secret(
        req.conn, kiosk_id, req.admin, req.now, req.settings.secret_key,
        (req.body or {}).get("overlap_s", DEFAULT_OVERLAP_S))
    return Reply(200, _secret_view(kiosk_id, secret, until))


def _audit(req: Request) -> Reply:
    limit = int(req.query.get("limit", 100))
    found = audit_trail(req.conn, limit=limit + 1, before_id=req.query.get("before_id"))
    page = found[:limit]
    return Reply(200, {"events": [{**e, "at": iso(e["at"])} for e in page],
                       "next_before_id": page[-1]["id"] if len(found) > limit else None})


_ADMIN = ("Needs `Authorization: Bearer <admin token>` (an admin account: "
          "`citycard-central add-admin NAME`); recorded in the audit trail with the "
          "account's name.")

ROUTES = [
    Route("POST", "/v1/admin/alerts/{alert_id}/acknowledge", _ack, "acknowledgeAlert",
          "Acknowledge a risk alert", "admin", response="Alert", auth=False, admin=True,
          errors=("alert_unknown",),
          description="An acknowledged alert stops folding new hits: the next hit of its "
                      "rule opens a new alert. Acknowledging twice keeps the first time. "
                      + _ADMIN),
    Route("POST", "/v1/admin/cards/{card_no}/blacklist/lift", _lift, "liftBlacklist",
          "Take a card off the blacklist after review", "admin", response="BlacklistLifted",
          auth=False, admin=True,
          body=BlacklistLift,
          errors=("card_unknown", "card_not_blacklisted", "blacklist_owed"),
          description="An overdraft entry that still owes is refused (blacklist_owed): "
                      "repaying at a kiosk lifts it. " + _ADMIN),
    Route("POST", "/v1/admin/cards/{card_no}/replacement", _replace, "recordReplacement",
          "Record a replacement card for a lost one (补卡); its balance moves after the "
          "hold", "admin", status=201, response="Replacement", auth=False, admin=True,
          body=ReplacementRecord,
          errors=("card_unknown", "replacement_refused"),
          description="card_no is the lost card, new_card_no the active card issued in "
                      "its place. The holder then moves the balance at a kiosk "
                      "(createTransfer) once the hold (transfer_hold_s) is over. " + _ADMIN),
    Route("POST", "/v1/admin/kiosks", _add_kiosk, "addKiosk",
          "Register a kiosk; answers its new secret once", "admin", status=201,
          response="KioskSecret", auth=False, admin=True,
          body=KioskAdd,
          errors=("kiosk_exists",),
          description="The secret goes into the kiosk's secret file (0600); the server keeps "
                      "it encrypted under its server key. " + _ADMIN),
    Route("POST", "/v1/admin/kiosks/{kiosk_id}/rotate-secret", _rotate, "rotateKioskSecret",
          "Give a kiosk a new secret; the old one stays valid for the overlap", "admin",
          response="KioskSecret", auth=False, admin=True,
          body=SecretRotation,
          errors=("kiosk_unknown",),
          description="Requests signed with either secret are accepted until "
                      "previous_valid_until; kioskd signs with the new one as soon as its "
                      "secret file holds it (docs/operations.md, 'Rotating a kiosk "
                      "secret'). " + _ADMIN),
    Route("GET", "/v1/admin/audit", _audit, "listAuditEvents",
          "The audit trail, newest first: who did what", "admin", response="AuditPage",
          auth=False, admin=True,
          query=(Param("before_id", {"type": "integer", "minimum": 1},
                       "next_before_id of the previous page"),
                 Param("limit", {"type": "integer", "minimum": 1, "maximum": 500},
                       "page size (default 100)")),
          description=_ADMIN),
]
