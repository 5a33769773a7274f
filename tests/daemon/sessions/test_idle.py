"""Idle timeouts per step, on a fake clock with the worker run by the test: a
session left alone is finished or held, never dropped; a result screen, a bill
left unpaid and a card screen nobody touches go back to the attract screen;
a step where money is moving never times out."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.daemon.sessions.kit import IDLE_S, Kit, make_kit

JUST_BEFORE = IDLE_S - 0.5  # (halves: exact in binary, so the sums are too)


def test_inserting_with_cash_finishes_by_itself_and_loads_it(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.clock.advance(30)
    kit.acceptor.insert(2000)  # a note restarts the idle time
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == "inserting" and kit.acceptor.accepting
    kit.tick_after(0.5)
    assert not kit.acceptor.accepting
    assert kit.step() == "done" and kit.snap().session.balance_after_fen == 8650 + 2000
    assert kit.journaled() == [("topup", "completed")]
    assert kit.receipts() == ["topup"]


def test_inserting_without_cash_is_cancelled_by_itself(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == "inserting"
    kit.tick_after(0.5)
    assert kit.snap().screen == "attract" and not kit.sessions.busy()
    assert not kit.acceptor.accepting
    assert kit.journaled() == [("topup", "cancelled")]


def _waiting_for_the_card(kit: Kit) -> None:
    kit.top_up(1000, card_gone=True)
    assert kit.step() == "tap_card"


def test_a_card_that_does_not_come_back_leaves_a_pending_load_and_a_voucher(kit: Kit) -> None:
    _waiting_for_the_card(kit)
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == "tap_card"
    kit.tick_after(0.5)
    assert kit.step() == "pending" and kit.snap().session.receipt == "printed"
    assert kit.journaled() == [("topup", "pending")]
    assert kit.receipts() == ["voucher"]
    [order] = kit.store.for_session(kit.journal.query("SELECT id FROM sessions")[0]["id"])
    assert (order.state, order.facts["reason"]) == ("pending", "walked_away")
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == "pending"  # the voucher's screen has its own idle time
    kit.tick_after(0.5)
    assert kit.snap().screen == "attract" and not kit.sessions.busy()


def test_the_card_back_in_time_is_loaded(kit: Kit) -> None:
    _waiting_for_the_card(kit)
    kit.tick_after(JUST_BEFORE)
    kit.tap()
    kit.worker.run()
    assert kit.step() == "done" and kit.receipts() == ["topup"]
    kit.tick_after(IDLE_S)  # a later tick holds nothing
    assert kit.journaled() == [("topup", "completed")]


def test_the_card_wait_is_its_own_setting(tmp_path: Path) -> None:
    kit = make_kit(tmp_path, card_wait_s=3 * IDLE_S)
    try:
        _waiting_for_the_card(kit)
        kit.tick_after(3 * IDLE_S - 0.5)
        assert kit.step() == "tap_card"
        kit.tick_after(0.5)
        assert kit.step() == "pending"
    finally:
        kit.sessions.close()
        kit.journal.close()


def test_a_tap_whose_order_run_waited_too_long_leaves_the_hold_alone(
        kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
    _waiting_for_the_card(kit)
    kit.tap()
    kit.lift_card()
    # The run the tap queued has not started (the worker was busy) when the wait runs out.
    kit.sessions.tick(kit.clock.advance(IDLE_S))
    assert len(kit.worker.jobs) == 2  # the tap's run, then the hold
    driven = len(kit.loads.driven)
    with caplog.at_level(logging.ERROR):
        kit.worker.run()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert kit.step() == "pending" and len(kit.loads.driven) == driven
    assert kit.journaled() == [("topup", "pending")]


@pytest.mark.parametrize("outcome", ["complete", "offline", "refused"])
def test_each_result_screen_goes_back_to_the_start(kit: Kit, outcome: str) -> None:
    kit.top_up(1000, outcome=outcome)
    result = {"complete": "done", "offline": "pending", "refused": "failed"}[outcome]
    assert kit.step() == result
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == result and kit.sessions.busy()
    kit.tick_after(0.5)
    assert kit.snap().screen == "attract" and kit.snap().session is None
    assert not kit.sessions.busy()


def test_a_bill_left_unpaid_is_cancelled(kit: Kit) -> None:
    kit.central.answers["/v1/bills"] = {"bill_id": "B1", "amount_due_fen": 3720,
                                        "status": "unpaid"}
    kit.show_card()
    kit.sessions.find_bill("water", "100004")
    kit.tick_after(JUST_BEFORE)
    assert kit.step() == "found"
    kit.tick_after(0.5)
    assert kit.snap().screen == "attract"
    assert kit.journaled() == [("bill", "cancelled")]


@pytest.mark.parametrize("driving", ["loading", "paying"])
def test_a_step_where_money_moves_never_times_out(kit: Kit, driving: str) -> None:
    kit.show_card()
    if driving == "loading":
        kit.sessions.start_topup()
        kit.acceptor.insert(1000)
        kit.sessions.finish_topup()
    else:
        kit.central.answers["/v1/bills"] = {"bill_id": "B1", "amount_due_fen": 3720}
        kit.sessions.find_bill("water", "100004")
        kit.sessions.pay_bill(None)
    assert kit.step() == driving and kit.worker.jobs  # the order waits on the worker
    kit.sessions.tick(kit.clock.advance(10 * IDLE_S))
    assert kit.step() == driving and kit.sessions.busy()
    assert kit.journaled()[0][1] == "open"


def test_the_card_screen_goes_back_to_the_start_when_nobody_touches_it(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.tick(kit.clock.now)  # the ticker sees the card screen
    kit.sessions.tick(kit.clock.advance(JUST_BEFORE))
    assert kit.snap().screen == "card"
    kit.state.update(language="zh")  # the cardholder touched it
    kit.sessions.tick(kit.clock.advance(0.5))
    kit.sessions.tick(kit.clock.advance(JUST_BEFORE))
    assert kit.snap().screen == "card"
    kit.sessions.tick(kit.clock.advance(0.5))
    assert kit.snap().screen == "attract" and kit.snap().card is None


def test_a_cardholder_typing_keeps_the_card_screen_and_one_who_left_does_not(kit: Kit) -> None:
    """Typing on a UI-only keypad changes nothing the daemon sees; the UI's keep-alive
    (still_here) does, and once it stops the screen times out as before."""
    kit.show_card()
    kit.sessions.tick(kit.clock.now)
    for _ in range(3):  # three keep-alives, each just before the screen would go
        kit.sessions.tick(kit.clock.advance(JUST_BEFORE))
        assert kit.snap().screen == "card"
        kit.sessions.still_here()
    kit.sessions.tick(kit.clock.advance(JUST_BEFORE))
    assert kit.snap().screen == "card"
    kit.sessions.tick(kit.clock.advance(0.5))  # walked away: no keep-alive for idle_s
    assert kit.snap().screen == "attract" and kit.snap().card is None


def test_a_bill_being_paid_with_the_pin_pad_is_kept_while_typed_on(kit: Kit) -> None:
    kit.show_card()
    kit.central.answers["/v1/bills"] = {"bill_id": "B1", "amount_due_fen": 3720}
    kit.sessions.find_bill("water", "100004")
    kit.tick_after(JUST_BEFORE)
    kit.sessions.still_here()
    kit.tick_after(JUST_BEFORE)  # 119 s on the bill, 59.5 s since the last key
    assert kit.step() == "found"
    kit.tick_after(0.5)
    assert kit.snap().screen == "attract"
    assert kit.journaled() == [("bill", "cancelled")]


def test_a_touch_does_not_hold_off_the_card_wait(kit: Kit) -> None:
    _waiting_for_the_card(kit)
    kit.tick_after(JUST_BEFORE)
    kit.sessions.still_here()  # the screen is touched, the card stays away
    kit.tick_after(0.5)
    assert kit.step() in ("holding", "pending")
