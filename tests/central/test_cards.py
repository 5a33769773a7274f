"""Card look-up, history paging, statements and loss reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from central.routes.common import mask_name
from tests.central.helpers import (
    CHEN,
    DEMO_PIN,
    LI,
    LIU,
    UNKNOWN,
    WANG,
    YANG,
    ZHANG,
    Central,
    Clock,
    error_of,
    pin_block,
    same_answer,
)


def test_card_view_has_status_type_masked_name_points(central: Central) -> None:
    card = central.client.get(f"/v1/cards/{WANG}").json()
    assert card == {"card_no": WANG, "card_type": "senior", "holder_name_masked": "王*英",
                    "discount": {"bus_percent": 100, "metro_percent": 50,
                                 "transfer_off_fen": 100, "transfer_window_min": 90},
                    "status": "active", "valid_from": "2020-03-15", "valid_until": "2035-03-14",
                    "points": 0, "pin_set": False, "pin_locked_until": None,
                    "pending_loads": [],
                    "load_limits": {"single_max_fen": 50000, "daily_max_fen": 100000,
                                    "daily_used_fen": 0, "daily_remaining_fen": 100000,
                                    "purse_cap_fen": 100000},
                    "transfer": None, "blacklist": None}
    li = central.client.get(f"/v1/cards/{LI}").json()
    assert (li["card_type"], li["holder_name_masked"], li["points"], li["pin_set"]) == (
        "student", "李*", 310, True)
    assert li["discount"]["bus_percent"] == li["discount"]["metro_percent"] == 50


def test_the_seeded_rides_follow_the_card_types_discounts(central: Central) -> None:
    """One table says what a card type gets off a ride: the history obeys it."""
    from central.fares import ride_discount
    rows = central.sql("SELECT c.card_type, t.fare_fen, t.ride_discount_fen, t.mode FROM "
                       "transactions t JOIN cards c USING (card_no) WHERE t.kind = 'ride'")
    assert rows
    for r in rows:
        assert r["ride_discount_fen"] == ride_discount(r["card_type"], r["fare_fen"],
                                                       r["mode"] == "bus")


@pytest.mark.parametrize(("card_no", "status"), [(LIU, "lost"), (CHEN, "blacklisted"),
                                                 (YANG, "expired"), (ZHANG, "active")])
def test_card_status_as_seeded(central: Central, card_no: str, status: str) -> None:
    assert central.client.get(f"/v1/cards/{card_no}").json()["status"] == status


def test_unknown_card_and_malformed_number(central: Central) -> None:
    assert error_of(central.client.get(f"/v1/cards/{UNKNOWN}"), 404,
                    "card_unknown")["card_no"] == UNKNOWN
    details = error_of(central.client.get("/v1/cards/3104"), 400, "validation_error")
    assert details["field"] == "card_no"


def test_name_masking() -> None:
    assert [mask_name(n) for n in ("张伟", "王秀英", "欧阳娜娜", "李", "")] == [
        "张*", "王*英", "欧**娜", "*", "*"]


def _all_pages(central: Central, query: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    path = f"/v1/cards/{ZHANG}/transactions?{query}"
    while True:
        page = central.client.get(path).json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        path = f"/v1/cards/{ZHANG}/transactions?{query}&cursor={page['next_cursor']}"


def test_history_pages_cover_everything_once_newest_first(central: Central) -> None:
    items = _all_pages(central, "limit=7")
    count = central.sql("SELECT COUNT(*) FROM transactions WHERE card_no = ?", ZHANG)[0][0]
    assert len(items) == count > 20
    assert len({i["id"] for i in items}) == count
    keys = [(i["occurred_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert items[0]["balance_after_fen"] == 8650  # the demo card's balance


def test_rides_carry_fare_and_discounts(central: Central) -> None:
    rides = central.client.get(f"/v1/cards/{LI}/transactions?kind=ride&limit=100").json()
    assert rides["items"] and {r["kind"] for r in rides["items"]} == {"ride"}
    for ride in rides["items"]:
        paid = ride["fare_fen"] - ride["ride_discount_fen"] - ride["transfer_discount_fen"]
        assert ride["amount_fen"] == -paid
        assert ride["ride_discount_fen"] == ride["fare_fen"] // 2  # student card
        assert ride["mode"] in ("bus", "metro")


def test_history_date_range_is_inclusive_china_days(central: Central) -> None:
    everything = _all_pages(central, "limit=100")
    day = str(everything[len(everything) // 2]["occurred_at"])[:10]
    same_day = _all_pages(central, f"limit=100&from={day}&to={day}")
    assert same_day and all(str(i["occurred_at"]).startswith(day) for i in same_day)
    assert len(same_day) == sum(1 for i in everything if str(i["occurred_at"])[:10] == day)


def test_history_rejects_bad_cursor_and_dates(central: Central) -> None:
    base = f"/v1/cards/{ZHANG}/transactions"
    assert error_of(central.client.get(base + "?cursor=zzzz"), 400,
                    "validation_error")["field"] == "cursor"
    assert error_of(central.client.get(base + "?from=2026-02-30"), 400,
                    "validation_error")["field"] == "from"
    error_of(central.client.get(base + "?from=2026-02-10&to=2026-02-01"), 400,
             "validation_error")
    error_of(central.client.get(base + "?limit=0"), 400, "validation_error")
    error_of(central.client.get(f"/v1/cards/{UNKNOWN}/transactions"), 404, "card_unknown")


def statement(central: Central, card_no: str, pin: str | None = None, days: int = 30,
              **extra: Any) -> Any:
    today = dt.date.today()
    body = {"from": (today - dt.timedelta(days=days)).isoformat(), "to": today.isoformat(),
            **extra}
    if pin is not None:
        body["pin_block"] = pin_block(central, pin, card_no)
    return central.client.post(f"/v1/cards/{card_no}/statement", body)


def test_statement_balances_add_up(central: Central) -> None:
    resp = statement(central, ZHANG, DEMO_PIN)
    s = resp.json()
    assert s["items"], s
    change = sum(i["amount_fen"] for i in s["items"])
    assert s["opening_balance_fen"] + change == s["closing_balance_fen"]
    t = s["totals"]
    assert t["loads_fen"] - t["rides_fen"] - t["purchases_fen"] - t["bill_payments_fen"] == change
    assert t["count"] == len(s["items"])
    error_of(central.client.post(f"/v1/cards/{ZHANG}/statement",
                                 {"from": "2026-01-01", "pin_block": pin_block(
                                     central, DEMO_PIN, ZHANG)}), 400, "validation_error")
    error_of(statement(central, ZHANG, DEMO_PIN, extra="x"), 400, "validation_error")


def test_statement_needs_the_password_of_a_card_that_has_one(central: Central) -> None:
    error_of(statement(central, ZHANG), 422, "pin_required")
    assert error_of(statement(central, ZHANG, "999999"), 422, "pin_wrong") == {"tries_left": 2}
    error_of(central.client.post(f"/v1/cards/{ZHANG}/pin/verify",
                                 {"pin_block": pin_block(central, "999998", ZHANG)}),
             422, "pin_wrong")  # the same count as every other use of the password
    error_of(statement(central, ZHANG, "999997"), 423, "pin_locked")
    error_of(statement(central, ZHANG, DEMO_PIN), 423, "pin_locked")


def test_statement_of_a_card_without_a_password_needs_none(central: Central) -> None:
    assert statement(central, WANG).status_code == 200
    error_of(statement(central, WANG, "135790"), 409, "pin_not_set")  # a password given is checked


@pytest.mark.parametrize(("card_no", "code"), [(LIU, "card_lost"), (CHEN, "card_blacklisted")])
def test_history_of_a_lost_or_blocked_card_is_not_given(central: Central, card_no: str,
                                                        code: str) -> None:
    details = error_of(statement(central, card_no), 409, code)
    assert details["status"] == code.removeprefix("card_")
    error_of(central.client.get(f"/v1/cards/{card_no}/transactions"), 409, code)
    assert statement(central, YANG, DEMO_PIN).status_code == 200  # expired: still theirs


def test_loss_report_with_id_takes_effect_for_every_kiosk(central: Central) -> None:
    resp = central.client.post(f"/v1/cards/{ZHANG}/loss-report", {"id_last6": ZHANG[-6:]})
    assert resp.status_code == 200
    report = resp.json()
    assert report["status"] == "lost" and report["report_no"].startswith("LR")
    seen_elsewhere = central.another_client().get(f"/v1/cards/{ZHANG}").json()
    assert seen_elsewhere["status"] == "lost"
    error_of(central.client.post(f"/v1/cards/{ZHANG}/loss-report", {"id_last6": ZHANG[-6:]}),
             409, "card_lost")


def test_loss_report_with_payment_password(central: Central) -> None:
    error_of(central.client.post(f"/v1/cards/{LI}/loss-report",
                                 {"pin_block": pin_block(central, "999999", LI)}),
             422, "pin_wrong")
    assert central.client.get(f"/v1/cards/{LI}").json()["status"] == "active"
    ok = central.client.post(f"/v1/cards/{LI}/loss-report",
                             {"pin_block": pin_block(central, "147258", LI)})
    assert ok.status_code == 200 and ok.json()["status"] == "lost"


def test_loss_report_refusals(central: Central) -> None:
    error_of(central.client.post(f"/v1/cards/{ZHANG}/loss-report", {"id_last6": "000000"}),
             422, "identity_mismatch")
    error_of(central.client.post(f"/v1/cards/{CHEN}/loss-report", {"id_last6": CHEN[-6:]}),
             409, "card_blacklisted")
    error_of(central.client.post(f"/v1/cards/{UNKNOWN}/loss-report", {"id_last6": "000000"}),
             422, "identity_mismatch")
    error_of(central.client.post(f"/v1/cards/{ZHANG}/loss-report", {}), 400, "validation_error")
    both = {"id_last6": ZHANG[-6:], "pin_block": pin_block(central, "147258", ZHANG)}
    error_of(central.client.post(f"/v1/cards/{ZHANG}/loss-report", both), 400,
             "validation_error")
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "active"


def report(central: Central, card_no: str, id_last6: str | None = None,
           pin: str | None = None) -> Any:
    body = ({"id_last6": id_last6} if id_last6 is not None
            else {"pin_block": pin_block(central, pin or "", card_no)})
    return central.client.post(f"/v1/cards/{card_no}/loss-report", body)


def test_wrong_ids_on_a_loss_report_lock_until_the_lock_ends(start_central: Any) -> None:
    clock = Clock()
    central = start_central(clock=clock, pin_lock_s=60)
    assert error_of(report(central, ZHANG, "000000"), 422, "identity_mismatch") == {
        "tries_left": 2}
    assert error_of(report(central, ZHANG, "000001"), 422, "identity_mismatch") == {
        "tries_left": 1}
    assert error_of(report(central, ZHANG, "000002"), 423, "identity_locked")[
        "retry_after_s"] == 60
    clock.advance(59)
    assert error_of(report(central, ZHANG, ZHANG[-6:]), 423, "identity_locked")[
        "retry_after_s"] == 1
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "active"
    clock.advance(1)
    assert report(central, ZHANG, ZHANG[-6:]).json()["status"] == "lost"


@pytest.mark.parametrize("proof", ["id_last6", "pin"])
def test_an_unknown_card_is_answered_like_a_wrong_proof_even_when_locked(
        start_central: Any, proof: str) -> None:
    central = start_central(clock=Clock())
    answers = []
    for _ in range(4):  # wrong, wrong, the one that locks, locked
        known, unknown = ((report(central, card, id_last6="000000") for card in (ZHANG, UNKNOWN))
                          if proof == "id_last6" else
                          (report(central, card, pin="999999") for card in (ZHANG, UNKNOWN)))
        assert same_answer(known, unknown), (known.text, unknown.text)
        answers.append(known.json()["code"])
    wrong, locked = (("identity_mismatch", "identity_locked") if proof == "id_last6"
                     else ("pin_wrong", "pin_locked"))
    assert answers == [wrong] * 2 + [locked] * 2


def test_a_wrong_proof_learns_nothing_about_a_lost_card(central: Central) -> None:
    error_of(report(central, LIU, "000000"), 422, "identity_mismatch")
    error_of(report(central, LIU, LIU[-6:]), 409, "card_lost")


def test_a_password_locked_by_a_finder_leaves_the_holder_the_id(central: Central) -> None:
    for pin in ("999999", "999998", "999997"):
        report(central, ZHANG, pin=pin)
    error_of(report(central, ZHANG, pin=DEMO_PIN), 423, "pin_locked")
    assert report(central, ZHANG, ZHANG[-6:]).json()["status"] == "lost"
