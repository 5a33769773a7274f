"""A top-up through the machine: limits before the first note, the journal's
total after each, what fits loaded and the rest owed, and the refusals a
cardholder meets (as domain errors, with the local API's codes)."""

from __future__ import annotations

import json

import pytest

from config.schema import LimitsSection
from daemon.errors import CardNotUsable, KioskError, Refused, Unavailable
from tests.daemon.sessions.kit import OTHER_CARD, Card, Kit, make_kit


def _code(call: object) -> str:
    with pytest.raises(KioskError) as err:
        call()  # type: ignore[operator]
    return err.value.code


def test_notes_then_finish_load_the_journals_total(kit: Kit) -> None:
    kit.show_card()
    view = kit.sessions.start_topup()
    assert (view.kind, view.step, view.amount_fen, view.headroom_fen) == (
        "topup", "inserting", 0, 50000)
    assert kit.acceptor.accepting and kit.acceptor.headroom_fen == 50000
    for note in (2000, 2000, 1000):
        kit.acceptor.insert(note)
    shown = kit.snap().session
    assert shown is not None and (shown.amount_fen, shown.notes) == (5000, [[2000, 2], [1000, 1]])
    assert kit.acceptor.headroom_fen == 45000
    view = kit.sessions.finish_topup()
    assert view.step == "loading" and not kit.acceptor.accepting
    kit.worker.run()
    done = kit.snap().session
    assert done is not None and (done.step, done.balance_after_fen, done.receipt) == (
        "done", 8650 + 5000, "printed")
    [order] = kit.store.for_session(kit.journal.query("SELECT id FROM sessions")[0]["id"])
    assert (order.amount_fen, order.state, done.reference) == (5000, "completed", order.id)
    assert kit.journaled() == [("topup", "completed")] and kit.receipts() == ["topup"]
    assert kit.printer.receipts[-1].receipt.reference == order.id


def test_reaching_the_headroom_finishes_by_itself(tmp_path: object) -> None:
    kit = make_kit(tmp_path, limits=LimitsSection(single_load_max_fen=3000))  # type: ignore[arg-type]
    try:
        kit.show_card()
        kit.sessions.start_topup()
        kit.acceptor.insert(2000)
        assert kit.step() == "inserting" and not kit.worker.jobs
        kit.acceptor.insert(1000)  # 3000: no room for the smallest piece
        assert kit.acceptor.headroom_fen == 0
        kit.worker.run()
        assert kit.step() == "done" and kit.snap().session.balance_after_fen == 8650 + 3000
    finally:
        kit.sessions.close()
        kit.journal.close()


def test_cash_over_the_limits_is_loaded_as_far_as_it_fits_and_the_rest_owed(
        tmp_path: object) -> None:
    kit = make_kit(tmp_path, limits=LimitsSection(single_load_max_fen=2500))  # type: ignore[arg-type]
    try:
        kit.show_card()
        kit.sessions.start_topup()
        kit.acceptor.insert(2000)
        kit.acceptor.insert(1000)  # 3000 in, 2500 fit
        kit.worker.run()
        assert kit.step() == "done" and kit.snap().session.balance_after_fen == 8650 + 2500
        orders = kit.store.for_session(kit.journal.query("SELECT id FROM sessions")[0]["id"])
        assert [(o.amount_fen, o.state) for o in orders] == [(2500, "completed"),
                                                             (500, "refused")]
        assert sorted(kit.receipts()) == ["refund", "topup"]
        notice = kit.snap().notice
        assert notice is not None and notice.code == "over_limit" and "5.00" in notice.message
    finally:
        kit.sessions.close()
        kit.journal.close()


