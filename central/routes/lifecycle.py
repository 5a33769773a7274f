"""The loss-report lifecycle (挂失与补办): cancel a loss report, record a replacement
card, and move the old card's balance onto the new one.

::

    active ──loss report──▶ lost ──cancel (the found card + password or ID)──▶ active
                             │
                             └─replace-card OLD NEW (the outlet)──▶ replaced
                                    hold (transfer_hold_s) ──▶ transferable

After the hold the transferable amount is the old card's last confirmed
balance (the newest central balance when the replacement was recorded) minus
the late records: debits of the old card that reached the centre after that
(offline transit records arrive days late). A transfer is a load order of
source ``transfer`` for the new card, created here under the kiosk's
idempotency key and then run like any load (MAC2, CREDIT FOR LOAD, confirm).
Its amount is taken from the transferable amount when the order is created
(two kiosks asking at once: the second finds it taken) and given back if the
order is cancelled; the confirm writes the old card's ``transfer_out``, so its
central balance reaches zero once everything has moved.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.common import (
    CARD_STATE_ERRORS,
    card_or_404,
    find_card,
    iso,
    require_usable,
)
from central.routes.loads import PENDING, create_load, load_view
from central.routes.pin import check_identity, check_pin_of
from protocol import central as c

__all__ = ["ROUTES", "card_event", "on_load_cancelled", "on_load_confirmed", "replace_card",
           "transfer_view"]

logger = logging.getLogger(__name__)


def card_event(conn: Connection, card_no: str, kind: str, now: float,
               **detail: Any) -> None:
    """An audit event of a card (inside the caller's transaction)."""
    db.run(conn, "INSERT INTO card_events (card_no, kind, occurred_at, detail)"
           " VALUES (:card_no, :kind, :now, :detail)", card_no=card_no, kind=kind,
           now=int(now), detail=json.dumps(detail, ensure_ascii=False))


# -- replacement ---------------------------------------------------------------------------
def replace_card(conn: Connection, old_no: str, new_no: str, now: float) -> dict[str, Any]:
    """Record ``new_no`` as the replacement of the lost card ``old_no`` (the outlet's
    action, ``citycard-central replace-card``); ValueError says why not."""
    if old_no == new_no:
        raise ValueError("the old and the new card are the same card")
    old, new = find_card(conn, old_no), find_card(conn, new_no)
    if old is None or new is None:
        raise ValueError(f"no card {old_no if old is None else new_no}")
    if old["status"] != "lost":
        raise ValueError(f"card {old_no} is {old['status']}: only a card reported lost is "
                         "replaced")
    if new["status"] != "active":
        raise ValueError(f"card {new_no} is {new['status']}: the replacement must be active")
    taken = db.scalar(conn, "SELECT old_card_no FROM replacements WHERE old_card_no IN"
                      " (:old, :new) OR new_card_no IN (:old, :new)", old=old_no, new=new_no)
    if taken is not None:
        raise ValueError(f"card {taken} already has a replacement on record")
    last = db.one(conn, "SELECT id, balance_after_fen FROM transactions WHERE card_no = :old"
                  " AND balance_after_fen IS NOT NULL ORDER BY occurred_at DESC, id DESC"
                  " LIMIT 1", old=old_no)
    newest = db.scalar(conn, "SELECT COALESCE(MAX(id), 0) FROM transactions")
    balance = int(last["balance_after_fen"]) if last is not None else 0
    db.run(conn, "INSERT INTO replacements (old_card_no, new_card_no, recorded_at,"
           " confirmed_balance_fen, confirmed_tx_id) VALUES (:old, :new, :now, :balance,"
           " :newest)", old=old_no, new=new_no, now=int(now), balance=balance,
           newest=int(newest))
    card_event(conn, old_no, "replaced", now, new_card_no=new_no, balance_fen=balance)
    logger.info("replacement recorded: balance %d fen held", balance)
    return {"old_card_no": old_no, "new_card_no": new_no, "recorded_at": iso(now),
            "confirmed_balance_fen": balance}


def _replacement_of(conn: Connection, new_no: str) -> RowMapping | None:
    return db.one(conn, "SELECT * FROM replacements WHERE new_card_no = :new", new=new_no)


def _late_fen(conn: Connection, rep: RowMapping) -> int:
    """Debits of the old card that reached the centre after its balance was taken."""
    return -int(db.scalar(
        conn, "SELECT COALESCE(SUM(amount_fen), 0) FROM transactions WHERE card_no = :old"
        " AND id > :tx_id AND amount_fen < 0 AND kind != 'transfer_out'",
        old=rep["old_card_no"], tx_id=rep["confirmed_tx_id"]))


def _amounts(conn: Connection, rep: RowMapping) -> tuple[int, int]:
    """(late records, transferable now) of a replacement."""
    late = _late_fen(conn, rep)
    left = max(0, int(rep["confirmed_balance_fen"]) - late) - int(rep["transferred_fen"])
    return late, max(0, left)


def _open_transfer(conn: Connection, card_no: str) -> RowMapping | None:
    created, issued = PENDING
    return db.one(conn, "SELECT * FROM orders WHERE card_no = :card_no AND kind = 'load'"
                  " AND source = 'transfer' AND status IN (:created, :issued)"
                  " ORDER BY created_at LIMIT 1", card_no=card_no, created=created,
                  issued=issued)


def transfer_view(conn: Connection, card_no: str, now: float,
                  hold_s: int) -> dict[str, Any] | None:
    """What the card view says of a replacement card's balance transfer, or None."""
    rep = _replacement_of(conn, card_no)
    if rep is None:
        return None
    late, left = _amounts(conn, rep)
    available_at = int(rep["recorded_at"]) + hold_s
    status = ("held" if now < available_at else
              "in_progress" if _open_transfer(conn, card_no) is not None else
              "available" if left > 0 else "done")
    old_aid = db.scalar(conn, "SELECT aid FROM cards WHERE card_no = :card_no",
                        card_no=rep["old_card_no"])
    return {"old_card_no": rep["old_card_no"], "old_aid": old_aid,
            "status": status,
            "available_at": iso(available_at), "confirmed_balance_fen":
            int(rep["confirmed_balance_fen"]), "late_fen": late,
            "transferred_fen": int(rep["transferred_fen"]), "transferable_fen": left}


def transfer(req: Request) -> Reply:
    conn, now, body = req.conn, req.now, req.body
    card = card_or_404(conn, req.params["card_no"])
    rep = _replacement_of(conn, card["card_no"])
    if rep is None:
        raise ApiError("transfer_none", card_no=card["card_no"])
    require_usable(req, card, "transfer")  # a replacement reported lost itself takes nothing
    available_at = int(rep["recorded_at"]) + req.settings.transfer_hold_s
    if now < available_at:
        raise ApiError("transfer_not_yet", available_at=iso(available_at))
    open_order = _open_transfer(conn, card["card_no"])
    if open_order is not None:
        raise ApiError("transfer_in_progress", order_id=open_order["order_id"],
                       amount_fen=open_order["amount_fen"])
    _, left = _amounts(conn, rep)
    if left == 0:
        raise ApiError("transfer_done", transferred_fen=int(rep["transferred_fen"]))
    amount = body["amount_fen"]
    if amount > left:
        raise ApiError("transfer_amount", transferable_fen=left)
    # The e-purse cap holds; a transfer is no cash, so the cash load limits do not apply.
    order = create_load(req, card, amount, body["terminal_id"], source="transfer",
                        balance_fen=body.get("balance_fen"), limits=False)
    db.run(conn, "UPDATE replacements SET transferred_fen = transferred_fen + :amount"
           " WHERE old_card_no = :old", amount=amount, old=rep["old_card_no"])
    card_event(conn, rep["old_card_no"], "transfer_started", now, order_id=order["order_id"],
               amount_fen=amount)
    return Reply(201, {**load_view(order), "old_card_no": rep["old_card_no"],
                       "transferable_left_fen": left - amount})


def on_load_confirmed(conn: Connection, order: RowMapping, now: float) -> None:
    """A transfer reached the new card: the old card's balance goes down by as much."""
    rep = _replacement_of(conn, order["card_no"])
    if rep is None:  # pragma: no cover - a transfer order always has its replacement
        return
    late, left = _amounts(conn, rep)
    done = db.scalar(
        conn, "SELECT COALESCE(SUM(amount_fen), 0) FROM orders WHERE card_no = :card_no"
        " AND kind = 'load' AND source = 'transfer' AND status = 'completed'",
        card_no=order["card_no"])
    after = max(0, int(rep["confirmed_balance_fen"]) - late) - int(done)
    db.run(conn, "INSERT INTO transactions (card_no, occurred_at, kind, amount_fen,"
           " balance_after_fen, terminal_id, order_id) VALUES (:old, :now, 'transfer_out',"
           " :amount, :after, :terminal_id, :order_id)", old=rep["old_card_no"], now=int(now),
           amount=-order["amount_fen"], after=max(0, after), terminal_id=order["terminal_id"],
           order_id=order["order_id"])
    card_event(conn, rep["old_card_no"], "transfer_completed", now,
               order_id=order["order_id"], amount_fen=order["amount_fen"], left_fen=left)


def on_load_cancelled(conn: Connection, order: RowMapping) -> None:
    """A transfer order cancelled before its MAC2: its amount is transferable again."""
    db.run(conn, "UPDATE replacements SET transferred_fen = transferred_fen - :amount"
           " WHERE new_card_no = :new", amount=order["amount_fen"], new=order["card_no"])


# -- cancelling a loss report ----------------------------------------------------------------
def cancel_loss(req: Request) -> Reply:
    """解挂: the found card is on the reader; the proof is checked first, as for a report."""
    conn, now = req.conn, int(req.now)
    card_no = req.params["card_no"]
    card = find_card(conn, card_no)
    if "pin_block" in req.body:
        check_pin_of(req, card_no, card, req.body["pin_block"])
    else:
        check_identity(req, card_no, card, req.body["id_last6"])
    assert card is not None  # an unknown number never passes either check
    if card["status"] != "lost":
        raise ApiError("card_not_lost", card_no=card_no, status=card["status"])
    replaced = db.one(conn, "SELECT new_card_no FROM replacements WHERE old_card_no = :old",
                      old=card_no)
    if replaced is not None:
        raise ApiError("card_replaced", card_no=card_no)
    db.run(conn, "UPDATE cards SET status = 'active', lost_at = NULL WHERE card_no = :card_no",
           card_no=card_no)
    card_event(conn, card_no, "loss_cancelled", now, report_no=card["loss_report_no"])
    logger.info("loss report %s cancelled", card["loss_report_no"])
    return Reply(200, {
        "card_no": card_no, "status": "active", "report_no": card["loss_report_no"],
        "cancelled_at": iso(now),
        "message": "The loss report is cancelled: the card works again at once.",
        "message_zh": "此卡已解挂，即时恢复使用。"})


ROUTES = [
    Route("POST", "/v1/cards/{card_no}/loss-report/cancel", cancel_loss, "cancelLossReport",
          "Cancel a loss report (解挂): the found card, with its payment password or the "
          "holder's ID", "cards", response="LossCancelled", idempotency="optional",
          body=c.LossReportRequest,
          errors=("identity_mismatch", "identity_locked", "pin_not_set", "pin_wrong",
                  "pin_locked", "pin_block_invalid", "card_not_lost", "card_replaced"),
          description="The proof is checked first, counted and locked like a loss report's. "
                      "A card whose replacement is on record stays lost (card_replaced): its "
                      "balance belongs to the new card."),
    Route("POST", "/v1/cards/{card_no}/transfer", transfer, "createTransfer",
          "Move the old card's balance onto this replacement card: a load order of source "
          "transfer (then MAC2 and confirm as any load)", "cards", status=201,
          response="Transfer", idempotency="required",
          body=c.TransferCreate,
          errors=("card_unknown", *CARD_STATE_ERRORS, "transfer_none", "transfer_not_yet",
                  "transfer_in_progress", "transfer_done", "transfer_amount", "balance_cap"),
          description="card_no is the new card. The amount (at most the transferable amount; "
                      "the kiosk asks for what fits under the e-purse cap, the rest stays "
                      "transferable) is taken at once and given back if the order is "
                      "cancelled. Cash load limits do not apply; the cap does. Needs an "
                      "Idempotency-Key: a retry answers the first order."),
]
