"""Utility bills and paying them from the card's e-purse (purchase orders).

The central side stands in for the terminal's PSAM: it assigns the terminal
transaction serial, computes MAC1 for DEBIT FOR PURCHASE and checks the card's
MAC2 and TAC (formulas in :mod:`protocol.pboc.secure`). States::

    created ──mac1──▶ mac1_issued ──confirm──▶ completed (bill paid)
       └────────┴──cancel──▶ cancelled

Cancel after MAC1 only once the card log shows no debit for this order.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.risk import Tear
from central.router import Reply, Request, Route
from central.routes.common import (
    CARD_STATE_ERRORS,
    card_or_404,
    iso,
    mask_name,
    new_order_id,
    next_counter,
    require_usable,
)
from central.routes.orders import (
    NEXT_CARD_SEQ,
    cancel_order,
    check_record,
    host_datetime,
    idempotency_note,
    is_repeat_confirm,
    mark_completed,
    order_of,
    order_state,
    parse_init,
    refuse_moved_counter,
)
from central.routes.pin import check_pin
from central.routes.riskfeed import observe
from central.schemas import query_params
from protocol import central as c
from protocol.pboc.secure import (
    PURCHASE_TYPE,
    InitPurchase,
    purchase_mac1,
    purchase_mac2,
    purchase_session_key,
    purchase_tac,
)

__all__ = ["ROUTES", "bill_view", "purchase_view"]

logger = logging.getLogger(__name__)

OPEN = ("created", "mac1_issued")


def bill_view(row: RowMapping, threshold_fen: int) -> dict[str, Any]:
    return {
        "bill_id": row["bill_id"], "utility": row["utility"], "account_no": row["account_no"],
        "payee": row["payee"], "payee_zh": row["payee_zh"],
        "holder_name_masked": mask_name(row["holder_name"]), "period": row["period"],
        "amount_due_fen": row["amount_due_fen"], "due_date": row["due_date"],
        "status": row["status"], "pin_required": row["amount_due_fen"] > threshold_fen,
    }


def purchase_view(row: RowMapping) -> dict[str, Any]:
    before = row["balance_before_fen"]
    done = row["status"] == "completed"
    return {
        "order_id": row["order_id"], "card_no": row["card_no"], "bill_id": row["bill_id"],
        "amount_fen": row["amount_fen"], "status": row["status"],
        "terminal_id": row["terminal_id"], "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]), "balance_before_fen": before,
        "balance_after_fen": before - row["amount_fen"] if done and before is not None else None,
        "offline_counter": row["counter"], "terminal_seq": row["terminal_seq"],
        "mac1": row["mac2"], "host_date": row["host_date"], "host_time": row["host_time"],
        "confirmed_by": row["confirmed_by"],
    }


def _order(conn: Connection, order_id: str) -> RowMapping:
    return order_of(conn, order_id, "purchase")


def _bill(conn: Connection, bill_id: str) -> RowMapping:
    row = db.one(conn, "SELECT * FROM bills WHERE bill_id = :bill_id", bill_id=bill_id)
    if row is None:
        raise ApiError("bill_not_found", bill_id=bill_id)
    return row



def find_bill(req: Request) -> Reply:
    row = db.one(req.conn, "SELECT * FROM bills WHERE utility = :utility AND account_no = "
                 ":account_no ORDER BY status = 'unpaid' DESC, period DESC LIMIT 1",
                 utility=req.query["utility"], account_no=req.query["account_no"])
    if row is None:
        raise ApiError("bill_not_found", utility=req.query["utility"])
    return Reply(200, bill_view(row, req.settings.bill_pin_threshold_fen))


def create(req: Request) -> Reply:
    conn, body, now = req.conn, req.body, int(req.now)
    card = card_or_404(conn, body["card_no"])
    require_usable(req, card, "payment")
    bill = _bill(conn, body["bill_id"])
    if bill["status"] == "paid":
        raise ApiError("bill_already_paid", bill_id=bill["bill_id"])
    if body["amount_fen"] != bill["amount_due_fen"]:
        raise ApiError("amount_mismatch", amount_due_fen=bill["amount_due_fen"])
    if bill["amount_due_fen"] > req.settings.bill_pin_threshold_fen:
        if "pin_block" not in body:
            raise ApiError("pin_required", threshold_fen=req.settings.bill_pin_threshold_fen)
        check_pin(req, card, body["pin_block"])
    order_id = new_order_id("PO")
    db.run(conn,
           "INSERT INTO orders (order_id, kind, source, card_no, amount_fen, terminal_id,"
           " kiosk_id, status, created_at, updated_at, bill_id, card_seq) VALUES (:order_id,"
           " 'purchase', 'e_purse', :card_no, :amount, :terminal_id, :kiosk_id, 'created',"
           f" :now, :now, :bill_id, {NEXT_CARD_SEQ})",
           order_id=order_id, card_no=card["card_no"], amount=body["amount_fen"],
           terminal_id=body["terminal_id"].upper(), kiosk_id=req.kiosk_id, now=now,
           bill_id=bill["bill_id"])
    logger.info("purchase order %s created for bill %s", order_id, bill["bill_id"])
    return Reply(201, purchase_view(_order(conn, order_id)))


def get(req: Request) -> Reply:
    return Reply(200, purchase_view(_order(req.conn, req.params["order_id"])))


def mac1(req: Request) -> Reply:
    conn, now = req.conn, req.now
    row = _order(conn, req.params["order_id"])
    if row["status"] not in OPEN:
        raise order_state(row, "take a MAC1")
    card = card_or_404(conn, row["card_no"])
    require_usable(req, card, "payment")
    bill = _bill(conn, row["bill_id"])
    if bill["status"] == "paid":
        raise ApiError("bill_already_paid", bill_id=bill["bill_id"])
    other = db.one(conn, "SELECT order_id FROM orders WHERE bill_id = :bill_id "
                   "AND status = 'mac1_issued' AND order_id != :order_id",
                   bill_id=row["bill_id"], order_id=row["order_id"])
    if other is not None:
        raise order_state(row, "take a MAC1 while another order pays this bill",
                     other_order_id=other["order_id"])
    init = parse_init(InitPurchase.parse, req.body["init_response"], req.keys)
    refuse_moved_counter(row, "mac1_issued", init, "MAC1", "offline_counter")
    if init.balance_fen < row["amount_fen"]:
        raise ApiError("insufficient_balance", balance_fen=init.balance_fen,
                       amount_fen=row["amount_fen"])
    terminal = bytes.fromhex(row["terminal_id"])
    seq = next_counter(conn, f"psam:{row['terminal_id']}") & 0xFFFFFFFF
    date, time_ = host_datetime(now)
    keys = req.keys.card_keys(row["card_no"])
    sespk = purchase_session_key(keys.dpk, init.random, init.offline_counter, seq)
    mac = purchase_mac1(sespk, row["amount_fen"], terminal, bytes.fromhex(date),
                        bytes.fromhex(time_))
    db.run(conn,
           "UPDATE orders SET status = 'mac1_issued', balance_before_fen = :balance, "
           "counter = :counter, card_random = :random, host_date = :date, host_time = :time, "
           "mac2 = :mac, terminal_seq = :seq, updated_at = :now WHERE order_id = :order_id",
           balance=init.balance_fen, counter=init.counter, random=init.random.hex().upper(),
           date=date, time=time_, mac=mac.hex().upper(), seq=seq, now=int(now),
           order_id=row["order_id"])
    return Reply(200, purchase_view(_order(conn, row["order_id"])))


def _check_card_macs(req: Request, row: RowMapping, tac: str, mac2: str) -> None:
    keys = req.keys.card_keys(row["card_no"])
    sespk = purchase_session_key(keys.dpk, bytes.fromhex(row["card_random"]),
                                 int(row["counter"]).to_bytes(2, "big"), row["terminal_seq"])
    if not hmac.compare_digest(bytes.fromhex(mac2), purchase_mac2(sespk, row["amount_fen"])):
        logger.warning("purchase order %s: MAC2 invalid", row["order_id"])
        raise ApiError("mac2_invalid", order_id=row["order_id"])
    expected = purchase_tac(keys.dtk, row["amount_fen"], bytes.fromhex(row["terminal_id"]),
                            row["terminal_seq"], bytes.fromhex(row["host_date"]),
                            bytes.fromhex(row["host_time"]))
    if not hmac.compare_digest(bytes.fromhex(tac), expected):
        logger.warning("purchase order %s: TAC invalid", row["order_id"])
        raise ApiError("tac_invalid", order_id=row["order_id"])


def confirm(req: Request) -> Reply:
    conn = req.conn
    row = _order(conn, req.params["order_id"])
    tac, record = req.body.get("tac"), req.body.get("card_record")
    if is_repeat_confirm(row, tac, record, PURCHASE_TYPE):
        return Reply(200, purchase_view(row))
    if row["status"] != "mac1_issued":
        raise order_state(row, "be confirmed before its MAC1")
    if record is None:
        _check_card_macs(req, row, tac, req.body["mac2"])
        how = "tac"
    else:
        check_record(row, record, PURCHASE_TYPE)
        how = "card_record"
        tac = None
    now = int(req.now)
    bill = _bill(conn, row["bill_id"])
    mark_completed(conn, row, tac, how, now)
    db.run(conn, "UPDATE bills SET status = 'paid', paid_at = :now, paid_order_id = :order_id "
           "WHERE bill_id = :bill_id", now=now, order_id=row["order_id"], bill_id=row["bill_id"])
    db.run(conn,
           "INSERT INTO transactions (card_no, occurred_at, kind, amount_fen, balance_after_fen,"
           " merchant, terminal_id, order_id) VALUES (:card_no, :now, 'bill_payment', :amount,"
           " :after, :merchant, :terminal_id, :order_id)",
           card_no=row["card_no"], now=now, amount=-row["amount_fen"],
           after=row["balance_before_fen"] - row["amount_fen"], merchant=bill["payee_zh"],
           terminal_id=row["terminal_id"], order_id=row["order_id"])
    logger.info("purchase order %s completed by %s", row["order_id"], how)
    if how == "card_record":
        observe(req, Tear(row["card_no"], req.kiosk_id, row["order_id"]))
    return Reply(200, purchase_view(_order(conn, row["order_id"])))


def cancel(req: Request) -> Reply:
    row = _order(req.conn, req.params["order_id"])
    if not cancel_order(req.conn, row, OPEN, "be cancelled", int(req.now)):
        return Reply(200, purchase_view(row))
    return Reply(200, purchase_view(_order(req.conn, row["order_id"])))


_KEYED = idempotency_note("purchase")

ROUTES = [
    Route("GET", "/v1/bills", find_bill, "findBill",
          "Look up a utility bill by utility and account number", "bills", response="Bill",
          query=query_params(c.BillQuery),
          errors=("bill_not_found",),
          description="The newest unpaid bill of the account, else its newest paid one."),
    Route("POST", "/v1/purchase-orders", create, "createPurchaseOrder",
          "Start paying a bill from the card's e-purse", "bills", status=201,
          response="PurchaseOrder", idempotency="required",
          body=c.PurchaseOrderCreate,
          errors=("card_unknown", *CARD_STATE_ERRORS, "bill_not_found", "bill_already_paid",
                  "amount_mismatch", "pin_required", "pin_wrong", "pin_locked", "pin_not_set",
                  "pin_block_invalid"),
          description="pin_block is required when the bill's pin_required is true. " + _KEYED),
    Route("GET", "/v1/purchase-orders/{order_id}", get, "getPurchaseOrder", "A purchase order",
          "bills", response="PurchaseOrder", errors=("order_unknown",)),
    Route("POST", "/v1/purchase-orders/{order_id}/mac1", mac1, "issuePurchaseMac1",
          "Issue MAC1 (and terminal serial, host date-time) for DEBIT FOR PURCHASE", "bills",
          response="PurchaseOrder", idempotency="required",
          body=c.InitForPurchase,
          errors=("order_unknown", "order_state", "card_unknown", *CARD_STATE_ERRORS,
                  "bill_not_found", "bill_already_paid", "insufficient_balance"),
          description="Answers mac1, terminal_seq, host_date and host_time. " + _KEYED),
    Route("POST", "/v1/purchase-orders/{order_id}/confirm", confirm, "confirmPurchaseOrder",
          "Confirm a bill payment with the card's TAC and MAC2, or its log record", "bills",
          response="PurchaseOrder", idempotency="required",
          body=c.PurchaseConfirm,
          errors=("order_unknown", "order_state", "mac2_invalid", "tac_invalid",
                  "evidence_mismatch", "bill_not_found"),
          description="Marks the bill paid. " + _KEYED),
    Route("POST", "/v1/purchase-orders/{order_id}/cancel", cancel, "cancelPurchaseOrder",
          "Cancel a bill payment that the card did not debit", "bills",
          response="PurchaseOrder", idempotency="required",
          body=c.PurchaseCancel,
          errors=("order_unknown", "order_state"),
          description="After MAC1, cancel only when the card's log shows no debit. " + _KEYED),
]
