"""Overdraft and the blacklist at the central side: the reason and the amount owed are
shown; a repayment lowers the debt and, paid in full, lifts the blacklist entry."""

from __future__ import annotations

from typing import Any

from tests.central.helpers import CHEN, TERMINAL, ZHANG, Central, error_of, new_key

OWED = 1500  # the demo overdraft (demo-cards.toml)


def _repay(central: Central, amount: int, card_no: str = CHEN, key: str | None = None) -> Any:
    return central.client.post(f"/v1/cards/{card_no}/repayments",
                               {"amount_fen": amount, "terminal_id": TERMINAL},
                               key=key or new_key("repay"))


def test_the_card_view_says_why_and_how_much(central: Central) -> None:
    card = central.client.get(f"/v1/cards/{CHEN}").json()
    assert (card["status"], card["blacklist"]) == ("blacklisted",
                                                   {"reason": "overdraft", "owed_fen": OWED})


def test_a_part_then_the_rest_lifts_the_entry_once(central: Central) -> None:
    first = _repay(central, 1000, key="repay-first")
    assert first.status_code == 201, first.text
    assert (first.json()["owed_fen"], first.json()["lifted"]) == (500, False)
    # A retry (lost answer) is the same repayment, not a second one.
    assert _repay(central, 1000, key="repay-first").json() == first.json()
    error_of(_repay(central, 600), 422, "repayment_amount")
    done = _repay(central, 500).json()
    assert (done["owed_fen"], done["lifted"], done["status"]) == (0, True, "active")
    card = central.client.get(f"/v1/cards/{CHEN}").json()
    assert (card["status"], card["blacklist"]) == ("active", None)
    events = [r[0] for r in central.sql("SELECT kind FROM card_events WHERE card_no = ?"
                                        " ORDER BY id", CHEN)]
    assert events == ["repayment", "repayment", "blacklist_lifted"]
    # A load now goes through like on any card.
    load = central.client.post("/v1/load-orders", {"card_no": CHEN, "amount_fen": 1000,
                                                   "terminal_id": TERMINAL}, key=new_key())
    assert load.status_code == 201


def test_repayment_refusals_change_nothing(central: Central) -> None:
    error_of(_repay(central, 100, ZHANG), 409, "repayment_none")
    central.sql("UPDATE cards SET blacklist_reason = 'fraud' WHERE card_no = ?", CHEN)
    assert central.client.get(f"/v1/cards/{CHEN}").json()["blacklist"] == \
        {"reason": "fraud", "owed_fen": 0}
    error_of(_repay(central, 100), 409, "repayment_none")
    assert tuple(central.sql("SELECT owed_fen, status FROM cards WHERE card_no = ?", CHEN)[0]) == \
        (OWED, "blacklisted")
