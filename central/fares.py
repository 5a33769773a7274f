"""Ride discounts by card type (乘车优惠) and the transfer discount (转乘优惠): the
issuer's rules as data, used by the seed's history and shown to the cardholder
(``discount`` of ``GET /v1/cards/{card_no}``).

A card type takes a percentage off the fare, per mode (bus, metro), rounded down
to whole jiao; a second ride within :data:`TRANSFER_WINDOW_S` of the last takes
:data:`TRANSFER_OFF_FEN` more off what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DISCOUNTS", "TRANSFER_OFF_FEN", "TRANSFER_WINDOW_S", "Discount", "discount_view",
           "ride_discount"]

TRANSFER_OFF_FEN = 100
TRANSFER_WINDOW_S = 90 * 60


@dataclass(frozen=True)
class Discount:
    bus_percent: int  # percent off the fare
    metro_percent: int


DISCOUNTS: dict[str, Discount] = {
    "ordinary": Discount(0, 5),
    "student": Discount(50, 50),
    "senior": Discount(100, 50),
    "disabled": Discount(100, 100),
    "staff": Discount(0, 0),
}


def ride_discount(card_type: str, fare_fen: int, bus: bool) -> int:
    """The card type's discount off ``fare_fen``, in whole jiao (10 fen)."""
    rule = DISCOUNTS.get(card_type, DISCOUNTS["ordinary"])
    percent = rule.bus_percent if bus else rule.metro_percent
    return fare_fen if percent >= 100 else fare_fen * percent // 100 // 10 * 10


def discount_view(card_type: str) -> dict[str, Any]:
    """What a cardholder of ``card_type`` gets off a ride (the card answer's ``discount``)."""
    rule = DISCOUNTS.get(card_type, DISCOUNTS["ordinary"])
    return {"bus_percent": rule.bus_percent, "metro_percent": rule.metro_percent,
            "transfer_off_fen": TRANSFER_OFF_FEN,
            "transfer_window_min": TRANSFER_WINDOW_S // 60}
