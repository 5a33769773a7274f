"""Utility bills: look-up and payment from the e-purse (purchase with MAC1/MAC2/TAC)."""

from __future__ import annotations

from typing import Any

from tests.central.card import EPurse
from tests.central.helpers import (
    DEMO_PIN,
    LIU,
    TERMINAL,
    WANG,
    ZHANG,
    Central,
    error_of,
    new_key,
    pin_block,
)


def bill(central: Central, utility: str, account: str) -> Any:
    return central.client.get(f"/v1/bills?utility={utility}&account_no={account}")


def create(central: Central, bill_id: str, amount: int, card_no: str = ZHANG,
           **extra: Any) -> Any:
    return central.client.post("/v1/purchase-orders", {
        "card_no": card_no, "bill_id": bill_id, "amount_fen": amount, "terminal_id": TERMINAL,
        **extra}, key=new_key("po"))


def pay(central: Central, card: EPurse, bill_id: str, amount: int, **extra: Any) -> Any:
    order = create(central, bill_id, amount, card.card_no, **extra)
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    o = central.client.post(f"/v1/purchase-orders/{order_id}/mac1",
                            {"init_response": card.init_purchase(amount, TERMINAL).hex()},
                            key=new_key()).json()
    answer = card.debit_purchase(o["terminal_seq"], o["host_date"], o["host_time"], o["mac1"])
    return central.client.post(f"/v1/purchase-orders/{order_id}/confirm",
                               {"tac": answer[:4].hex(), "mac2": answer[4:].hex()},
                               key=new_key())


def test_bill_lookup(central: Central) -> None:
    b = bill(central, "water", "100001").json()
    assert (b["utility"], b["account_no"], b["amount_due_fen"], b["status"]) == (
        "water", "100001", 4560, "unpaid")
    assert b["pin_required"] is False and len(b["holder_name_masked"]) >= 2
    assert "*" in b["holder_name_masked"]
    assert bill(central, "gas", "300003").json()["status"] == "paid"
    assert bill(central, "electricity", "200002").json()["pin_required"] is True
    error_of(bill(central, "water", "999999"), 404, "bill_not_found")
    error_of(bill(central, "heating", "100001"), 400, "validation_error")
    error_of(central.client.get("/v1/bills?utility=water"), 400, "validation_error")


def test_pay_a_bill_from_the_card(central: Central) -> None:
    b = bill(central, "water", "100001").json()
    card = EPurse(ZHANG, balance=8650, offline_ctr=12)
    done = pay(central, card, b["bill_id"], 4560)
    assert done.status_code == 200, done.text
    o = done.json()
    assert o["status"] == "completed" and o["balance_after_fen"] == 8650 - 4560
    assert card.balance == 4090
    assert bill(central, "water", "100001").json()["status"] == "paid"
    rows = central.sql("SELECT kind, amount_fen, balance_after_fen FROM transactions "
                       "WHERE order_id = ?", o["order_id"])
    assert [tuple(r) for r in rows] == [("bill_payment", -4560, 4090)]
    error_of(create(central, b["bill_id"], 4560), 409, "bill_already_paid")


def test_bill_over_the_threshold_needs_the_payment_password(central: Central) -> None:
    b = bill(central, "electricity", "200002").json()
    error_of(create(central, b["bill_id"], 23680), 422, "pin_required")
    wrong = pin_block(central, "999999", ZHANG)
    assert error_of(create(central, b["bill_id"], 23680, pin_block=wrong), 422,
                    "pin_wrong") == {"tries_left": 2}
    card = EPurse(ZHANG, balance=50000)
    done = pay(central, card, b["bill_id"], 23680, pin_block=pin_block(central, DEMO_PIN, ZHANG))
    assert done.json()["status"] == "completed"


def test_three_wrong_passwords_on_payment_lock(central: Central) -> None:
    b = bill(central, "electricity", "200002").json()
    wrong = pin_block(central, "999999", ZHANG)
    error_of(create(central, b["bill_id"], 23680, pin_block=wrong), 422, "pin_wrong")
    error_of(create(central, b["bill_id"], 23680, pin_block=wrong), 422, "pin_wrong")
    error_of(create(central, b["bill_id"], 23680, pin_block=wrong), 423, "pin_locked")
    right = pin_block(central, DEMO_PIN, ZHANG)
    error_of(create(central, b["bill_id"], 23680, pin_block=right), 423, "pin_locked")
    error_of(create(central, b["bill_id"], 23680, WANG, pin_block=pin_block(central, "1470", WANG)),
             409, "pin_not_set")


def test_payment_refusals(central: Central) -> None:
    b = bill(central, "water", "100001").json()
    error_of(create(central, b["bill_id"], 4500), 422, "amount_mismatch")
    error_of(create(central, "BX000000000000", 4560), 404, "bill_not_found")
    error_of(create(central, b["bill_id"], 4560, LIU), 409, "card_lost")
    order_id = create(central, b["bill_id"], 4560, WANG).json()["order_id"]
    poor = EPurse(WANG, balance=100)
    resp = central.client.post(f"/v1/purchase-orders/{order_id}/mac1",
                               {"init_response": poor.init_purchase(4560, TERMINAL).hex()},
                               key=new_key())
    assert error_of(resp, 422, "insufficient_balance")["balance_fen"] == 100


def test_forged_card_answers_are_refused(central: Central) -> None:
    b = bill(central, "water", "100001").json()
    card = EPurse(ZHANG, balance=9000)
    order_id = create(central, b["bill_id"], 4560).json()["order_id"]
    o = central.client.post(f"/v1/purchase-orders/{order_id}/mac1",
                            {"init_response": card.init_purchase(4560, TERMINAL).hex()},
                            key=new_key()).json()
    answer = card.debit_purchase(o["terminal_seq"], o["host_date"], o["host_time"], o["mac1"])
    tac, mac2 = answer[:4].hex(), answer[4:].hex()
    path = f"/v1/purchase-orders/{order_id}/confirm"
    error_of(central.client.post(path, {"tac": tac, "mac2": "00000000"}, key=new_key()), 422,
             "mac2_invalid")
    error_of(central.client.post(path, {"tac": "00000000", "mac2": mac2}, key=new_key()), 422,
             "tac_invalid")
    assert bill(central, "water", "100001").json()["status"] == "unpaid"
    ok = central.client.post(path, {"card_record": card.log[0].hex()}, key=new_key())
    assert ok.json()["status"] == "completed" and ok.json()["confirmed_by"] == "card_record"


def test_cancel_a_payment_before_the_debit(central: Central) -> None:
    b = bill(central, "gas", "300001").json()
    order_id = create(central, b["bill_id"], b["amount_due_fen"]).json()["order_id"]
    path = f"/v1/purchase-orders/{order_id}/cancel"
    assert central.client.post(path, {"reason": "customer_cancelled"},
                               key=new_key()).json()["status"] == "cancelled"
    mac1 = central.client.post(f"/v1/purchase-orders/{order_id}/mac1",
                               {"init_response": "00" * 15}, key=new_key())
    error_of(mac1, 409, "order_state")
    got = central.client.get(f"/v1/purchase-orders/{order_id}").json()
    assert got["status"] == "cancelled" and got["bill_id"] == b["bill_id"]
    error_of(central.client.get("/v1/purchase-orders/PO" + "0" * 24), 404, "order_unknown")
