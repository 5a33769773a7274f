"""One history from two sources: the card's own log (the last ten records, from
the chip) and the central side's transactions (paged), without duplicates.

A card record and a central transaction are the same event when they are the
same kind (card type 02 ↔ load, 06 ↔ purchase or bill payment, 09 ↔ ride),
move the same amount, and happened within two minutes of each other (the card
records the terminal's or host's time, the centre its own). A record only the
card has (say, a ride not yet uploaded by the transit system) is shown from
the card; one only the centre has, from the centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Entry", "merge"]

MATCH_WINDOW_S = 120
_CARD_KINDS = {"load": ("load",), "passbook_load": ("load",),
               "purchase": ("purchase", "bill_payment"), "transit": ("ride",)}


@dataclass(frozen=True)
class Entry:
    when: str  # ISO 8601
    kind: str  # ride | purchase | load | bill_payment | points | other
    amount_fen: int  # signed: + into the purse, - out of it
    source: str  # card | central | both
    details: dict[str, Any]


def _card_entry(record: Any) -> Entry:
    kind = _CARD_KINDS.get(record.kind, ("other",))[0]
    sign = 1 if kind == "load" else -1
    return Entry(record.when, kind, sign * record.amount_fen, "card",
                 {"terminal_id": record.terminal_id})


def _same(card: Entry, card_kind: str, item: dict[str, Any]) -> bool:
    if item.get("kind") not in _CARD_KINDS.get(card_kind, ()):
        return False
    if abs(int(item.get("amount_fen", 0))) != abs(card.amount_fen):
        return False
    try:
        a = datetime.fromisoformat(card.when)
        b = datetime.fromisoformat(str(item["occurred_at"]))
    except (KeyError, ValueError):
        return False
    if (a.tzinfo is None) != (b.tzinfo is None):  # the card's time is China time, naive
        b = b.replace(tzinfo=None) if a.tzinfo is None else b
    return abs((a - b).total_seconds()) <= MATCH_WINDOW_S


def merge(card_records: list[Any], central_items: list[dict[str, Any]]) -> list[Entry]:
    """Newest first; each event once."""
    entries: list[Entry] = []
    unmatched = list(central_items)
    for record in card_records:
        entry = _card_entry(record)
        twin = next((i for i in unmatched if _same(entry, record.kind, i)), None)
        if twin is not None:
            unmatched.remove(twin)
            entry = Entry(entry.when, str(twin["kind"]), int(twin["amount_fen"]), "both",
                          {**entry.details, **_central_details(twin)})
        entries.append(entry)
    entries += [Entry(str(i["occurred_at"]), str(i["kind"]), int(i["amount_fen"]), "central",
                      _central_details(i)) for i in unmatched]
    return sorted(entries, key=lambda e: _sort_key(e.when), reverse=True)


def _central_details(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("fare_fen", "ride_discount_fen", "transfer_discount_fen", "mode", "line", "station",
            "balance_after_fen", "points_delta", "description", "merchant")
    # The centre's reference of the transaction: what a dispute names (POST /v1/dispute).
    ref = {"transaction_id": item["id"]} if isinstance(item.get("id"), int) else {}
    return {**ref, **{k: item[k] for k in keys if item.get(k) is not None}}


def _sort_key(when: str) -> str:
    # ISO strings of one day sort as text; drop any zone so card and centre compare.
    return when[:19]
