"""Cards: status look-up, history (keyset-paged), statements and loss reports.

A card's history (transactions and statements) is not given for a card
reported lost or blocked: whoever holds it now is not its holder. A statement
of a card with a payment password needs the password (it is printed and
carried away); the paged history does not (see docs/decisions.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Any

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.fares import discount_view
from central.router import Reply, Request, Route
from central.routes import lockout
from central.routes.common import (
    CHINA,
    card_or_404,
    effective_status,
    find_card,
    iso,
    mask_name,
    next_counter,
)
from central.routes.lifecycle import transfer_view
from central.routes.loads import load_limits, pending_loads
from central.routes.overdraft import blacklist_view
from central.routes.pin import check_identity, check_pin, check_pin_of
from central.schemas import query_params
from central.settings import Settings
from protocol import central as c

__all__ = ["HISTORY_SQL", "ROUTES", "decode_cursor", "encode_cursor", "mark_lost",
           "transaction_view"]

logger = logging.getLogger(__name__)

_TX_COLUMNS = ("id, kind, occurred_at, amount_fen, balance_after_fen, fare_fen, "
               "ride_discount_fen, transfer_discount_fen, mode, line, station, merchant, "
               "points_delta, terminal_id, order_id")

# One page of history, newest first: the query the benchmark compares against. Parameters:
# card, from, to (exclusive), cursor time (twice: the plain bound lets the index seek to
# the cursor instead of scanning down to it), cursor id, page size + 1.
HISTORY_SQL = (f"SELECT {_TX_COLUMNS} FROM transactions WHERE card_no = :card_no "
               "AND occurred_at >= :start AND occurred_at < :end AND occurred_at <= :before_at "
               "AND (occurred_at, id) < (:before_at, :before_id) "
               "ORDER BY occurred_at DESC, id DESC LIMIT :limit")
_HISTORY_KIND_SQL = HISTORY_SQL.replace("AND (occurred_at", "AND kind = :kind AND (occurred_at")

_FAR_FUTURE = 2**62


def card_view(conn: Connection, card: RowMapping, now: float,
              settings: Settings) -> dict[str, Any]:
    locked = lockout.locked_until(conn, card["card_no"], lockout.PIN, now)
    return {
        "card_no": card["card_no"], "card_type": card["card_type"],
        "discount": discount_view(card["card_type"]),
        "holder_name_masked": mask_name(card["holder_name"]),
        "status": effective_status(card, now),
        "valid_from": card["valid_from"], "valid_until": card["valid_until"],
        "points": card["points"], "pin_set": card["pin_hash"] is not None,
        "pin_locked_until": iso(locked),
        "pending_loads": [
            {"order_id": r["order_id"], "amount_fen": r["amount_fen"], "status": r["status"],
             "source": r["source"], "created_at": iso(r["created_at"]),
             "terminal_id": r["terminal_id"]}
            for r in pending_loads(conn, card["card_no"])],
        "load_limits": load_limits(conn, card["card_no"], now, settings),
        "transfer": transfer_view(conn, card["card_no"], now, settings.transfer_hold_s),
        "blacklist": blacklist_view(card),
    }


def get_card(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    return Reply(200, card_view(req.conn, card, req.now, req.settings))


def transaction_view(row: RowMapping) -> dict[str, Any]:
    out = dict(row)
    out["occurred_at"] = iso(row["occurred_at"])
    return out


def encode_cursor(occurred_at: int, tx_id: int) -> str:
    return base64.urlsafe_b64encode(f"{occurred_at}.{tx_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, tx_id = raw.split(".")
        return int(stamp), int(tx_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError("validation_error", "cursor is not one this server issued",
                       field="cursor") from None


def _day(value: str, name: str) -> int:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError("validation_error", f"{name} is not a date", field=name) from None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=CHINA).timestamp())


def _range(query: dict[str, Any]) -> tuple[int, int]:
    start = _day(query["from"], "from") if "from" in query else 0
    end = _day(query["to"], "to") + 86400 if "to" in query else _FAR_FUTURE
    if end <= start:
        raise ApiError("validation_error", "to is before from", field="to")
    return start, end


_HISTORY_REFUSED = {
    "lost": ("This card was reported lost: its history is not shown or printed.",
             "此卡已挂失，不提供交易明细的查询与打印。"),
    "blacklisted": ("This card is blocked: its history is not shown or printed. "
                    "Please visit a service outlet.",
                    "此卡已被列入黑名单，不提供交易明细，请到服务网点办理。"),
}

HISTORY_STATE_ERRORS = ("card_lost", "card_blacklisted")


def history_card(conn: Connection, card_no: str) -> RowMapping:
    """The card whose history is asked for, refused if it is lost or blocked."""
    card = card_or_404(conn, card_no)
    status = str(card["status"])
    if status in _HISTORY_REFUSED:
        message, message_zh = _HISTORY_REFUSED[status]
        raise ApiError(f"card_{status}", message, message_zh=message_zh, card_no=card_no,
                       status=status)
    return card


def history(req: Request) -> Reply:
    card = history_card(req.conn, req.params["card_no"])
    start, end = _range(req.query)
    limit = int(req.query.get("limit", 20))
    before = (decode_cursor(req.query["cursor"]) if "cursor" in req.query
              else (_FAR_FUTURE, _FAR_FUTURE))
    params = {"card_no": card["card_no"], "start": start, "end": end, "before_at": before[0],
              "before_id": before[1], "limit": limit + 1}
    if "kind" in req.query:
        rows = db.rows(req.conn, _HISTORY_KIND_SQL, kind=req.query["kind"], **params)
    else:
        rows = db.rows(req.conn, HISTORY_SQL, **params)
    page = rows[:limit]
    more = len(rows) > limit
    return Reply(200, {
        "card_no": card["card_no"], "items": [transaction_view(r) for r in page],
        "next_cursor": encode_cursor(page[-1]["occurred_at"], page[-1]["id"]) if more else None,
    })


_STATEMENT_MAX = 1000


def statement(req: Request) -> Reply:
    conn, body = req.conn, req.body
    card = history_card(conn, req.params["card_no"])
    if "pin_block" in body:
        check_pin(req, card, body["pin_block"])
    elif card["pin_hash"] is not None:
        raise ApiError("pin_required", "This card's statement needs its payment password.",
                       message_zh="打印此卡的对账单需输入支付密码。")
    start, end = _range(body)
    rows = db.rows(
        conn, f"SELECT {_TX_COLUMNS} FROM transactions WHERE card_no = :card_no "
        "AND occurred_at >= :start AND occurred_at < :end ORDER BY occurred_at, id",
        card_no=card["card_no"], start=start, end=end)
    earlier = db.one(
        conn, "SELECT balance_after_fen FROM transactions WHERE card_no = :card_no "
        "AND occurred_at < :start AND balance_after_fen IS NOT NULL "
        "ORDER BY occurred_at DESC, id DESC LIMIT 1", card_no=card["card_no"], start=start)
    with_balance = [r for r in rows if r["balance_after_fen"] is not None]
    if earlier is not None:
        opening = int(earlier["balance_after_fen"])
    elif with_balance:
        first = with_balance[0]
        opening = first["balance_after_fen"] - first["amount_fen"]
    else:
        opening = 0
    closing = with_balance[-1]["balance_after_fen"] if with_balance else opening
    sums = {"load": 0, "ride": 0, "purchase": 0, "bill_payment": 0}
    for r in rows:
        if r["kind"] in sums:
            sums[r["kind"]] += r["amount_fen"]
    totals = {
        "loads_fen": sums["load"], "rides_fen": -sums["ride"],
        "purchases_fen": -sums["purchase"], "bill_payments_fen": -sums["bill_payment"],
        "ride_discounts_fen": sum(r["ride_discount_fen"] or 0 for r in rows),
        "transfer_discounts_fen": sum(r["transfer_discount_fen"] or 0 for r in rows),
        "points_delta": sum(r["points_delta"] for r in rows), "count": len(rows),
    }
    return Reply(200, {
        "card_no": card["card_no"],
        "from": body["from"], "to": body["to"],
        "opening_balance_fen": opening, "closing_balance_fen": closing, "totals": totals,
        "items": [transaction_view(r) for r in rows[:_STATEMENT_MAX]],
        "truncated": len(rows) > _STATEMENT_MAX,
    })


def mark_lost(conn: Connection, card: RowMapping, now: int) -> str:
    """Report a card lost once its holder's proof passed; its report number."""
    status = str(card["status"])
    if status in ("lost", "blacklisted"):
        raise ApiError(f"card_{status}", card_no=card["card_no"], status=status)
    day = dt.datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d")
    report_no = f"LR{day}{next_counter(conn, 'loss_report'):06d}"
    db.run(conn, "UPDATE cards SET status = 'lost', lost_at = :now, "
           "loss_report_no = :report_no WHERE card_no = :card_no",
           now=now, report_no=report_no, card_no=card["card_no"])
    logger.info("card reported lost: %s", report_no)
    return report_no


