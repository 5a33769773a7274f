"""Load orders end to end against a test card: create → MAC2 → credit → confirm."""

from __future__ import annotations

from typing import Any

import pytest

from central.settings import Settings
from tests.central.card import CardRefused, EPurse
from tests.central.helpers import (
    CHEN,
    LIU,
    TERMINAL,
    UNKNOWN,
    WANG,
    YANG,
    ZHANG,
    Central,
    error_of,
    new_key,
)


def create(central: Central, card_no: str = ZHANG, amount: int = 5000, *,
           key: str | None = None, **extra: Any) -> Any:
    return central.client.post("/v1/load-orders", {"card_no": card_no, "amount_fen": amount,
                                                   "terminal_id": TERMINAL, **extra},
                               key=key or new_key("create"))


def mac2(central: Central, order_id: str, answer: bytes, key: str | None = None) -> Any:
    return central.client.post(f"/v1/load-orders/{order_id}/mac2",
                               {"init_response": answer.hex().upper()}, key=key or new_key("mac2"))


def confirm(central: Central, order_id: str, key: str | None = None, **body: str) -> Any:
    return central.client.post(f"/v1/load-orders/{order_id}/confirm", body,
                               key=key or new_key("confirm"))


def test_full_load_flow_credits_the_card_and_records_it(central: Central) -> None:
    card = EPurse(ZHANG, balance=8650, online_ctr=3)
    order = create(central, amount=5000, balance_fen=card.balance)
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    assert order.json()["status"] == "created" and order.json()["source"] == "cash"

    issued = mac2(central, order_id, card.init_load(5000, TERMINAL))
    assert issued.status_code == 200, issued.text
    o = issued.json()
    assert o["status"] == "mac2_issued" and o["balance_before_fen"] == 8650
    assert o["online_counter"] == 3 and len(o["host_date"]) == 8 and len(o["host_time"]) == 6
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])   # the card accepts MAC2
    assert card.balance == 13650

    key = new_key("confirm")
    done = confirm(central, order_id, key=key, tac=tac.hex())
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["balance_after_fen"] == 13650
    assert done.json()["confirmed_by"] == "tac"
    rows = central.sql("SELECT kind, amount_fen, balance_after_fen FROM transactions "
                       "WHERE order_id = ?", order_id)
    assert [tuple(r) for r in rows] == [("load", 5000, 13650)]

    again = confirm(central, order_id, key=key, tac=tac.hex())
    assert again.status_code == 200 and again.json() == done.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other_key = confirm(central, order_id, tac=tac.hex())
    assert other_key.status_code == 200 and other_key.json() == done.json()
    assert len(central.sql("SELECT 1 FROM transactions WHERE order_id = ?", order_id)) == 1
    history = central.client.get(f"/v1/cards/{ZHANG}/transactions?limit=1").json()
    assert history["items"][0]["order_id"] == order_id


def test_tac_with_the_counter_after_increment_when_configured(
        start_central: Any) -> None:
    central = start_central(tac_counter="after")
    card = EPurse(ZHANG, balance=100, online_ctr=7, tac_counter_after=True)
    order_id = create(central, amount=1000).json()["order_id"]
    o = mac2(central, order_id, card.init_load(1000, TERMINAL)).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    assert confirm(central, order_id, tac=tac.hex()).json()["status"] == "completed"


def test_wrong_tac_is_refused_and_the_order_stays_open(central: Central) -> None:
    card = EPurse(ZHANG, balance=0)
    order_id = create(central, amount=1000).json()["order_id"]
    o = mac2(central, order_id, card.init_load(1000, TERMINAL)).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    bad = bytes([tac[0] ^ 1]) + tac[1:]
    assert error_of(confirm(central, order_id, tac=bad.hex()), 422, "tac_invalid")
    assert central.client.get(f"/v1/load-orders/{order_id}").json()["status"] == "mac2_issued"
    assert confirm(central, order_id, tac=tac.hex()).json()["status"] == "completed"


def test_card_tear_is_settled_from_the_card_log(central: Central) -> None:
    card = EPurse(ZHANG, balance=2000, online_ctr=1)
    order_id = create(central, amount=3000).json()["order_id"]
    o = mac2(central, order_id, card.init_load(3000, TERMINAL)).json()
    card.credit_load(o["host_date"], o["host_time"], o["mac2"])  # the TAC is lost in a tear
    wrong = bytearray(card.log[0])
    wrong[8] ^= 0x10  # amount
    details = error_of(confirm(central, order_id, card_record=bytes(wrong).hex()), 422,
                       "evidence_mismatch")
    assert details["fields"] == ["amount_fen"]
    done = confirm(central, order_id, card_record=card.log[0].hex())
    assert done.json()["status"] == "completed" and done.json()["confirmed_by"] == "card_record"
    assert done.json()["balance_after_fen"] == 5000


