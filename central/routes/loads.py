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

import hmac
import logging
from typing import Any

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.risk import LoadCompleted, Refund, Tear
from central.router import Reply, Request, Route
from central.routes.common import (
    CARD_STATE_ERRORS,
    card_or_404,
    china_day_start,
    iso,
    new_order_id,
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
from central.routes.riskfeed import observe
from central.settings import Settings
from protocol import central as c
from protocol.pboc.secure import (
    LOAD_TYPE,
    InitLoad,
    load_mac1,
    load_mac2,
    load_session_key,
    load_tac,
)

__all__ = ["PENDING", "ROUTES", "create_load", "load_limits", "load_view", "loaded_today",
           "pending_loads"]

logger = logging.getLogger(__name__)

PENDING = ("created", "mac2_issued")


def load_view(row: RowMapping) -> dict[str, Any]:
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


def pending_loads(conn: Connection, card_no: str) -> list[RowMapping]:
    created, issued = PENDING
    return db.rows(conn, "SELECT * FROM orders WHERE card_no = :card_no AND kind = 'load' "
                   "AND status IN (:created, :issued) ORDER BY created_at, card_seq",
                   card_no=card_no, created=created, issued=issued)


def _order(conn: Connection, order_id: str) -> RowMapping:
    return order_of(conn, order_id, "load")


def loaded_today(conn: Connection, card_no: str, now: float) -> int:
    """Fen in this card's load orders today (China time), cancelled ones excepted."""
    return int(db.scalar(
        conn, "SELECT COALESCE(SUM(amount_fen), 0) FROM orders WHERE card_no = :card_no "
        "AND kind = 'load' AND status != 'cancelled' AND created_at >= :since",
        card_no=card_no, since=china_day_start(int(now))))


def load_limits(conn: Connection, card_no: str, now: float,
                settings: Settings) -> dict[str, int]:
    """The limits a kiosk shows before the first note (the card's balance is on the card)."""
    used = loaded_today(conn, card_no, now)
    return {"single_max_fen": settings.single_load_max_fen,
            "daily_max_fen": settings.daily_load_max_fen, "daily_used_fen": used,
            "daily_remaining_fen": max(0, settings.daily_load_max_fen - used),
            "purse_cap_fen": settings.purse_cap_fen}


def create_load(req: Request, card: RowMapping, amount: int, terminal_id: str, *,
                source: str = "cash", points_used: int = 0,
                balance_fen: int | None = None, limits: bool = True) -> RowMapping:
    """Check the limits and insert a ``created`` order (inside the request's transaction).
    ``limits`` False: no cash limits (a balance transfer); the e-purse cap always holds."""
    settings: Settings = req.settings
    conn, now = req.conn, int(req.now)
    require_usable(req, card, "load")
    if limits and amount > settings.single_load_max_fen:
        raise ApiError("limit_single", limit_fen=settings.single_load_max_fen)
    used = loaded_today(conn, card["card_no"], now)
    if limits and used + amount > settings.daily_load_max_fen:
        raise ApiError("limit_daily", limit_fen=settings.daily_load_max_fen, used_fen=used,
                       remaining_fen=max(0, settings.daily_load_max_fen - used))
    if balance_fen is not None and balance_fen + amount > settings.purse_cap_fen:
        raise ApiError("balance_cap", cap_fen=settings.purse_cap_fen,
                       max_amount_fen=max(0, settings.purse_cap_fen - balance_fen))
    order_id = new_order_id("LO")
    db.run(conn,
           "INSERT INTO orders (order_id, kind, source, card_no, amount_fen, terminal_id,"
           " kiosk_id, status, created_at, updated_at, points_used, card_seq) VALUES"
           " (:order_id, 'load', :source, :card_no, :amount, :terminal_id, :kiosk_id, 'created',"
           f" :now, :now, :points_used, {NEXT_CARD_SEQ})",
           order_id=order_id, source=source, card_no=card["card_no"], amount=amount,
           terminal_id=terminal_id.upper(), kiosk_id=req.kiosk_id, now=now,
           points_used=points_used)
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


def mac2(req: Request) -> Reply:
    conn, now = req.conn, req.now
    row = _order(conn, req.params["order_id"])
    if row["status"] not in PENDING:
        raise order_state(row, "take a MAC2")
    card = card_or_404(conn, row["card_no"])
    require_usable(req, card, "load")
    init = parse_init(InitLoad.parse, req.body["init_response"], req.keys)
    refuse_moved_counter(row, "mac2_issued", init, "MAC2", "online_counter")
    terminal = bytes.fromhex(req.body.get("terminal_id") or row["terminal_id"])
    keys = req.keys.card_keys(row["card_no"])
    seslk = load_session_key(keys.dlk, init.random, init.online_counter)
    if not hmac.compare_digest(load_mac1(seslk, init.balance, row["amount_fen"], terminal),
                               init.mac1):
        logger.warning("load order %s: MAC1 invalid", row["order_id"])
        raise ApiError("mac1_invalid", order_id=row["order_id"])
    if init.balance_fen + row["amount_fen"] > req.settings.purse_cap_fen:
        raise ApiError("balance_cap", cap_fen=req.settings.purse_cap_fen,
                       max_amount_fen=max(0, req.settings.purse_cap_fen - init.balance_fen))
    date, time_ = host_datetime(now)
    mac = load_mac2(seslk, row["amount_fen"], terminal, bytes.fromhex(date),
                    bytes.fromhex(time_))
    db.run(conn,
           "UPDATE orders SET status = 'mac2_issued', balance_before_fen = :balance, "
           "counter = :counter, card_random = :random, host_date = :date, host_time = :time, "
           "mac2 = :mac2, terminal_id = :terminal_id, updated_at = :now "
           "WHERE order_id = :order_id",
           balance=init.balance_fen, counter=init.counter, random=init.random.hex().upper(),
           date=date, time=time_, mac2=mac.hex().upper(), terminal_id=terminal.hex().upper(),
           now=int(now), order_id=row["order_id"])
    return Reply(200, load_view(_order(conn, row["order_id"])))


def _expected_tac(req: Request, row: RowMapping) -> bytes:
    counter = int(row["counter"]) + (1 if req.settings.tac_counter == "after" else 0)
    return load_tac(req.keys.card_keys(row["card_no"]).dtk,
                    row["balance_before_fen"] + row["amount_fen"], counter & 0xFFFF,
                    row["amount_fen"], bytes.fromhex(row["terminal_id"]),
                    bytes.fromhex(row["host_date"]), bytes.fromhex(row["host_time"]))


def confirm(req: Request) -> Reply:
    conn = req.conn
    row = _order(conn, req.params["order_id"])
    tac, record = req.body.get("tac"), req.body.get("card_record")
    if is_repeat_confirm(row, tac, record, LOAD_TYPE):
        return Reply(200, load_view(row))
    if row["status"] != "mac2_issued":
        raise order_state(row, "be confirmed before its MAC2")
    if tac is not None:
        if not hmac.compare_digest(bytes.fromhex(tac), _expected_tac(req, row)):
            logger.warning("load order %s: TAC invalid", row["order_id"])
            raise ApiError("tac_invalid", order_id=row["order_id"])
        how = "tac"
    else:
        check_record(row, record, LOAD_TYPE)
        how = "card_record"
    now = int(req.now)
    after = row["balance_before_fen"] + row["amount_fen"]
    mark_completed(conn, row, tac, how, now)
    db.run(conn,
           "INSERT INTO transactions (card_no, occurred_at, kind, amount_fen, balance_after_fen,"
           " points_delta, terminal_id, order_id) VALUES (:card_no, :now, 'load', :amount,"
           " :after, :points, :terminal_id, :order_id)",
           card_no=row["card_no"], now=now, amount=row["amount_fen"], after=after,
           points=-row["points_used"], terminal_id=row["terminal_id"], order_id=row["order_id"])
    if row["source"] == "transfer":
        from central.routes.lifecycle import on_load_confirmed  # (it builds on this module)
        on_load_confirmed(conn, row, now)
    logger.info("load order %s completed by %s", row["order_id"], how)
    observe(req, LoadCompleted(row["card_no"], req.kiosk_id, row["amount_fen"]))
    if how == "card_record":
        observe(req, Tear(row["card_no"], req.kiosk_id, row["order_id"]))
    return Reply(200, load_view(_order(conn, row["order_id"])))


def cancel(req: Request) -> Reply:
    conn = req.conn
    row = _order(conn, req.params["order_id"])
    if not cancel_order(conn, row, ("created",), "be cancelled once a MAC2 was issued",
                        int(req.now)):
        return Reply(200, load_view(row))
    if row["points_used"]:
        db.run(conn, "UPDATE cards SET points = points + :points WHERE card_no = :card_no",
               points=row["points_used"], card_no=row["card_no"])
    if (req.body or {}).get("reason") == "cash_refunded":
        observe(req, Refund(row["card_no"], req.kiosk_id, row["order_id"], row["amount_fen"]))
    if row["source"] == "transfer":
        from central.routes.lifecycle import on_load_cancelled  # (it builds on this module)
        on_load_cancelled(conn, row)
    return Reply(200, load_view(_order(conn, row["order_id"])))


def pending(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    rows = pending_loads(req.conn, card["card_no"])
    return Reply(200, {"card_no": card["card_no"], "pending_loads": [load_view(r) for r in rows],
                       "total_fen": sum(r["amount_fen"] for r in rows)})


_KEYED = idempotency_note("load")

ROUTES = [
    Route("POST", "/v1/load-orders", create, "createLoadOrder", "Create a load order",
          "loads", status=201, response="LoadOrder", idempotency="required",
          body=c.LoadOrderCreate,
          errors=("card_unknown", *CARD_STATE_ERRORS, "limit_single", "limit_daily", "balance_cap"),
          description="Checks the card's status, the single and daily load limits and "
                      "(when balance_fen is given) the e-purse cap. " + _KEYED),
    Route("GET", "/v1/load-orders/{order_id}", get, "getLoadOrder", "A load order", "loads",
          response="LoadOrder", errors=("order_unknown",)),
    Route("POST", "/v1/load-orders/{order_id}/mac2", mac2, "issueLoadMac2",
          "Check MAC1 of INITIALIZE FOR LOAD and issue MAC2 with the host date-time", "loads",
          response="LoadOrder", idempotency="required",
          body=c.InitForLoad,
          errors=("order_unknown", "order_state", "card_unknown", *CARD_STATE_ERRORS,
                  "mac1_invalid", "balance_cap"),
          description="Answers mac2, host_date and host_time for CREDIT FOR LOAD. A "
                      "mac2_issued order may take a new MAC2 while the card's online counter "
                      "has not moved. " + _KEYED),
    Route("POST", "/v1/load-orders/{order_id}/confirm", confirm, "confirmLoadOrder",
          "Confirm a load with the card's TAC or with its transaction-log record", "loads",
          response="LoadOrder", idempotency="required",
          body=c.LoadConfirm,
          errors=("order_unknown", "order_state", "tac_invalid", "evidence_mismatch"),
          description="Confirming a completed order again with the same evidence changes "
                      "nothing and answers the order. " + _KEYED),
    Route("POST", "/v1/load-orders/{order_id}/cancel", cancel, "cancelLoadOrder",
          "Cancel a load order before its MAC2", "loads", response="LoadOrder",
          idempotency="required",
          body=c.LoadCancel,
          errors=("order_unknown", "order_state"),
          description="Points used by a redemption go back to the card; a transfer's "
                      "amount is transferable again. " + _KEYED),
    Route("GET", "/v1/cards/{card_no}/pending-loads", pending, "listPendingLoads",
          "Loads held for this card (created or MAC2 issued)", "loads",
          response="PendingLoads", errors=("card_unknown",)),
]
