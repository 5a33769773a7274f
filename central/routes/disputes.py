"""Disputes (疑似盗刷): "I did not make this" on one of the card's own transactions.

A dispute opens a ticket with the transaction's reference (its central id and,
for a load or payment, its order) for the back office, once per transaction.
The holder may report the card lost in the same request (with the payment
password or the ID's last 6, checked and counted like any loss report): both
happen together or neither does. A transaction of another card, or none, is
refused alike (``transaction_unknown``): the answer tells nothing about other
cards' transactions.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from central import db
from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.cards import mark_lost
from central.routes.common import CHINA, card_or_404, iso, next_counter
from central.routes.lifecycle import card_event
from central.routes.pin import check_identity, check_pin_of
from protocol import central as c

__all__ = ["ROUTES"]

logger = logging.getLogger(__name__)


def open_dispute(req: Request) -> Reply:
    conn, now, body = req.conn, int(req.now), req.body
    card = card_or_404(conn, req.params["card_no"])
    tx = db.one(conn, "SELECT id, occurred_at, kind, amount_fen, order_id, terminal_id"
                " FROM transactions WHERE id = :id AND card_no = :card_no",
                id=body["transaction_id"], card_no=card["card_no"])
    if tx is None:
        raise ApiError("transaction_unknown", transaction_id=body["transaction_id"])
    earlier = db.one(conn, "SELECT ticket_no FROM disputes WHERE transaction_id = :id",
                     id=tx["id"])
    if earlier is not None:
        raise ApiError("dispute_exists", ticket_no=earlier["ticket_no"])
    report_no = None
    if "pin_block" in body or "id_last6" in body:
        # Checked (and counted) before anything is written: a wrong proof files nothing.
        if "pin_block" in body:
            check_pin_of(req, card["card_no"], card, body["pin_block"])
        else:
            check_identity(req, card["card_no"], card, body["id_last6"])
        report_no = mark_lost(conn, card, now)
    day = dt.datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d")
    ticket_no = f"D{day}{next_counter(conn, 'dispute'):06d}"
    db.run(conn, "INSERT INTO disputes (ticket_no, card_no, transaction_id, kiosk_id,"
           " loss_report_no, created_at) VALUES (:ticket_no, :card_no, :tx_id, :kiosk_id,"
           " :report_no, :now)", ticket_no=ticket_no, card_no=card["card_no"], tx_id=tx["id"],
           kiosk_id=req.kiosk_id, report_no=report_no, now=now)
    card_event(conn, card["card_no"], "dispute_opened", now, ticket_no=ticket_no,
               transaction_id=tx["id"], loss_report_no=report_no)
    logger.info("dispute %s opened", ticket_no)
    transaction: dict[str, Any] = {
        "id": tx["id"], "occurred_at": iso(tx["occurred_at"]), "kind": tx["kind"],
        "amount_fen": tx["amount_fen"], "order_id": tx["order_id"],
        "terminal_id": tx["terminal_id"]}
    return Reply(201, {"ticket_no": ticket_no, "card_no": card["card_no"],
                       "transaction": transaction, "loss_report_no": report_no,
                       "created_at": iso(now)})


ROUTES = [
    Route("POST", "/v1/cards/{card_no}/disputes", open_dispute, "openDispute",
          "Dispute one of the card's transactions (疑似盗刷); optionally report the card lost "
          "in the same request", "cards", status=201, response="Dispute",
          idempotency="optional",
          body=c.DisputeCreate,
          errors=("card_unknown", "transaction_unknown", "dispute_exists", "identity_mismatch",
                  "identity_locked", "pin_not_set", "pin_wrong", "pin_locked",
                  "pin_block_invalid", "card_lost", "card_blacklisted"),
          description="A transaction that is not this card's is refused like one that does "
                      "not exist. One ticket per transaction (dispute_exists names it). With "
                      "a proof, the card is reported lost too: both or neither."),
]
