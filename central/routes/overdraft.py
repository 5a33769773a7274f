"""Overdraft and the blacklist (恶意透支 / 失信名单).

A card is blacklisted for a reason: ``overdraft`` (it rode on credit the
holder has not paid back: ``owed_fen``), ``fraud`` or ``other``. Only an
overdraft can be cleared at a kiosk: cash is taken as a repayment, first
against the debt (``POST /v1/cards/{card_no}/repayments``), and the rest is
loaded onto the card as any top-up. When the debt is paid in full the centre
lifts the blacklist entry at once (a ``blacklist_lifted`` card event); any
other reason refuses every money service, and the holder is sent to the
hotline or a service outlet.
"""

from __future__ import annotations

import logging
from typing import Any

from central import db
from central.db import RowMapping
from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.common import card_or_404, iso, new_order_id
from central.routes.lifecycle import card_event
from protocol import central as c

__all__ = ["ROUTES", "blacklist_view"]

logger = logging.getLogger(__name__)

REASONS = ("overdraft", "fraud", "other")


def blacklist_view(card: RowMapping) -> dict[str, Any] | None:
    """Why a blacklisted card is, and what an overdraft owes; None for any other card."""
    if card["status"] != "blacklisted":
        return None
    reason = card["blacklist_reason"] if card["blacklist_reason"] in REASONS else "other"
    return {"reason": reason, "owed_fen": int(card["owed_fen"]) if reason == "overdraft" else 0}


def repay(req: Request) -> Reply:
    conn, now = req.conn, int(req.now)
    card = card_or_404(conn, req.params["card_no"])
    view = blacklist_view(card)
    if view is None or view["reason"] != "overdraft" or view["owed_fen"] == 0:
        raise ApiError("repayment_none", card_no=card["card_no"], status=card["status"])
    amount, owed = req.body["amount_fen"], view["owed_fen"]
    if amount > owed:
        raise ApiError("repayment_amount", owed_fen=owed)
    left = owed - amount
    repayment_id = new_order_id("RP")
    db.run(conn, "UPDATE cards SET owed_fen = :left WHERE card_no = :card_no",
           left=left, card_no=card["card_no"])
    db.run(conn, "INSERT INTO transactions (card_no, occurred_at, kind, amount_fen,"
           " terminal_id, order_id) VALUES (:card_no, :now, 'repayment', :amount,"
           " :terminal_id, :repayment_id)", card_no=card["card_no"], now=now, amount=amount,
           terminal_id=req.body.get("terminal_id"), repayment_id=repayment_id)
    card_event(conn, card["card_no"], "repayment", now, repayment_id=repayment_id,
               amount_fen=amount, owed_fen=left)
    if left == 0:
        db.run(conn, "UPDATE cards SET status = 'active', blacklist_reason = NULL"
               " WHERE card_no = :card_no", card_no=card["card_no"])
        card_event(conn, card["card_no"], "blacklist_lifted", now, reason="overdraft",
                   repayment_id=repayment_id)
        logger.info("overdraft repaid: blacklist entry lifted (%s)", repayment_id)
    return Reply(201, {"repayment_id": repayment_id, "card_no": card["card_no"],
                       "amount_fen": amount, "owed_before_fen": owed, "owed_fen": left,
                       "lifted": left == 0, "status": "active" if left == 0 else "blacklisted",
                       "repaid_at": iso(now)})


ROUTES = [
    Route("POST", "/v1/cards/{card_no}/repayments", repay, "repayOverdraft",
          "Repay a blacklisted card's overdraft with cash taken at a kiosk; the blacklist "
          "entry is lifted once nothing is owed", "cards", status=201, response="Repayment",
          idempotency="required",
          body=c.RepaymentCreate,
          errors=("card_unknown", "repayment_none", "repayment_amount"),
          description="Only a card blacklisted for overdraft takes a repayment. The debt "
                      "goes down by amount_fen; at zero the card is active again at once "
                      "(status active, lifted true; an audit event). Needs an "
                      "Idempotency-Key: a retry answers the first repayment."),
]
