"""Points: balance and redemption into a load order."""

from __future__ import annotations

from tests.central.card import EPurse
from tests.central.helpers import LIU, TERMINAL, WANG, ZHANG, Central, error_of, new_key


def redeem(central: Central, points: int, card_no: str = ZHANG) -> object:
    return central.client.post(f"/v1/cards/{card_no}/points/redeem",
                               {"points": points, "terminal_id": TERMINAL}, key=new_key())


def test_points_balance(central: Central) -> None:
    assert central.client.get(f"/v1/cards/{ZHANG}/points").json() == {
        "card_no": ZHANG, "points": 1280, "points_per_yuan": 100, "redeemable_points": 1200,
        "redeemable_fen": 1200}


def test_redeem_into_a_load_and_complete_it(central: Central) -> None:
    resp = redeem(central, 1200)
    assert resp.status_code == 201  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert body["points_left"] == 80
    order = body["order"]
    assert (order["source"], order["amount_fen"], order["points_used"]) == ("points", 1200, 1200)
    card = EPurse(ZHANG, balance=8650)
    o = central.client.post(f"/v1/load-orders/{order['order_id']}/mac2",
                            {"init_response": card.init_load(1200, TERMINAL).hex()},
                            key=new_key()).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    done = central.client.post(f"/v1/load-orders/{order['order_id']}/confirm",
                               {"tac": tac.hex()}, key=new_key()).json()
    assert done["balance_after_fen"] == 9850 and card.balance == 9850
    rows = central.sql("SELECT points_delta FROM transactions WHERE order_id = ?",
                       order["order_id"])
    assert rows[0][0] == -1200


def test_cancelled_redemption_gives_the_points_back(central: Central) -> None:
    order_id = redeem(central, 1000).json()["order"]["order_id"]  # type: ignore[attr-defined]
    assert central.client.get(f"/v1/cards/{ZHANG}/points").json()["points"] == 280
    central.client.post(f"/v1/load-orders/{order_id}/cancel", {}, key=new_key())
    assert central.client.get(f"/v1/cards/{ZHANG}/points").json()["points"] == 1280


def test_redeem_refusals(central: Central) -> None:
    error_of(redeem(central, 1300), 422, "points_insufficient")
    assert error_of(redeem(central, 150), 400, "validation_error")["step"] == 100
    error_of(redeem(central, 100, WANG), 422, "points_insufficient")
    error_of(redeem(central, 100, LIU), 409, "card_lost")
    assert central.client.get(f"/v1/cards/{ZHANG}/points").json()["points"] == 1280
