"""Bodies are checked against the schemas generated from the protocol models
(central/validation.py with jsonschema), every problem listed in the project's words."""

from __future__ import annotations

from typing import Any

import pytest

from central.openapi import SCHEMAS
from central.schemas import body_ref
from central.validation import problems
from protocol import central as c
from tests.central.helpers import TERMINAL, ZHANG, Central, error_of, new_key

PIN = "0123456789ABCDEF0123456789ABCDEF"


def _said(value: Any, model: type[c.CentralRequest]) -> list[tuple[str, str]]:
    return [(p.where, p.problem) for p in problems(value, body_ref(model),
                                                   components=SCHEMAS)]


def test_a_whole_float_is_not_an_integer() -> None:
    # JSON Schema counts 100.0 as an integer; an amount must never reach a handler as one.
    body = {"card_no": ZHANG, "amount_fen": 100.0, "terminal_id": TERMINAL}
    assert _said(body, c.LoadOrderCreate) == [("body.amount_fen", "must be an integer")]
    assert _said({**body, "amount_fen": True}, c.LoadOrderCreate) == [
        ("body.amount_fen", "must be an integer")]


def test_a_place_with_several_problems_is_named_once() -> None:
    assert _said({"card_no": "123", "amount_fen": 100, "terminal_id": TERMINAL},
                 c.LoadOrderCreate) == [
        ("body.card_no", "must be at least 20 characters and must match ^[0-9]{20}$")]


def test_required_fields_come_first_then_the_fields_as_sent() -> None:
    body = {"bonus": 1, "amount_fen": 0}
    assert _said(body, c.LoadOrderCreate) == [
        ("body.card_no", "is required"), ("body.terminal_id", "is required"),
        ("body.bonus", "is not a known field"), ("body.amount_fen", "must be at least 1")]


def test_nested_places_are_named_by_index() -> None:
    body = {"events": [{"event_id": "e1", "kind": "fault", "occurred_at": "now"},
                       {"kind": "fire", "occurred_at": "now", "extra": 1}]}
    assert _said(body, c.EventBatch) == [
        ("body.events[1].event_id", "is required"),
        ("body.events[1].kind", "must be one of cashbox_collection, fault, fault_cleared, "
                                "maintenance, other, receipt_failed, settlement"),
        ("body.events[1].extra", "is not a known field")]
    assert _said({"events": []}, c.EventBatch) == [("body.events",
                                                     "must have at least 1 items")]


@pytest.mark.parametrize("body", [{}, {"pin_block": PIN, "id_last6": "12345X"}])
def test_one_proof_exactly(body: dict[str, str]) -> None:
    assert _said(body, c.LossReportRequest) == [
        ("body", "must carry exactly one of: pin_block, or id_last6")]
    assert _said({"pin_block": PIN}, c.LossReportRequest) == []


def test_a_purchase_confirm_needs_tac_and_mac2_together() -> None:
    assert _said({"tac": "1A2B3C4D"}, c.PurchaseConfirm) == [
        ("body", "must carry exactly one of: tac and mac2, or card_record")]
    assert _said({"tac": "1A2B3C4D", "mac2": "1A2B3C4D"}, c.PurchaseConfirm) == []
    # a load's confirm has no MAC2 to carry
    assert _said({"tac": "1A2B3C4D", "mac2": "1A2B3C4D"}, c.LoadConfirm) == [
        ("body.mac2", "is not a known field")]


def test_a_dispute_names_at_most_one_proof() -> None:
    assert _said({"transaction_id": 1, "pin_block": PIN, "id_last6": "123456"},
                 c.DisputeCreate) == [("body", "must not carry pin_block and id_last6 "
                                               "together")]


def test_an_optional_field_is_left_out_never_null() -> None:
    # kioskd never sends null (CentralRequest omits defaults); the server refuses it
    assert _said({"card_no": ZHANG, "amount_fen": 100, "terminal_id": TERMINAL,
                  "balance_fen": None}, c.LoadOrderCreate) == [
        ("body.balance_fen", "must be an integer")]


def test_a_value_with_a_trailing_newline_is_refused(central: Central) -> None:
    # A pattern is a search, where "$" matches before a final newline: the generated
    # schema carries the length too, so the newline never reaches the handler.
    resp = central.client.post(f"/v1/cards/{ZHANG}/pin/verify", {"pin_block": PIN + "\n"})
    assert error_of(resp, 400, "validation_error")["field"] == "body.pin_block"


def test_a_float_amount_is_refused_over_http_and_nothing_is_stored(central: Central) -> None:
    resp = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": 5000.0,
                                                   "terminal_id": TERMINAL}, key=new_key())
    details = error_of(resp, 400, "validation_error")
    assert details["problems"] == [{"field": "body.amount_fen",
                                    "message": "must be an integer"}]
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 0
