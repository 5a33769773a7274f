"""Every receipt type's facts survive the journal: to JSON and back, equal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from daemon.receiptfacts import FACT_TYPES, facts_from_json, facts_to_json, statement_entry
from hardware.printer.receipts import BillPayment, StatementEntry
from hardware.printer.samples import SAMPLE_KINDS, sample_facts


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_sample_facts_round_trip_through_json(kind: str) -> None:
    facts = sample_facts(kind)
    stored = json.loads(json.dumps(facts_to_json(facts)))
    assert facts_from_json(stored) == facts
    assert type(facts).__name__ in FACT_TYPES


def test_only_receipt_facts_are_stored() -> None:
    with pytest.raises(TypeError):
        facts_to_json({"amount": 1})


def test_a_bill_journaled_before_payee_zh_existed_still_reprints() -> None:
    stored = facts_to_json(sample_facts("bill"))
    del stored["fields"]["payee_zh"]
    old = facts_from_json(stored)
    assert isinstance(old, BillPayment) and old.payee_zh == ""


def test_a_central_transaction_becomes_a_statement_entry_with_its_facts() -> None:
    ride = {"id": 7, "kind": "ride", "occurred_at": "2026-11-03T08:12:00+08:00",
            "amount_fen": -190, "balance_after_fen": 810, "fare_fen": 200,
            "ride_discount_fen": 10, "transfer_discount_fen": 0, "mode": "metro",
            "line": "1号线", "station": "罗湖", "merchant": None, "points_delta": 1}
    entry = statement_entry(ride)
    assert entry == StatementEntry(datetime(2026, 11, 3, 0, 12, tzinfo=UTC), "ride", "", -190,
                                   mode="metro", line="1号线", station="罗湖", points_delta=1,
                                   ride_discount_fen=10, fare_fen=200)
    assert entry.when.utcoffset() is not None  # the instant, not a wall clock of unknown zone
    bill = {"id": 8, "kind": "bill_payment", "occurred_at": "2026-11-04T09:00:00+08:00",
            "amount_fen": -3000, "merchant": "深圳市水务集团", "points_delta": 0}
    assert statement_entry(bill).merchant == "深圳市水务集团"
    assert statement_entry(bill).kind == "bill_payment"
    bonus = {"id": 9, "kind": "points", "occurred_at": "2026-11-05T09:00:00+08:00",
             "amount_fen": 0, "points_delta": 50}
    assert statement_entry(bonus).points_delta == 50


def test_a_statement_journaled_before_the_discounts_were_split_still_reprints() -> None:
    stored = {"type": "Statement", "fields": {
        "reference": "S1", "generated_at": "2026-11-03T10:00:00+08:00",
        "card_number": "03104440300000100017", "period_from": "2026-11-01",
        "period_to": "2026-11-03", "opening_balance_fen": 1000, "closing_balance_fen": 810,
        "entries": [{"when": "2026-11-03T08:12:00+08:00", "kind": "ride", "description": "",
                     "amount_fen": -190, "mode": "metro", "line": None, "station": None,
                     "merchant": None, "discount_fen": 10, "points_delta": 0}]}}
    facts = facts_from_json(stored)
    assert facts.entries[0].discount_fen == 10 and facts.entries[0].ride_discount_fen == 0
