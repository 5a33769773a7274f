"""Cashbox counters: long and short, per denomination and unidentified."""

from __future__ import annotations

import json
from datetime import datetime

from hardware.cash.counters import CashboxCounters


def test_notes_and_unidentified_are_counted_in_both_sets() -> None:
    c = CashboxCounters()
    for value in (100, 500, 500, 10000):
        c.record_note(value)
    c.record_unidentified(7)
    c.record_unidentified(7)
    c.record_unidentified(3)
    for counters in (c.long, c.short):
        assert dict(counters.notes) == {100: 1, 500: 2, 10000: 1}
        assert counters.total_fen == 11100
        assert counters.unidentified == 3
        assert dict(counters.unidentified_pulses) == {7: 2, 3: 1}
        assert counters.pieces == 7


def test_collection_resets_short_keeps_long() -> None:
    c = CashboxCounters()
    c.record_note(5000)
    first = datetime(2026, 11, 24, 8, 0)
    taken = c.collect(first)
    assert taken.contents.total_fen == 5000
    assert taken.previous_collection_at is None
    assert c.short.pieces == 0
    assert c.long.total_fen == 5000
    c.record_note(100)
    second = c.collect(datetime(2026, 11, 25, 8, 0))
    assert second.previous_collection_at == first
    assert second.contents.total_fen == 100
    assert c.long.total_fen == 5100


def test_round_trip_through_json() -> None:
    c = CashboxCounters()
    c.record_note(2000)
    c.record_unidentified(9)
    c.collect(datetime(2026, 11, 1, 9, 30))
    c.record_note(100)
    data = json.loads(json.dumps(c.to_dict()))
    assert data["short"] == {"notes": {"100": 1}, "unidentified": 0, "unidentified_pulses": {}}
    restored = CashboxCounters.from_dict(data)
    assert restored.to_dict() == c.to_dict()
    assert restored.last_collection_at == datetime(2026, 11, 1, 9, 30)
    assert restored.long.total_fen == 2100


def test_copies_do_not_leak_state() -> None:
    c = CashboxCounters()
    snapshot = c.short
    snapshot.notes[100] += 5
    assert c.short.pieces == 0
    assert "short=0 pieces" in repr(c)
