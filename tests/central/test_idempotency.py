"""Idempotency under concurrency: many copies of one money request, one effect."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.central.card import EPurse
from tests.central.helpers import KIOSK, TERMINAL, WANG, ZHANG, Central, new_key


def _together(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call`` on ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_creates_with_one_key_make_one_order(central: Central) -> None:
    key = new_key("dup")
    body = {"card_no": ZHANG, "amount_fen": 2000, "terminal_id": TERMINAL}
    clients = [central.another_client() for _ in range(12)]
    answers = _together(12, lambda i: clients[i].post("/v1/load-orders", body, key=key))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["order_id"] for a in answers}) == 1
    replayed = [a for a in answers if a.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 11
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 1
    assert central.sql("SELECT COUNT(*) FROM idempotency WHERE kiosk_id = ? AND key = ?",
                       KIOSK, key)[0][0] == 1


def test_concurrent_confirms_with_one_key_record_one_load(central: Central) -> None:
    card = EPurse(ZHANG, balance=1000)
    order_id = central.client.post("/v1/load-orders", {
        "card_no": ZHANG, "amount_fen": 3000, "terminal_id": TERMINAL}, key=new_key()).json()[
        "order_id"]
    o = central.client.post(f"/v1/load-orders/{order_id}/mac2",
                            {"init_response": card.init_load(3000, TERMINAL).hex()},
                            key=new_key()).json()
    tac = card.credit_load(o["host_date"], o["host_time"], o["mac2"]).hex()
    key = new_key("confirm")
    clients = [central.another_client() for _ in range(8)]
    answers = _together(8, lambda i: clients[i].post(f"/v1/load-orders/{order_id}/confirm",
                                                     {"tac": tac}, key=key))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"completed"}
    assert central.sql("SELECT COUNT(*) FROM transactions WHERE order_id = ?",
                       order_id)[0][0] == 1


def test_concurrent_different_keys_cannot_beat_the_daily_limit(central: Central) -> None:
    body = {"card_no": WANG, "amount_fen": 40000, "terminal_id": TERMINAL}
    clients = [central.another_client() for _ in range(6)]
    answers = _together(6, lambda i: clients[i].post("/v1/load-orders", body,
                                                     key=new_key(f"t{i}")))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 422, 422, 422, 422]
    assert {a.json()["code"] for a in answers if a.status_code == 422} == {"limit_daily"}
    total = central.sql("SELECT SUM(amount_fen) FROM orders WHERE card_no = ?", WANG)[0][0]
    assert total == 80000


def test_concurrent_redemptions_with_one_key_take_the_points_once(central: Central) -> None:
    key = new_key("redeem")
    clients = [central.another_client() for _ in range(8)]
    answers = _together(8, lambda i: clients[i].post(
        f"/v1/cards/{ZHANG}/points/redeem", {"points": 1000, "terminal_id": TERMINAL}, key=key))
    assert {a.status_code for a in answers} == {201}
    assert {a.json()["points_left"] for a in answers} == {280}
    assert central.sql("SELECT points FROM cards WHERE card_no = ?", ZHANG)[0][0] == 280
