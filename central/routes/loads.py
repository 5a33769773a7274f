"""Load orders (圈存): create with limits, MAC1 → MAC2, confirm by TAC or card log, cancel.

States::

    created ──mac2──▶ mac2_issued ──confirm──▶ completed
       │                  │ ▲
       └─cancel─▶ cancelled └─┘ mac2 again while the card's online counter has
                                not moved (the card was not credited: new session)

An order in ``created`` or ``mac2_issued`` is a *pending load* for its card;
any kiosk may finish it at the card's next tap.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import Any

from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.common import (
    CHINA,
    card_or_404,
    china_day_start,
    iso,
    new_order_id,
    require_usable,
)
from central.schemas import AMOUNT, CARD_NO, TERMINAL_ID, hexbytes
from central.security import (
    LOAD_TYPE,
    CardRecord,
    InitLoad,
    load_mac1,
    load_mac2,
    load_session_key,
    load_tac,
)
from central.settings import Settings

__all__ = ["ROUTES", "create_load", "is_repeat_confirm", "load_limits", "load_view",
           "loaded_today", "mark_completed", "order_state", "pending_loads"]

logger = logging.getLogger(__name__)

PENDING = ("created", "mac2_issued")


def load_view(row: sqlite3.Row) -> dict[str, Any]:
    before = row["balance_before_fen"]
    done = row["status"] == "completed"
    return {
        "order_id": row["order_id"], "card_no": row["card_no"],
        "amount_fen": row["amount_fen"], "source": row["source"], "status": row["status"],
        "terminal_id": row["terminal_id"], "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]), "points_used": row["points_used"],
        "balance_before_fen": before,
        "balance_after_fen": before + row["amount_fen"] if done and before is not None else None,
        "online_counter": row["counter"], "mac2": row["mac2"], "host_date": row["host_date"],
        "host_time": row["host_time"], "confirmed_by": row["confirmed_by"],
    }


def pending_loads(conn: sqlite3.Connection, card_no: str) -> list[sqlite3.Row]:
    return list(conn.execute(
        "SELECT * FROM orders WHERE card_no = ? AND kind = 'load' AND status IN (?, ?) "
        "ORDER BY created_at, rowid", (card_no, *PENDING)))


def _order(conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM orders WHERE order_id = ? AND kind = 'load'", (order_id,)).fetchone()
    if row is None:
        raise ApiError("order_unknown", order_id=order_id)
    return row


def order_state(row: sqlite3.Row, action: str, **details: Any) -> ApiError:
    """``order_state``: this order's status does not allow ``action``."""
    return ApiError("order_state", f"A {row['status']} {row['kind']} order cannot {action}.",
                    order_id=row["order_id"], status=row["status"], **details)



def loaded_today(conn: sqlite3.Connection, card_no: str, now: float) -> int:
    """Fen in this card's load orders today (China time), cancelled ones excepted."""
    return int(conn.execute(
        "SELECT COALESCE(SUM(amount_fen), 0) FROM orders WHERE card_no = ? AND kind = 'load' "
        "AND status != 'cancelled' AND created_at >= ?",
        (card_no, china_day_start(int(now)))).fetchone()[0])


def load_limits(conn: sqlite3.Connection, card_no: str, now: float,
                settings: Settings) -> dict[str, int]:
    """The limits a kiosk shows before the first note (the card's balance is on the card)."""
    used = loaded_today(conn, card_no, now)
    return {"single_max_fen": settings.single_load_max_fen,
            "daily_max_fen": settings.daily_load_max_fen, "daily_used_fen": used,
            "daily_remaining_fen": max(0, settings.daily_load_max_fen - used),
            "purse_cap_fen": settings.purse_cap_fen}


