"""What load and purchase orders share: the look-up, state errors, the card's
INITIALIZE answer, confirmation evidence and cancelling.

Both kinds live in the ``orders`` table and move ``created → <mac>_issued →
completed`` (or ``cancelled``); only the MACs, the money's direction and what a
completion writes differ, and those stay in :mod:`central.routes.loads` and
:mod:`central.routes.purchases`.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.routes.common import CHINA
from protocol.pboc.secure import CardRecord, IssuerKeys

__all__ = ["NEXT_CARD_SEQ", "cancel_order", "check_record", "host_datetime",
           "idempotency_note", "is_repeat_confirm", "mark_completed", "order_of",
           "order_state", "parse_init", "refuse_moved_counter"]

class _Init(Protocol):
    """What INITIALIZE FOR LOAD and FOR PURCHASE answers have in common."""

    @property
    def algorithm_id(self) -> int: ...

    @property
    def counter(self) -> int: ...


InitT = TypeVar("InitT", bound=_Init)


def idempotency_note(kind: str) -> str:
    return (f"Every POST on a {kind} order needs an Idempotency-Key; the same key always "
            "answers with the first result.")


#: the next number of a card's orders (orders.card_seq: a card's orders as created)
NEXT_CARD_SEQ = "(SELECT COALESCE(MAX(card_seq), 0) + 1 FROM orders WHERE card_no = :card_no)"


def order_of(conn: Connection, order_id: str, kind: str) -> RowMapping:
    """The ``kind`` order ``order_id``, or ``order_unknown``."""
    row = db.one(conn, "SELECT * FROM orders WHERE order_id = :order_id AND kind = :kind",
                 order_id=order_id, kind=kind)
    if row is None:
        raise ApiError("order_unknown", order_id=order_id)
    return row


def order_state(row: RowMapping, action: str, **details: Any) -> ApiError:
    """``order_state``: this order's status does not allow ``action``."""
    return ApiError("order_state", f"A {row['status']} {row['kind']} order cannot {action}.",
                    order_id=row["order_id"], status=row["status"], **details)


def host_datetime(now: float) -> tuple[str, str]:
    """The host date (YYYYMMDD) and time (hhmmss) in China time, as the card takes them."""
    moment = dt.datetime.fromtimestamp(now, CHINA)
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M%S")


def parse_init(parse: Callable[[bytes], InitT], raw_hex: str, keys: IssuerKeys) -> InitT:
    """The card's answer to INITIALIZE FOR LOAD/PURCHASE, in this issuer's algorithm."""
    init = parse(bytes.fromhex(raw_hex))
    if init.algorithm_id != keys.algorithm_id:
        raise ApiError("validation_error", f"algorithm id {init.algorithm_id:02X} is not "
                       "supported by this issuer", field="init_response")
    return init


def refuse_moved_counter(row: RowMapping, issued: str, init: _Init, mac: str,
                         counter_name: str) -> None:
    """An order whose MAC was issued may take a new one only while the card's counter
    has not moved; once it moved, the card may hold the transaction: read its log."""
    if row["status"] == issued and init.counter != row["counter"]:
        raise order_state(row, f"take a new {mac} after the card's counter moved",
                          hint="read the card log and confirm with card_record",
                          **{counter_name: row["counter"], f"card_{counter_name}": init.counter})


def check_record(row: RowMapping, raw_hex: str, tx_type: int) -> None:
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


def is_repeat_confirm(row: RowMapping, tac: str | None, record: str | None,
                      tx_type: int) -> bool:
    """True for a confirm of an order already completed that carries evidence of the
    same transaction (it changes nothing); an ``order_state`` error for other evidence;
    False while the order is not completed."""
    if row["status"] != "completed":
        return False
    if record is not None:
        check_record(row, record, tx_type)
        return True
    if row["tac"] is not None and tac is not None and hmac.compare_digest(
            tac.upper().encode("ascii", "replace"), str(row["tac"]).encode("ascii", "replace")):
        return True
    raise order_state(row, "be confirmed again with a different TAC")


def mark_completed(conn: Connection, row: RowMapping, tac: str | None, how: str,
                   now: int) -> None:
    db.run(conn, "UPDATE orders SET status = 'completed', tac = :tac, confirmed_by = :how, "
           "updated_at = :now WHERE order_id = :order_id",
           tac=tac.upper() if tac else None, how=how, now=now, order_id=row["order_id"])


def cancel_order(conn: Connection, row: RowMapping, allowed: tuple[str, ...],
                 action: str, now: int) -> bool:
    """Cancel ``row`` when its status is in ``allowed``; False when it already was
    cancelled (a repeat changes nothing), ``order_state`` otherwise."""
    if row["status"] == "cancelled":
        return False
    if row["status"] not in allowed:
        raise order_state(row, action)
    db.run(conn, "UPDATE orders SET status = 'cancelled', updated_at = :now "
           "WHERE order_id = :order_id", now=now, order_id=row["order_id"])
    return True
