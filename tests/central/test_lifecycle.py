"""The loss-report lifecycle at the central side: cancel a loss report, record a
replacement, and move the old card's balance onto the new card exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from central.db import connect, transaction
from central.routes.lifecycle import replace_card
from tests.central.card import EPurse
from tests.central.helpers import (
    CHEN,
    DEMO_PIN,
    LI,
    LIU,
    TERMINAL,
    UNKNOWN,
    WANG,
    ZHANG,
    Central,
    Clock,
    error_of,
    new_key,
    pin_block,
)

DAY = 86400
LIU_BALANCE = 4500  # the lost demo card's last central balance (demo-cards.toml)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central(start_central: Callable[..., Central], clock: Clock) -> Central:
    return start_central(clock=clock)


def _replace(central: Central, old: str, new: str, now: float) -> dict[str, Any]:
    conn = connect(central.db)
    try:
        with transaction(conn):
            return replace_card(conn, old, new, now)
    finally:
        conn.close()


def _transfer(central: Central, amount: int, card_no: str = WANG, balance: int = 0,
              key: str | None = None, client: Any = None) -> Any:
    return (client or central.client).post(
        f"/v1/cards/{card_no}/transfer",
        {"amount_fen": amount, "terminal_id": TERMINAL, "balance_fen": balance},
        key=key or new_key("transfer"))


def _load(central: Central, order: dict[str, Any], card: EPurse) -> dict[str, Any]:
    o = central.client.post(f"/v1/load-orders/{order['order_id']}/mac2",
                            {"init_response": card.init_load(order["amount_fen"],
                                                             TERMINAL).hex()},
                            key=new_key()).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    done = central.client.post(f"/v1/load-orders/{order['order_id']}/confirm",
                               {"tac": tac.hex()}, key=new_key())
    assert done.status_code == 200, done.text
    return dict(done.json())


def _card(central: Central, card_no: str = WANG) -> dict[str, Any]:
    return dict(central.client.get(f"/v1/cards/{card_no}").json())


# -- replacement and transfer ---------------------------------------------------------------
def test_transfer_after_the_hold_moves_the_balance_once(central: Central, clock: Clock) -> None:
    # Recorded almost a week ago (the request signatures keep the server's clock near now).
    _replace(central, LIU, WANG, clock.now - 7 * DAY + 60)
    held = _card(central)["transfer"]
    assert (held["status"], held["old_card_no"], held["transferable_fen"]) == \
        ("held", LIU, LIU_BALANCE)
    assert error_of(_transfer(central, LIU_BALANCE), 409, "transfer_not_yet")["available_at"] \
        == held["available_at"]

    clock.advance(60)
    assert _card(central)["transfer"]["status"] == "available"
    resp = _transfer(central, LIU_BALANCE)
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert (order["source"], order["amount_fen"], order["old_card_no"],
            order["transferable_left_fen"]) == ("transfer", LIU_BALANCE, LIU, 0)
    # Offered at the card's next tap like any load the centre holds for it.
    card = _card(central)
    assert card["transfer"]["status"] == "in_progress"
    assert [p["source"] for p in card["pending_loads"]] == ["transfer"]
    error_of(_transfer(central, 100), 409, "transfer_in_progress")

    purse = EPurse(WANG, balance=0)
    done = _load(central, order, purse)
    assert done["balance_after_fen"] == LIU_BALANCE == purse.balance
    # The old card's central balance is zero; the second ask is refused, nothing changes.
    old = central.sql("SELECT kind, amount_fen, balance_after_fen FROM transactions"
                      " WHERE card_no = ? ORDER BY id DESC LIMIT 1", LIU)[0]
    assert tuple(old) == ("transfer_out", -LIU_BALANCE, 0)
    assert error_of(_transfer(central, 100), 409, "transfer_done")["transferred_fen"] == \
        LIU_BALANCE
    assert _card(central)["transfer"]["status"] == "done"
    events = [r[0] for r in central.sql("SELECT kind FROM card_events WHERE card_no = ?"
                                        " ORDER BY id", LIU)]
    assert events == ["replaced", "transfer_started", "transfer_completed"]


def test_late_records_are_deducted(central: Central, clock: Clock) -> None:
    _replace(central, LIU, WANG, clock.now - 8 * DAY)
    # Two offline rides of the old card reach the centre after the replacement.
    for fare in (200, 150):
        central.sql("INSERT INTO transactions (card_no, occurred_at, kind, amount_fen)"
                    " VALUES (?, ?, 'ride', ?)", LIU, int(clock.now) - 9 * DAY, -fare)
    view = _card(central)["transfer"]
    assert (view["late_fen"], view["transferable_fen"]) == (350, LIU_BALANCE - 350)
    error_of(_transfer(central, LIU_BALANCE), 422, "transfer_amount")
    assert _transfer(central, LIU_BALANCE - 350).status_code == 201


def test_over_the_cap_the_rest_stays_transferable(start_central: Callable[..., Central],
                                                  clock: Clock) -> None:
    central = start_central(clock=clock, purse_cap_fen=5000)
    _replace(central, LIU, WANG, clock.now - 8 * DAY)
    # The new card holds 30.00 already: 20.00 fits, 25.00 stays transferable.
    error_of(_transfer(central, LIU_BALANCE, balance=3000), 422, "balance_cap")
    order = _transfer(central, 2000, balance=3000).json()
    assert order["transferable_left_fen"] == 2500
    _load(central, order, EPurse(WANG, balance=3000))
    assert _card(central)["transfer"]["transferable_fen"] == 2500
    assert _card(central)["transfer"]["status"] == "available"
    rest = _transfer(central, 2500, balance=0)
    assert rest.status_code == 201 and rest.json()["transferable_left_fen"] == 0


def test_two_kiosks_at_once_one_transfer(central: Central, clock: Clock) -> None:
    _replace(central, LIU, WANG, clock.now - 8 * DAY)
    first = _transfer(central, LIU_BALANCE, key="kiosk-a-first")
    second = _transfer(central, LIU_BALANCE, key="kiosk-b-first",
                       client=central.another_client())
    assert first.status_code == 201
    error_of(second, 409, "transfer_in_progress")
    # A retry of the first (a lost answer) is the same order, not a second one.
    again = _transfer(central, LIU_BALANCE, key="kiosk-a-first")
    assert again.json()["order_id"] == first.json()["order_id"]
    assert central.sql("SELECT COUNT(*) FROM orders WHERE source = 'transfer'")[0][0] == 1


def test_a_cancelled_transfer_is_transferable_again(central: Central, clock: Clock) -> None:
    _replace(central, LIU, WANG, clock.now - 8 * DAY)
    order = _transfer(central, LIU_BALANCE).json()
    central.client.post(f"/v1/load-orders/{order['order_id']}/cancel", {}, key=new_key())
    assert _card(central)["transfer"]["transferable_fen"] == LIU_BALANCE
    assert _transfer(central, LIU_BALANCE).status_code == 201


def test_transfer_refusals_change_nothing(central: Central, clock: Clock) -> None:
    error_of(_transfer(central, 100, card_no=LI), 409, "transfer_none")  # unrelated card
    error_of(_transfer(central, 100, card_no=UNKNOWN), 404, "card_unknown")
    _replace(central, LIU, WANG, clock.now - 8 * DAY)
    central.sql("UPDATE cards SET status = 'lost' WHERE card_no = ?", WANG)
    error_of(_transfer(central, 100), 409, "card_lost")  # a transfer to a lost card
    assert central.sql("SELECT transferred_fen FROM replacements")[0][0] == 0
    assert central.sql("SELECT COUNT(*) FROM orders WHERE source = 'transfer'")[0][0] == 0


def test_replace_card_refusals(central: Central, clock: Clock) -> None:
    for old, new, why in [(ZHANG, WANG, "only a card reported lost"),
                          (LIU, LIU, "same card"), (LIU, CHEN, "must be active"),
                          (LIU, UNKNOWN, "no card")]:
        with pytest.raises(ValueError, match=why):
            _replace(central, old, new, clock.now)
    _replace(central, LIU, WANG, clock.now)
    with pytest.raises(ValueError, match="already has a replacement"):
        _replace(central, LIU, LI, clock.now)


# -- cancelling a loss report -------------------------------------------------------------------
def _cancel(central: Central, card_no: str, **proof: str) -> Any:
    return central.client.post(f"/v1/cards/{card_no}/loss-report/cancel", proof)


def test_cancel_a_loss_report_with_the_payment_password(central: Central) -> None:
    central.client.post(f"/v1/cards/{ZHANG}/loss-report",
                        {"pin_block": pin_block(central, DEMO_PIN, ZHANG)}, key=new_key())
    report_no = central.sql("SELECT loss_report_no FROM cards WHERE card_no = ?", ZHANG)[0][0]
    tries = error_of(_cancel(central, ZHANG, pin_block=pin_block(central, "000000", ZHANG)),
                     422, "pin_wrong")["tries_left"]
    assert tries == 2 and _card(central, ZHANG)["status"] == "lost"
    resp = _cancel(central, ZHANG, pin_block=pin_block(central, DEMO_PIN, ZHANG))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["report_no"]) == ("active", report_no)
    assert _card(central, ZHANG)["status"] == "active"
    error_of(_cancel(central, ZHANG, pin_block=pin_block(central, DEMO_PIN, ZHANG)),
             409, "card_not_lost")
    assert [r[0] for r in central.sql("SELECT kind FROM card_events WHERE card_no = ?",
                                      ZHANG)] == ["loss_cancelled"]


def test_a_replaced_card_stays_lost(central: Central, clock: Clock) -> None:
    id_last6 = central.sql("SELECT id_last6 FROM cards WHERE card_no = ?", LIU)[0][0]
    _replace(central, LIU, WANG, clock.now)
    error_of(_cancel(central, LIU, id_last6=id_last6), 409, "card_replaced")
    assert _card(central, LIU)["status"] == "lost"
    error_of(_cancel(central, LIU, id_last6="000000" if id_last6 != "000000" else "111111"),
             422, "identity_mismatch")