def create_load(req: Request, card: sqlite3.Row, amount: int, terminal_id: str, *,
                source: str = "cash", points_used: int = 0,
                balance_fen: int | None = None) -> sqlite3.Row:
    """Check the limits and insert a ``created`` order (inside the request's transaction)."""
    settings: Settings = req.settings
    conn, now = req.conn, int(req.now)
    require_usable(card, now)
    if amount > settings.single_load_max_fen:
        raise ApiError("limit_single", limit_fen=settings.single_load_max_fen)
    used = loaded_today(conn, card["card_no"], now)
    if used + amount > settings.daily_load_max_fen:
        raise ApiError("limit_daily", limit_fen=settings.daily_load_max_fen, used_fen=used,
                       remaining_fen=max(0, settings.daily_load_max_fen - used))
    if balance_fen is not None and balance_fen + amount > settings.purse_cap_fen:
        raise ApiError("balance_cap", cap_fen=settings.purse_cap_fen,
                       max_amount_fen=max(0, settings.purse_cap_fen - balance_fen))
    order_id = new_order_id("LO")
    conn.execute(
        "INSERT INTO orders (order_id, kind, source, card_no, amount_fen, terminal_id, kiosk_id,"
        " status, created_at, updated_at, points_used) VALUES (?, 'load', ?, ?, ?, ?, ?,"
        " 'created', ?, ?, ?)",
        (order_id, source, card["card_no"], amount, terminal_id.upper(), req.kiosk_id, now, now,
         points_used))
    logger.info("load order %s created: %d fen from %s", order_id, amount, source)
    return _order(conn, order_id)


def create(req: Request) -> Reply:
    body = req.body
    card = card_or_404(req.conn, body["card_no"])
    row = create_load(req, card, body["amount_fen"], body["terminal_id"],
                      balance_fen=body.get("balance_fen"))
    return Reply(201, load_view(row))


def get(req: Request) -> Reply:
    return Reply(200, load_view(_order(req.conn, req.params["order_id"])))


def host_datetime(now: float) -> tuple[str, str]:
    moment = dt.datetime.fromtimestamp(now, CHINA)
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M%S")


def mac2(req: Request) -> Reply:
    conn, now = req.conn, req.now
    row = _order(conn, req.params["order_id"])
    if row["status"] not in PENDING:
        raise order_state(row, "take a MAC2")
    card = card_or_404(conn, row["card_no"])
    require_usable(card, now)
    init = InitLoad.parse(bytes.fromhex(req.body["init_response"]))
    if init.algorithm_id != req.keys.algorithm_id:
        raise ApiError("validation_error", f"algorithm id {init.algorithm_id:02X} is not "
                       "supported by this issuer", field="init_response")
    if row["status"] == "mac2_issued" and init.counter != row["counter"]:
        # The card's online counter moved since the last MAC2: it may hold this load.
        raise order_state(row, "take a new MAC2 after the card's counter moved",
                     hint="read the card log and confirm with card_record",
                     online_counter=row["counter"], card_online_counter=init.counter)
    terminal = bytes.fromhex(req.body.get("terminal_id") or row["terminal_id"])
    keys = req.keys.card_keys(row["card_no"])
    seslk = load_session_key(keys.dlk, init.random, init.online_counter)
    if load_mac1(seslk, init.balance, row["amount_fen"], terminal) != init.mac1:
        logger.warning("load order %s: MAC1 invalid", row["order_id"])
        raise ApiError("mac1_invalid", order_id=row["order_id"])
    if init.balance_fen + row["amount_fen"] > req.settings.purse_cap_fen:
        raise ApiError("balance_cap", cap_fen=req.settings.purse_cap_fen,
                       max_amount_fen=max(0, req.settings.purse_cap_fen - init.balance_fen))
    date, time_ = host_datetime(now)
    mac = load_mac2(seslk, row["amount_fen"], terminal, bytes.fromhex(date),
                    bytes.fromhex(time_))
    conn.execute(
        "UPDATE orders SET status = 'mac2_issued', balance_before_fen = ?, counter = ?, "
        "card_random = ?, host_date = ?, host_time = ?, mac2 = ?, terminal_id = ?, "
        "updated_at = ? WHERE order_id = ?",
        (init.balance_fen, init.counter, init.random.hex().upper(), date, time_,
         mac.hex().upper(), terminal.hex().upper(), int(now), row["order_id"]))
    return Reply(200, load_view(_order(conn, row["order_id"])))