def test_no_credit_after_a_tear_takes_a_new_mac2_and_moved_counter_does_not(
        central: Central) -> None:
    card = EPurse(ZHANG, balance=500, online_ctr=2)
    order_id = create(central, amount=1000).json()["order_id"]
    first = mac2(central, order_id, card.init_load(1000, TERMINAL)).json()
    # the card left before CREDIT FOR LOAD: same counter, new random → new MAC2
    second = mac2(central, order_id, card.init_load(1000, TERMINAL))
    assert second.status_code == 200 and second.json()["status"] == "mac2_issued"
    o = second.json()
    assert o["online_counter"] == first["online_counter"]
    card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    # now the counter moved: no new MAC2, the card log decides
    details = error_of(mac2(central, order_id, card.init_load(1000, TERMINAL)), 409,
                       "order_state")
    assert details["card_online_counter"] == 3
    assert confirm(central, order_id, card_record=card.log[0].hex()).json()["status"] == \
        "completed"


def test_tampered_mac1_is_refused(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    order_id = create(central, amount=1000).json()["order_id"]
    answer = bytearray(card.init_load(1000, TERMINAL))
    answer[3] ^= 0x01  # the balance the card claims
    error_of(mac2(central, order_id, bytes(answer)), 422, "mac1_invalid")
    assert central.client.get(f"/v1/load-orders/{order_id}").json()["status"] == "created"


def test_a_card_refuses_a_mac2_for_another_amount(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    order_id = create(central, amount=1000).json()["order_id"]
    answer = card.init_load(2000, TERMINAL)  # the kiosk initialised the card for ¥20
    error_of(mac2(central, order_id, answer), 422, "mac1_invalid")


def test_single_daily_and_cap_limits(central: Central) -> None:
    details = error_of(create(central, amount=50001), 422, "limit_single")
    assert details["limit_fen"] == 50000
    assert create(central, amount=50000).status_code == 201
    assert create(central, amount=40000).status_code == 201
    details = error_of(create(central, amount=20000), 422, "limit_daily")
    assert details == {"limit_fen": 100000, "used_fen": 90000, "remaining_fen": 10000}
    limits = central.client.get(f"/v1/cards/{ZHANG}").json()["load_limits"]
    assert (limits["daily_used_fen"], limits["daily_remaining_fen"]) == (90000, 10000)
    details = error_of(create(central, WANG, 5000, balance_fen=99000), 422, "balance_cap")
    assert details["max_amount_fen"] == 1000


def test_cap_is_checked_against_the_card_balance_at_mac2(central: Central) -> None:
    card = EPurse(WANG, balance=98000)
    order_id = create(central, WANG, 5000).json()["order_id"]
    details = error_of(mac2(central, order_id, card.init_load(5000, TERMINAL)), 422,
                       "balance_cap")
    assert details["max_amount_fen"] == 2000


def test_limits_are_configurable(start_central: Any) -> None:
    central = start_central(Settings(single_load_max_fen=1000, daily_load_max_fen=1500,
                                     purse_cap_fen=2000))
    error_of(create(central, amount=1001), 422, "limit_single")
    assert create(central, amount=1000).status_code == 201
    error_of(create(central, amount=600), 422, "limit_daily")
    error_of(create(central, WANG, 500, balance_fen=1600), 422, "balance_cap")


def test_cancelled_orders_do_not_count_towards_the_daily_limit(central: Central) -> None:
    order_id = create(central, amount=50000).json()["order_id"]
    assert create(central, amount=50000).status_code == 201
    cancelled = central.client.post(f"/v1/load-orders/{order_id}/cancel",
                                    {"reason": "cash_refunded"}, key=new_key())
    assert cancelled.json()["status"] == "cancelled"
    assert create(central, amount=50000).status_code == 201


@pytest.mark.parametrize(("card_no", "code"), [(LIU, "card_lost"), (CHEN, "card_blacklisted"),
                                               (YANG, "card_expired")])
def test_cards_that_may_not_be_loaded(central: Central, card_no: str, code: str) -> None:
    details = error_of(create(central, card_no), 409, code)
    assert details["card_no"] == card_no


def test_unknown_card_and_order(central: Central) -> None:
    error_of(create(central, UNKNOWN), 404, "card_unknown")
    missing = "LO" + "0" * 24
    error_of(central.client.get(f"/v1/load-orders/{missing}"), 404, "order_unknown")
    error_of(mac2(central, missing, bytes(16)), 404, "order_unknown")


def test_loss_report_stops_an_open_order_at_once(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    order_id = create(central, amount=1000).json()["order_id"]
    lost = central.another_client().post(f"/v1/cards/{ZHANG}/loss-report",
                                         {"id_last6": ZHANG[-6:]})
    assert lost.status_code == 200
    error_of(mac2(central, order_id, card.init_load(1000, TERMINAL)), 409, "card_lost")


def test_cancel_only_before_mac2(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    order_id = create(central, amount=1000).json()["order_id"]
    mac2(central, order_id, card.init_load(1000, TERMINAL))
    resp = central.client.post(f"/v1/load-orders/{order_id}/cancel", {}, key=new_key())
    assert error_of(resp, 409, "order_state")["status"] == "mac2_issued"


def test_confirm_before_mac2_and_mac2_after_completion_are_refused(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    order_id = create(central, amount=1000).json()["order_id"]
    error_of(confirm(central, order_id, tac="00000000"), 409, "order_state")
    o = mac2(central, order_id, card.init_load(1000, TERMINAL)).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    confirm(central, order_id, tac=tac.hex())
    error_of(mac2(central, order_id, card.init_load(1000, TERMINAL)), 409, "order_state")
    error_of(confirm(central, order_id, tac="00000000"), 409, "order_state")


def test_money_requests_need_an_idempotency_key(central: Central) -> None:
    resp = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": 100,
                                                   "terminal_id": TERMINAL})
    error_of(resp, 400, "idempotency_key_required")
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 0


def test_same_key_for_a_different_request_is_a_conflict(central: Central) -> None:
    key = new_key()
    first = create(central, amount=100, key=key)
    assert first.status_code == 201
    error_of(create(central, amount=200, key=key), 422, "idempotency_conflict")
    replay = create(central, amount=100, key=key)
    assert replay.status_code == 201 and replay.json() == first.json()


def test_a_refusal_is_the_first_result_too(central: Central) -> None:
    key = new_key()
    error_of(create(central, amount=60000, key=key), 422, "limit_single")
    replay = create(central, amount=60000, key=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    error_of(replay, 422, "limit_single")


def test_pending_loads_are_listed_and_shown_on_the_card(central: Central) -> None:
    card = EPurse(ZHANG, balance=100)
    a = create(central, amount=1000).json()["order_id"]
    b = create(central, amount=2000).json()["order_id"]
    mac2(central, b, card.init_load(2000, TERMINAL))
    c = create(central, amount=3000).json()["order_id"]
    central.client.post(f"/v1/load-orders/{c}/cancel", {}, key=new_key())
    listed = central.client.get(f"/v1/cards/{ZHANG}/pending-loads").json()
    assert [(o["order_id"], o["status"]) for o in listed["pending_loads"]] == [
        (a, "created"), (b, "mac2_issued")]
    assert listed["total_fen"] == 3000
    shown = central.client.get(f"/v1/cards/{ZHANG}").json()["pending_loads"]
    assert [(p["order_id"], p["amount_fen"]) for p in shown] == [(a, 1000), (b, 2000)]
    error_of(central.client.get(f"/v1/cards/{UNKNOWN}/pending-loads"), 404, "card_unknown")


def test_a_pending_load_is_finished_at_another_kiosk(central: Central) -> None:
    order_id = create(central, amount=1500).json()["order_id"]  # customer walked away
    card = EPurse(ZHANG, balance=300, online_ctr=9)
    other_terminal = "440300000002"
    answer = card.init_load(1500, other_terminal)
    issued = central.client.post(f"/v1/load-orders/{order_id}/mac2",
                                 {"init_response": answer.hex(), "terminal_id": other_terminal},
                                 key=new_key())
    o = issued.json()
    assert o["terminal_id"] == other_terminal
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"])
    assert confirm(central, order_id, tac=tac.hex()).json()["status"] == "completed"
    assert card.balance == 1800


def test_card_refuses_a_forged_mac2() -> None:
    card = EPurse(ZHANG)
    card.init_load(100, TERMINAL)
    with pytest.raises(CardRefused):
        card.credit_load("20261124", "120000", "00000000")