def report_loss(req: Request) -> Reply:
    # The number is typed, not read from a card: the proof comes first, so a wrong one
    # tells nothing about the number (unknown, lost, blocked all answer alike).
    conn, now = req.conn, int(req.now)
    card_no = req.params["card_no"]
    card = find_card(conn, card_no)
    if "pin_block" in req.body:
        check_pin_of(req, card_no, card, req.body["pin_block"])
    else:
        check_identity(req, card_no, card, req.body["id_last6"])
    assert card is not None  # an unknown number never passes either check
    report_no = mark_lost(conn, card, now)
    return Reply(200, {
        "card_no": card["card_no"], "status": "lost", "report_no": report_no,
        "reported_at": iso(now),
        "message": "The card is blocked for top-ups and payments at every kiosk now. "
                   "Take your ID to a service outlet for a replacement card.",
        "message_zh": "此卡已挂失，所有自助终端即时停止充值与支付。"
                      "请携带身份证件到服务网点补办新卡。",
    })


ROUTES = [
    Route("GET", "/v1/cards/{card_no}", get_card, "getCard",
          "Card status, type, masked holder, points and pending loads", "cards",
          response="Card", errors=("card_unknown",),
          description="status is the central view: active, lost, blacklisted or expired "
                      "(validity passed). Lost and blacklisted take effect at once."),
    Route("GET", "/v1/cards/{card_no}/transactions", history, "listTransactions",
          "The card's central history, newest first, paged by cursor", "cards",
          response="TransactionPage",
          query=query_params(c.HistoryQuery),
          errors=("card_unknown", *HISTORY_STATE_ERRORS),
          description="Not given for a card reported lost or blocked."),
    Route("POST", "/v1/cards/{card_no}/statement", statement, "getStatement",
          "Opening balance, every transaction, closing balance and totals for a period",
          "cards", response="Statement",
          body=c.StatementRequest,
          errors=("card_unknown", *HISTORY_STATE_ERRORS, "pin_required", "pin_not_set",
                  "pin_wrong", "pin_locked", "pin_block_invalid"),
          description="A statement is printed and carried away, so a card with a payment "
                      "password needs it (pin_block; a wrong one counts toward the "
                      "password's lock). Not given for a card reported lost or blocked. "
                      "A POST because the password travels in the body, never in a URL."),
    Route("POST", "/v1/cards/{card_no}/loss-report", report_loss, "reportLoss",
          "Report the card lost (挂失) with the payment password or the holder's ID", "cards",
          response="LossReport", idempotency="optional",
          body=c.LossReportRequest,
          errors=("identity_mismatch", "identity_locked", "pin_not_set", "pin_wrong",
                  "pin_locked", "pin_block_invalid", "card_lost", "card_blacklisted"),
          description="The proof is checked first: a card number the centre does not know "
                      "is answered exactly like a wrong proof (identity_mismatch or "
                      "pin_wrong, counted and locked the same way), and only a right "
                      "proof learns that a card is already lost or blocked."),
]