def _expected_tac(req: Request, row: sqlite3.Row) -> bytes:
    counter = int(row["counter"]) + (1 if req.settings.tac_counter == "after" else 0)
    return load_tac(req.keys.card_keys(row["card_no"]).dtk,
                    row["balance_before_fen"] + row["amount_fen"], counter & 0xFFFF,
                    row["amount_fen"], bytes.fromhex(row["terminal_id"]),
                    bytes.fromhex(row["host_date"]), bytes.fromhex(row["host_time"]))


def check_record(row: sqlite3.Row, raw_hex: str, tx_type: int) -> None:
    """The card-log record proves the order's transaction, or ``evidence_mismatch``."""
    record = CardRecord.parse(bytes.fromhex(raw_hex))
    checks = {
        "type": (record.type, tx_type),
        "amount_fen": (record.amount_fen, row["amount_fen"]),
        "terminal_id": (record.terminal_id.hex().upper(), row["terminal_id"]),
        "date_time": ((record.date + record.time).hex(), f"{row['host_date']}{row['host_time']}"),
    }
    wrong = sorted(name for name, (got, want) in checks.items() if got != want)
    if wrong:
        raise ApiError("evidence_mismatch", order_id=row["order_id"], fields=wrong)


def is_repeat_confirm(row: sqlite3.Row, tac: str | None, record: str | None,
                      tx_type: int) -> bool:
    """True for a confirm of an order already completed that carries evidence of the
    same transaction (it changes nothing); an ``order_state`` error for other evidence;
    False while the order is not completed."""
    if row["status"] != "completed":
        return False
    if record is not None:
        check_record(row, record, tx_type)
        return True
    if row["tac"] is not None and tac is not None and tac.upper() == row["tac"]:
        return True
    raise order_state(row, "be confirmed again with a different TAC")


def mark_completed(conn: sqlite3.Connection, row: sqlite3.Row, tac: str | None, how: str,
                   now: int) -> None:
    conn.execute("UPDATE orders SET status = 'completed', tac = ?, confirmed_by = ?, "
                 "updated_at = ? WHERE order_id = ?",
                 (tac.upper() if tac else None, how, now, row["order_id"]))


def confirm(req: Request) -> Reply:
    conn = req.conn
    row = _order(conn, req.params["order_id"])
    tac, record = req.body.get("tac"), req.body.get("card_record")
    if is_repeat_confirm(row, tac, record, LOAD_TYPE):
        return Reply(200, load_view(row))
    if row["status"] != "mac2_issued":
        raise order_state(row, "be confirmed before its MAC2")
    if tac is not None:
        if bytes.fromhex(tac) != _expected_tac(req, row):
            logger.warning("load order %s: TAC invalid", row["order_id"])
            raise ApiError("tac_invalid", order_id=row["order_id"])
        how = "tac"
    else:
        check_record(row, record, LOAD_TYPE)
        how = "card_record"
    now = int(req.now)
    after = row["balance_before_fen"] + row["amount_fen"]
    mark_completed(conn, row, tac, how, now)
    conn.execute(
        "INSERT INTO transactions (card_no, occurred_at, kind, amount_fen, balance_after_fen,"
        " points_delta, terminal_id, order_id) VALUES (?, ?, 'load', ?, ?, ?, ?, ?)",
        (row["card_no"], now, row["amount_fen"], after, -row["points_used"],
         row["terminal_id"], row["order_id"]))
    logger.info("load order %s completed by %s", row["order_id"], how)
    return Reply(200, load_view(_order(conn, row["order_id"])))


def cancel(req: Request) -> Reply:
    conn = req.conn
    row = _order(conn, req.params["order_id"])
    if row["status"] == "cancelled":
        return Reply(200, load_view(row))
    if row["status"] != "created":
        raise order_state(row, "be cancelled once a MAC2 was issued")
    conn.execute("UPDATE orders SET status = 'cancelled', updated_at = ? WHERE order_id = ?",
                 (int(req.now), row["order_id"]))
    if row["points_used"]:
        conn.execute("UPDATE cards SET points = points + ? WHERE card_no = ?",
                     (row["points_used"], row["card_no"]))
    return Reply(200, load_view(_order(conn, row["order_id"])))


