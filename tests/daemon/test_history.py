"""Merging the card's log with the central history: each event once."""

from __future__ import annotations

from daemon.history import merge
from protocol.local import RecordView


def _central(kind: str, when: str, amount: int, **extra: object) -> dict[str, object]:
    return {"kind": kind, "occurred_at": when, "amount_fen": amount, **extra}


def test_the_same_event_from_both_sides_is_shown_once_with_both_details() -> None:
    card = [RecordView("2026-11-20T08:15:02", "transit", 190, "440300000777"),
            RecordView("2026-11-19T18:00:00", "load", 5000, "440300000001")]
    central = [_central("ride", "2026-11-20T08:14:10+08:00", -190, fare_fen=200,
                        ride_discount_fen=10, mode="metro"),
               _central("load", "2026-11-19T18:00:30+08:00", 5000),
               _central("bill_payment", "2026-11-18T12:00:00+08:00", -4560)]
    merged = merge(card, central)
    assert [(e.kind, e.amount_fen, e.source) for e in merged] == [
        ("ride", -190, "both"), ("load", 5000, "both"), ("bill_payment", -4560, "central")]
    assert merged[0].details["fare_fen"] == 200 and merged[0].details["terminal_id"]


def test_what_only_one_side_has_is_kept_and_near_misses_are_not_merged() -> None:
    card = [RecordView("2026-11-20T08:15:00", "transit", 190, "T1"),
            RecordView("2026-11-20T09:00:00", "purchase", 1200, "T2")]
    central = [_central("ride", "2026-11-20T08:30:00+08:00", -190),  # 15 minutes apart
               _central("purchase", "2026-11-20T09:00:20+08:00", -1300)]  # another amount
    merged = merge(card, central)
    assert sorted(e.source for e in merged) == ["card", "card", "central", "central"]
    assert len(merged) == 4


def test_one_central_event_matches_one_card_record_only() -> None:
    card = [RecordView("2026-11-20T08:15:00", "transit", 190, "T1"),
            RecordView("2026-11-20T08:16:00", "transit", 190, "T1")]
    central = [_central("ride", "2026-11-20T08:15:30+08:00", -190)]
    merged = merge(card, central)
    assert sorted(e.source for e in merged) == ["both", "card"]


def test_a_ride_keeps_fare_both_discounts_points_line_and_station() -> None:
    """Everything the central side says of a ride reaches the screen (it was dropped)."""
    ride = _central("ride", "2026-11-20T08:14:10+08:00", -90, fare_fen=300,
                    ride_discount_fen=110, transfer_discount_fen=100, points_delta=0,
                    mode="metro", line="Line 1", station="Window of the World",
                    balance_after_fen=8650, terminal_id="T9")
    for merged in (merge([], [ride]),
                   merge([RecordView("2026-11-20T08:14:40", "transit", 90, "T9")], [ride])):
        details = merged[0].details
        assert {k: details[k] for k in ("fare_fen", "ride_discount_fen",
                                        "transfer_discount_fen", "points_delta", "mode",
                                        "line", "station")} == {
            "fare_fen": 300, "ride_discount_fen": 110, "transfer_discount_fen": 100,
            "points_delta": 0, "mode": "metro", "line": "Line 1",
            "station": "Window of the World"}
