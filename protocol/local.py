"""Messages that cross the local API (kiosk.sock / admin.sock), as dataclasses.

The daemon serialises these with :func:`to_json`; the UI and ``kioskctl``
read them back with the ``from_json`` class methods. Amounts are integer fen.
Card numbers never leave the daemon unmasked on the cardholder socket.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Screen = Literal["attract", "reading", "card", "card_error", "maintenance", "topup", "bill",
                 "pending_load"]
Language = Literal["zh", "en"]


@dataclass(frozen=True)
class RecordView:
    """One transaction, as the cardholder sees it."""

    when: str  # ISO 8601 local time
    kind: str  # "load", "purchase", "transit", "passbook_load", "other"
    amount_fen: int
    terminal_id: str
    source: Literal["card", "central"] = "card"


@dataclass(frozen=True)
class CardView:
    """The card on the reader, as read from the chip and the central side."""

    card_no_masked: str
    card_type: str  # ordinary / student / senior / ... ; "unknown" when not known
    balance_fen: int
    valid_from: str
    valid_until: str
    status: str  # active / lost / blacklisted / expired / blocked / unknown
    points: int | None = None
    pending_load_fen: int | None = None
    central: Literal["ok", "offline", "unknown_card", "pending"] = "pending"
    records: list[RecordView] = field(default_factory=list)
    # A replacement card: the lost card's balance to move (old_card_no_masked, status
    # held|available|in_progress|done, available_at, transferable_fen, amount_fen)
    transfer: dict[str, Any] | None = None
    # A blacklisted card: why (overdraft | fraud | other) and what an overdraft owes (owed_fen)
    blacklist: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CardView:
        records = [RecordView(**r) for r in data.get("records", [])]
        return cls(**{**data, "records": records})


@dataclass(frozen=True)
class Notice:
    """A message for the screen: a stable code plus both languages."""

    code: str
    message: str
    message_zh: str


@dataclass(frozen=True)
class SessionView:
    """A money session on screen (``screen`` is its kind): what to draw for each step.

    top-up steps: inserting → tap_card → loading → done | pending;
    bill steps: found → paying → done | failed;
    pending_load steps: offered → loading → done | pending.
    """

    kind: Literal["topup", "bill", "pending_load"]
    step: str
    card_no_masked: str
    amount_fen: int = 0  # top-up: inserted so far; bill: amount due; pending load: its amount
    headroom_fen: int | None = None  # top-up: how much more may still go in
    limits: dict[str, int] = field(default_factory=dict)
    notes: list[list[int]] = field(default_factory=list)  # [value_fen, count], largest first
    reference: str | None = None  # the order's reference, printed on the receipt
    balance_after_fen: int | None = None
    receipt: str | None = None  # "printed", or "not_printed" (queued for reprint)
    bill: dict[str, Any] | None = None
    pin_required: bool = False


@dataclass(frozen=True)
class StateSnapshot:
    """Everything the UI needs to draw the current screen."""

    seq: int
    screen: Screen
    language: Language
    card: CardView | None = None
    notice: Notice | None = None
    devices: dict[str, str] = field(default_factory=dict)
    # unauthorized: the central side answers but refuses this kiosk's signature
    central: Literal["up", "down", "unauthorized", "unknown"] = "unknown"
    session: SessionView | None = None
    maintenance: str | None = None  # the operator's message while in maintenance

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StateSnapshot:
        card = CardView.from_json(data["card"]) if data.get("card") else None
        notice = Notice(**data["notice"]) if data.get("notice") else None
        session = SessionView(**data["session"]) if data.get("session") else None
        return cls(**{**data, "card": card, "notice": notice, "session": session})


def ascii_digits(text: str, lengths: range) -> bool:
    """``text`` is ASCII digits only, and as long as one of ``lengths``.

    ``str.isdigit()`` alone also takes full-width (``１２３``) and other Unicode
    digits, which the card centre does not know and a URL would carry raw."""
    return text.isascii() and text.isdigit() and len(text) in lengths


CURSOR_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def is_cursor(text: str) -> bool:
    """A history cursor as the central side issues them (1-64 of ``A-Za-z0-9_-``)."""
    return 1 <= len(text) <= 64 and set(text) <= CURSOR_CHARS


def to_json(obj: Any) -> Any:
    """A JSON-ready form of a dataclass (or plain value)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return obj
