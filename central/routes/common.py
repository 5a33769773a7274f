"""Helpers every route module uses: cards, China time, ids, counters, masking."""

from __future__ import annotations

import datetime as dt
import secrets

from central import db
from central.db import Connection, RowMapping
from central.errors import ApiError
from central.risk import LostCardUse
from central.router import Request
from central.routes.riskfeed import observe

__all__ = ["CARD_STATE_ERRORS", "CHINA", "card_or_404", "china_day_start", "effective_status",
           "find_card", "iso", "mask_name", "new_order_id", "next_counter", "require_usable"]

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def iso(ts: float | int | None) -> str | None:
    """Unix seconds as ISO 8601 in China time."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(int(ts), CHINA).isoformat()


def china_day_start(now: float) -> int:
    """Unix seconds of the start of ``now``'s calendar day in China."""
    day = dt.datetime.fromtimestamp(now, CHINA).replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
    return int(day.timestamp())


def mask_name(name: str) -> str:
    """张伟 → 张*, 王秀英 → 王*英, 欧阳娜娜 → 欧**娜; one character → *."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def find_card(conn: Connection, card_no: str) -> RowMapping | None:
    return db.one(conn, "SELECT * FROM cards WHERE card_no = :card_no", card_no=card_no)


def card_or_404(conn: Connection, card_no: str) -> RowMapping:
    row = find_card(conn, card_no)
    if row is None:
        raise ApiError("card_unknown", card_no=card_no)
    return row


def effective_status(card: RowMapping, now: float) -> str:
    """The stored status, or ``expired`` once the validity has passed."""
    status = str(card["status"])
    if status == "active":
        today = dt.datetime.fromtimestamp(now, CHINA).date().isoformat()
        if card["valid_until"] < today:
            return "expired"
    return status


#: The errors :func:`require_usable` raises, for the routes' documented error lists.
CARD_STATE_ERRORS = ("card_lost", "card_blacklisted", "card_expired")


def require_usable(req: Request, card: RowMapping, action: str) -> None:
    """Refuse value movement on a lost, blacklisted or expired card; a lost card's
    ``action`` (load, payment, ...) is a risk event (central/risk/)."""
    status = effective_status(card, req.now)
    if status == "lost":
        observe(req, LostCardUse(card["card_no"], req.kiosk_id, action))
    if status != "active":
        raise ApiError(f"card_{status}", card_no=card["card_no"], status=status)


def new_order_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def next_counter(conn: Connection, name: str) -> int:
    """A durable sequence (inside the caller's transaction)."""
    return int(db.scalar(conn, "INSERT INTO counters (name, value) VALUES (:name, 1) "
                         "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 "
                         "RETURNING value", name=name))