def test_finishing_with_the_card_gone_asks_for_it_then_loads(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.acceptor.insert(1000)
    kit.lift_card()
    assert kit.sessions.finish_topup().step == "tap_card"
    kit.worker.run()
    assert kit.step() == "tap_card"
    kit.tap(Card(OTHER_CARD))  # another card is told to wait, and moves nothing
    kit.worker.run()
    assert kit.step() == "tap_card" and kit.snap().notice.code == "another_card"
    kit.tap()
    kit.worker.run()
    assert kit.step() == "done"


def test_finishing_with_nothing_in_cancels(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    view = kit.sessions.finish_topup()
    assert (view.step, view.amount_fen) == ("cancelled", 0)
    assert kit.snap().screen == "attract" and not kit.sessions.busy()
    assert kit.journaled() == [("topup", "cancelled")] and not kit.worker.jobs


def test_cancel_before_cash_and_not_after(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.sessions.cancel_topup()
    assert kit.journaled() == [("topup", "cancelled")] and not kit.acceptor.accepting
    kit.show_card()
    kit.sessions.start_topup()
    kit.acceptor.insert(1000)
    assert _code(kit.sessions.cancel_topup) == "cash_inserted"
    assert kit.step() == "inserting" and kit.acceptor.accepting


@pytest.mark.parametrize(("outcome", "step", "state", "slip"), [
    ("offline", "pending", "pending", "voucher"),
    ("refused", "failed", "failed", "refund"),
    ("card_error", "pending", "pending", "voucher"),
])
def test_a_load_that_cannot_finish_keeps_the_cash_with_a_slip(
        kit: Kit, outcome: str, step: str, state: str, slip: str) -> None:
    kit.top_up(2000, outcome=outcome)
    session = kit.snap().session
    assert session is not None and (session.step, session.receipt) == (step, "printed")
    assert kit.journaled() == [("topup", state)] and kit.receipts() == [slip]


def test_the_session_cannot_be_left_while_money_moves(kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.acceptor.insert(1000)
    assert _code(kit.sessions.end) == "session_busy"
    kit.sessions.finish_topup()
    assert _code(kit.sessions.end) == "session_busy"  # loading
    kit.worker.run()
    kit.sessions.end()
    assert kit.snap().screen == "attract" and kit.journaled() == [("topup", "completed")]


def test_refusals_before_a_top_up_starts(kit: Kit) -> None:
    with pytest.raises(Refused) as no_card:
        kit.sessions.start_topup()
    assert no_card.value.code == "no_card"
    kit.show_card(status="lost")
    with pytest.raises(CardNotUsable) as lost:
        kit.sessions.start_topup()
    assert lost.value.code == "card_lost"
    kit.show_card(limits={"single_max_fen": 50000, "daily_remaining_fen": 50,
                          "purse_cap_fen": 100000})
    with pytest.raises(Refused) as full:
        kit.sessions.start_topup()
    assert (full.value.code, full.value.details["headroom_fen"]) == ("limit_reached", 50)
    kit.show_card()
    kit.state.update(central="down")
    with pytest.raises(Unavailable) as offline:
        kit.sessions.start_topup()
    assert offline.value.code == "central_offline"
    assert kit.journaled() == [] and not kit.acceptor.accepting


def test_one_session_at_a_time_and_each_intent_in_its_step(kit: Kit) -> None:
    assert _code(kit.sessions.finish_topup) == "wrong_step"
    kit.show_card()
    kit.sessions.start_topup()
    assert _code(kit.sessions.start_topup) == "session_busy"
    assert _code(lambda: kit.sessions.pay_bill(None)) == "wrong_step"
    assert _code(kit.sessions.card_on_screen) == "session_busy"
    assert kit.journaled() == [("topup", "open")]


@pytest.mark.parametrize(("card", "printed"), [
    # T-Union: 19 printed digits; the chip's serial has a pad digit before them
    (Card("03104440300000100017", aid="A000000632010105"), "3104440300000100017"),
    # City Union: printed as the serial
    (Card("31044403000000100033", aid="A00000000386980701"), "31044403000000100033"),
])
def test_the_screen_and_the_receipts_show_the_number_as_printed(
        tmp_path: object, card: Card, printed: str) -> None:
    kit = make_kit(tmp_path, limits=LimitsSection(single_load_max_fen=3000))  # type: ignore[arg-type]
    try:
        kit.show_card(card)
        view = kit.sessions.start_topup()
        assert view.card_no_masked == f"{printed[:4]} **** **** {printed[-4:]}"
        kit.acceptor.insert(2000)
        kit.acceptor.insert(2000)  # 1000 over the single-load limit: a refund voucher
        kit.worker.run()
        assert kit.step() == "done"
        facts = {row["id"].rsplit("-", 1)[1]: json.loads(row["payload"])["facts"]["fields"]
                 for row in kit.journal.query("SELECT id, payload FROM receipts")}
        assert {kind: f["card_number"] for kind, f in facts.items()} == {
            "topup": printed, "refund": printed}
        # the central API and the journal keep the chip's serial, the AID beside it
        [(session_id, serial, aid)] = [tuple(r) for r in kit.journal.query(
            "SELECT id, card_no, aid FROM sessions")]
        assert (serial, aid) == (card.card_no, card.aid)
        orders = kit.store.for_session(session_id)
        assert len(orders) == 2 and {o.card_no for o in orders} == {card.card_no}
    finally:
        kit.sessions.close()
        kit.journal.close()


def test_a_refused_overdraft_repayment_prints_a_refund_voucher_for_its_cash(kit: Kit) -> None:
    from daemon.cardflow import CentralCard
    card = Card()
    kit.reader[:] = [card.card_no]
    kit.state.update(screen="card", central="up")
    kit.sessions.card_shown(card, CentralCard({
        "status": "blacklisted", "card_type": "ordinary", "points": 0,
        "blacklist": {"reason": "overdraft", "owed_fen": 1500}}))
    kit.sessions.start_topup()
    kit.acceptor.insert(2000)  # 15.00 repays the overdraft, 5.00 is loaded
    kit.loads.script = ["refused"]  # the centre refuses the repayment
    kit.sessions.finish_topup()
    kit.worker.run()
    [session_id] = [r["id"] for r in kit.journal.query("SELECT id FROM sessions")]
    repay, load = sorted(kit.store.for_session(session_id), key=lambda o: -o.amount_fen)
    assert (repay.amount_fen, repay.state, load.amount_fen) == (1500, "refused", 500)
    # the repayment's cash is owed back on a refund voucher; the load waits (pending)
    assert sorted(kit.receipts()) == ["refund", "voucher"]
    assert f"{repay.id}-refund" in [r["id"] for r in kit.journal.query("SELECT id FROM receipts")]
    notice = kit.snap().notice
    assert notice is not None and notice.code == "repayment_refused" and "¥15.00" in notice.message
