"""Disputes at the central side: a ticket per transaction of the card's own, with an
optional loss report in the same request (both or neither)."""

from __future__ import annotations

from typing import Any

from tests.central.helpers import DEMO_PIN, LI, ZHANG, Central, error_of, pin_block


def _tx(central: Central, card_no: str) -> int:
    return int(central.sql("SELECT id FROM transactions WHERE card_no = ? ORDER BY id DESC"
                           " LIMIT 1", card_no)[0][0])


def _dispute(central: Central, tx: int, card_no: str = ZHANG, **proof: str) -> Any:
    return central.client.post(f"/v1/cards/{card_no}/disputes",
                               {"transaction_id": tx, **proof})


def test_a_ticket_with_the_transactions_reference(central: Central) -> None:
    tx = _tx(central, ZHANG)
    resp = _dispute(central, tx)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["ticket_no"].startswith("D") and body["transaction"]["id"] == tx
    assert body["loss_report_no"] is None
    assert error_of(_dispute(central, tx), 409, "dispute_exists")["ticket_no"] == \
        body["ticket_no"]
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "active"


def test_another_cards_transaction_is_refused_like_none(central: Central) -> None:
    error_of(_dispute(central, _tx(central, LI)), 404, "transaction_unknown")
    error_of(_dispute(central, 10**9), 404, "transaction_unknown")
    assert central.sql("SELECT COUNT(*) FROM disputes")[0][0] == 0


def test_with_a_loss_report_both_or_neither(central: Central) -> None:
    tx = _tx(central, ZHANG)
    error_of(_dispute(central, tx, pin_block=pin_block(central, "000000", ZHANG)),
             422, "pin_wrong")
    assert central.sql("SELECT COUNT(*) FROM disputes")[0][0] == 0
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "active"
    body = _dispute(central, tx, pin_block=pin_block(central, DEMO_PIN, ZHANG)).json()
    assert body["loss_report_no"].startswith("LR")
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "lost"
