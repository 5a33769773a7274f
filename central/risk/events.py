"""What the risk monitor is told, and what it answers: events in, alerts out.

Each event is one thing that happened at a kiosk, as the central side saw it.
The monitor stamps it with its own clock; events carry no time of their own, so
a kiosk's clock cannot move a card out of a window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Alert", "AuditReport", "Event", "Heartbeat", "LoadCompleted", "LostCardUse",
           "PinFailure", "Refund", "Tear"]


@dataclass(frozen=True)
class LoadCompleted:
    """A load confirmed onto a card (cash or points)."""

    card_no: str
    kiosk_id: str
    amount_fen: int
    kind = "load"


@dataclass(frozen=True)
class PinFailure:
    """A wrong payment password for a card."""

    card_no: str
    kiosk_id: str
    kind = "pin_failure"


@dataclass(frozen=True)
class Tear:
    """A load or payment finished from the card's log after the card left mid-write."""

    card_no: str
    kiosk_id: str
    order_id: str
    kind = "tear"


@dataclass(frozen=True)
class Refund:
    """A load cancelled because its cash was refunded to the customer."""

    card_no: str
    kiosk_id: str
    order_id: str
    amount_fen: int
    kind = "refund"


@dataclass(frozen=True)
class AuditReport:
    """A kiosk's settlement (Z report): loads it owes customers back."""

    kiosk_id: str
    owed_fen: int
    owed_count: int
    reference: str = ""
    kind = "audit"


@dataclass(frozen=True)
class LostCardUse:
    """A card reported lost was presented for a load or a payment."""

    card_no: str
    kiosk_id: str
    action: str
    kind = "lost_card_use"


@dataclass(frozen=True)
class Heartbeat:
    """A kiosk said it is alive."""

    kiosk_id: str
    kind = "heartbeat"


Event = (LoadCompleted | PinFailure | Tear | Refund | AuditReport | LostCardUse | Heartbeat)


@dataclass
class Alert:
    """One hit of a rule (or several, folded: ``hits``) on a card or a kiosk."""

    rule: str
    severity: str  # "medium" | "high"
    subject_kind: str  # "card" | "kiosk"
    subject: str
    kiosk_id: str
    first_at: int
    last_at: int
    details: dict[str, Any] = field(default_factory=dict)
    hits: int = 1
    card_blacklisted: bool = False
    acknowledged_at: int | None = None
    id: int | None = None