def pending(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    rows = pending_loads(req.conn, card["card_no"])
    return Reply(200, {"card_no": card["card_no"], "pending_loads": [load_view(r) for r in rows],
                       "total_fen": sum(r["amount_fen"] for r in rows)})


_CARD_STATE = ("card_lost", "card_blacklisted", "card_expired")
_KEYED = ("Every POST on a load order needs an Idempotency-Key; the same key always "
          "answers with the first result.")

ROUTES = [
    Route("POST", "/v1/load-orders", create, "createLoadOrder", "Create a load order",
          "loads", status=201, response="LoadOrder", idempotency="required",
          body={"type": "object", "required": ["card_no", "amount_fen", "terminal_id"],
                "additionalProperties": False,
                "properties": {"card_no": CARD_NO, "amount_fen": AMOUNT,
                               "terminal_id": TERMINAL_ID,
                               "balance_fen": {"type": "integer", "minimum": 0,
                                               "maximum": 10_000_000,
                                               "description": "balance read from the card, "
                                               "to check the e-purse cap early"}}},
          errors=("card_unknown", *_CARD_STATE, "limit_single", "limit_daily", "balance_cap"),
          description="Checks the card's status, the single and daily load limits and "
                      "(when balance_fen is given) the e-purse cap. " + _KEYED),
    Route("GET", "/v1/load-orders/{order_id}", get, "getLoadOrder", "A load order", "loads",
          response="LoadOrder", errors=("order_unknown",)),
    Route("POST", "/v1/load-orders/{order_id}/mac2", mac2, "issueLoadMac2",
          "Check MAC1 of INITIALIZE FOR LOAD and issue MAC2 with the host date-time", "loads",
          response="LoadOrder", idempotency="required",
          body={"type": "object", "required": ["init_response"], "additionalProperties": False,
                "properties": {
                    "init_response": hexbytes(16, "the card's answer to INITIALIZE FOR LOAD: "
                                              "balance, online counter, key version, "
                                              "algorithm id, random, MAC1"),
                    "terminal_id": {**TERMINAL_ID, "description":
                                    "the terminal id sent in INITIALIZE FOR LOAD, when a "
                                    "pending load is finished at another kiosk"}}},
          errors=("order_unknown", "order_state", "card_unknown", *_CARD_STATE,
                  "mac1_invalid", "balance_cap"),
          description="Answers mac2, host_date and host_time for CREDIT FOR LOAD. A "
                      "mac2_issued order may take a new MAC2 while the card's online counter "
                      "has not moved. " + _KEYED),
    Route("POST", "/v1/load-orders/{order_id}/confirm", confirm, "confirmLoadOrder",
          "Confirm a load with the card's TAC or with its transaction-log record", "loads",
          response="LoadOrder", idempotency="required",
          body={"type": "object", "additionalProperties": False,
                "properties": {
                    "tac": hexbytes(4, "TAC answered by CREDIT FOR LOAD"),
                    "card_record": hexbytes(23, "record 1 of SFI 0x18 read after a card tear")},
                "oneOf": [{"required": ["tac"]}, {"required": ["card_record"]}]},
          errors=("order_unknown", "order_state", "tac_invalid", "evidence_mismatch"),
          description="Confirming a completed order again with the same evidence changes "
                      "nothing and answers the order. " + _KEYED),
    Route("POST", "/v1/load-orders/{order_id}/cancel", cancel, "cancelLoadOrder",
          "Cancel a load order before its MAC2", "loads", response="LoadOrder",
          idempotency="required",
          body={"type": "object", "additionalProperties": False,
                "properties": {"reason": {"type": "string", "enum": [
                    "customer_cancelled", "cash_refunded", "card_error", "timeout", "other"]}}},
          errors=("order_unknown", "order_state"),
          description="Points used by a redemption go back to the card. " + _KEYED),
    Route("GET", "/v1/cards/{card_no}/pending-loads", pending, "listPendingLoads",
          "Loads held for this card (created or MAC2 issued)", "loads",
          response="PendingLoads", errors=("card_unknown",)),
]
