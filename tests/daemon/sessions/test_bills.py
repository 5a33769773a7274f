"""A bill through the machine: found, paid (with the payment password's block
over the threshold), and what a refusal or a lost link leaves."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.central import CentralRejected, CentralUnavailable
from daemon.errors import BadInput, CentralRefusal, KioskError, Unavailable
from tests.daemon.sessions.kit import Kit

BILL = {"bill_id": "B1", "utility": "water", "payee": "City Water", "account_no": "100004",
        "holder_name_masked": "王*", "period": "2026-10", "amount_due_fen": 3720,
        "status": "unpaid"}


def _found(kit: Kit, **bill: Any) -> None:
    kit.central.answers["/v1/bills"] = {**BILL, **bill}
    kit.show_card()
    view = kit.sessions.find_bill("water", "100004")
    assert (view.kind, view.step, view.amount_fen) == ("bill", "found", bill.get(
        "amount_due_fen", 3720))


def test_a_bill_found_then_paid_prints_its_receipt(kit: Kit) -> None:
    _found(kit)
    assert kit.sessions.pay_bill(None).step == "paying"
    kit.worker.run()
    done = kit.snap().session
    assert done is not None and (done.step, done.balance_after_fen, done.receipt) == (
        "done", 8650 - 3720, "printed")
    assert kit.journaled() == [("bill", "completed")] and kit.receipts() == ["bill_payment"]


def test_over_the_threshold_the_payment_password_goes_as_a_block(kit: Kit) -> None:
    _found(kit, amount_due_fen=25000)
    assert kit.snap().session.pin_required
    with pytest.raises(BadInput) as missing:
        kit.sessions.pay_bill(None)
    assert missing.value.code == "pin_required" and kit.step() == "found"
    with pytest.raises(BadInput) as bad:
        kit.sessions.pay_bill("12ab56")
    assert bad.value.code == "bad_pin"
    kit.sessions.pay_bill("135790")
    assert list(kit.purchases.pin_blocks.values()) == ["BLOCK-0017"]


@pytest.mark.parametrize("outcome", ["refused", "card_error"])
def test_a_refused_payment_fails_with_the_reason_and_is_given_up(kit: Kit, outcome: str) -> None:
    _found(kit)
    kit.sessions.pay_bill(None)
    kit.purchases.script = [outcome]
    kit.worker.run()
    assert kit.step() == "failed" and kit.snap().notice is not None
    assert kit.snap().notice.code == {"refused": "card_lost", "card_error": "card_error"}[outcome]
    assert kit.journaled() == [("bill", "failed")] and len(kit.purchases.given_up) == 1


def test_a_payment_the_centre_cannot_hear_is_given_up_and_the_screen_reset(kit: Kit) -> None:
    _found(kit)
    kit.sessions.pay_bill(None)
    kit.purchases.script = ["offline"]
    kit.worker.run()
    assert kit.snap().screen == "attract" and not kit.sessions.busy()
    assert kit.journaled() == [("bill", "cancelled")] and len(kit.purchases.given_up) == 1


def test_a_payment_whose_card_never_comes_back_is_given_up(kit: Kit) -> None:
    _found(kit)
    kit.lift_card()
    kit.sessions.pay_bill(None)
    kit.worker.run()
    assert kit.step() == "tap_card"
    kit.tick_after(60)
    assert kit.snap().screen == "attract" and kit.journaled() == [("bill", "cancelled")]


@pytest.mark.parametrize(("answer", "code", "status"), [
    (CentralRejected(404, "bill_not_found", "No bill.", "未查到账单。", {"utility": "water"}),
     "bill_not_found", 404),
    (CentralUnavailable("no answer"), "central_offline", None),
    (["not", "a", "bill"], "central_malformed", None),
    ({**BILL, "amount_due_fen": -3720}, "central_malformed", None),
    ({**BILL, "amount_due_fen": "3720"}, "central_malformed", None),
    ({k: v for k, v in BILL.items() if k != "bill_id"}, "central_malformed", None),
    ({**BILL, "status": "half-paid"}, "central_malformed", None),
    ({**BILL, "status": "paid"}, "bill_already_paid", None),
])
def test_a_bill_that_cannot_be_shown_opens_no_session(
        kit: Kit, answer: Any, code: str, status: int | None) -> None:
    kit.central.answers["/v1/bills"] = answer
    kit.show_card()
    with pytest.raises(KioskError) as err:
        kit.sessions.find_bill("water", "100004")
    assert err.value.code == code
    if status is not None:  # the centre's refusal, passed on with its status
        assert isinstance(err.value, CentralRefusal) and err.value.central_status == status
        assert err.value.details == {}  # (the local API never passed these on)
    assert kit.journaled() == [] and not kit.sessions.busy() and kit.snap().screen == "card"


def test_a_second_look_up_while_the_centre_answers_the_first_is_refused(kit: Kit) -> None:
    kit.central.answers["/v1/bills"] = BILL
    kit.show_card()
    # The cardholder presses "look up" twice: the second request starts a session
    # while the first waits on the centre.
    kit.central.during = lambda: kit.sessions.find_bill("water", "100004")
    with pytest.raises(KioskError) as err:
        kit.sessions.find_bill("water", "100004")
    assert err.value.code == "session_busy"
    assert kit.journaled() == [("bill", "open")]  # one session, not two


def test_maintenance_refuses_a_look_up(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.maintenance("Cleaning")
    with pytest.raises(Unavailable) as err:
        kit.sessions.find_bill("water", "100004")
    assert (err.value.code, err.value.details) == ("maintenance", {"message": "Cleaning"})


def test_a_wrong_payment_password_leaves_the_bill_on_screen_for_another_try(kit: Kit) -> None:
    """The centre counts the tries; each wrong one brings the bill back with the tries
    left, nothing debited, until the password is right (or locked, below)."""
    _found(kit, amount_due_fen=25000)
    for tries in (2, 1):
        kit.sessions.pay_bill("999999")
        kit.purchases.script = [f"pin_wrong {tries}"]
        kit.worker.run()
        session, notice = kit.snap().session, kit.snap().notice
        assert session is not None and (session.step, session.reference) == ("found", None)
        assert notice is not None and notice.code == "pin_wrong"
        assert f"{tries} {'try' if tries == 1 else 'tries'} left" in notice.message
        assert f"还可尝试{tries}次" in notice.message_zh
    kit.sessions.pay_bill("147258")
    kit.worker.run()
    assert kit.step() == "done" and kit.receipts() == ["bill_payment"]
    assert kit.journaled() == [("bill", "completed")]
    assert len(kit.purchases.given_up) == 2  # the refused orders, cancelled
    assert len(kit.purchases.pin_blocks) == 3  # each try its own order and block


def test_a_locked_payment_password_ends_the_bill_saying_when_to_try_again(kit: Kit) -> None:
    _found(kit, amount_due_fen=25000)
    kit.sessions.pay_bill("999999")
    kit.purchases.script = ["pin_locked"]
    kit.worker.run()
    notice = kit.snap().notice
    assert kit.step() == "failed" and notice is not None and notice.code == "pin_locked"
    assert "30 min" in notice.message and "(after 18:30)" in notice.message  # China time
    assert "30分钟后（18:30以后）再试" in notice.message_zh
    assert kit.journaled() == [("bill", "failed")]
    with pytest.raises(KioskError) as err:
        kit.sessions.pay_bill("147258")
    assert err.value.code == "wrong_step"
