"""Finishing a pending load through the machine: a load paid for elsewhere gets
its own order; this kiosk's own held order goes on (one central order, one
journal row); an order being finished elsewhere is not taken."""

from __future__ import annotations

import pytest

from daemon.errors import KioskError
from tests.daemon.sessions.kit import Kit

REMOTE = {"order_id": "C77", "status": "created", "terminal_id": "440300000002",
          "amount_fen": 2000}


def _remote(kit: Kit, **fields: object) -> None:
    kit.central.answers["/v1/load-orders/C77"] = {**REMOTE, **fields}


def test_a_load_paid_for_elsewhere_is_loaded_under_its_own_order(kit: Kit) -> None:
    _remote(kit)
    kit.show_card(pending=[("C77", 2000)])
    view = kit.sessions.complete_pending()
    assert (view.kind, view.step, view.amount_fen) == ("pending_load", "loading", 2000)
    kit.worker.run()
    assert kit.step() == "done" and kit.snap().session.balance_after_fen == 8650 + 2000
    [order] = kit.store.for_session(kit.journal.query("SELECT id FROM sessions")[0]["id"])
    assert (order.central_ref, order.facts["completes"], order.facts["source"]) == (
        "C77", "C77", "pending")
    assert kit.journaled() == [("pending_load", "completed")] and kit.receipts() == ["topup"]


def test_this_kiosks_own_held_order_goes_on(kit: Kit) -> None:
    kit.top_up(2000, card_gone=True)
    kit.tick_after(60)  # walked away: held at the central side
    kit.tick_after(60)  # the voucher's screen times out
    [held] = kit.store.for_session(kit.journal.query("SELECT id FROM sessions")[0]["id"])
    assert held.state == "pending" and held.central_ref is not None
    kit.central.answers[f"/v1/load-orders/{held.central_ref}"] = {
        **REMOTE, "order_id": held.central_ref}
    kit.show_card(pending=[(held.central_ref, 2000)])
    kit.sessions.complete_pending()
    kit.worker.run()
    assert kit.step() == "done"
    again = kit.store.get(held.id)
    assert again.state == "completed" and again.facts["driven_by"] is not None
    assert kit.store.by_central_ref(held.central_ref).id == held.id  # no second order
    assert kit.journaled() == [("topup", "pending"), ("pending_load", "completed")]


def test_an_order_that_is_not_held_is_not_taken(kit: Kit) -> None:
    order = kit.store.create(kind="load", card_no="03104440300000100017", amount_fen=2000,
                             session_id=None)
    kit.store.advance(order, "credit_sent", central_ref="C77")  # recovery is finishing it
    _remote(kit)
    kit.show_card(pending=[("C77", 2000)])
    with pytest.raises(KioskError) as err:
        kit.sessions.complete_pending()
    assert err.value.code == "load_in_progress" and kit.journaled() == []


def test_no_pending_load_no_session(kit: Kit) -> None:
    kit.show_card()
    with pytest.raises(KioskError) as err:
        kit.sessions.complete_pending()
    assert err.value.code == "no_pending_load" and kit.central.asked == []


def test_a_second_request_while_the_centre_answers_the_first_is_refused(kit: Kit) -> None:
    _remote(kit)
    kit.central.answers["/v1/load-orders/C78"] = {**REMOTE, "order_id": "C78"}
    kit.show_card(pending=[("C77", 2000)])
    # Points redeemed into another load while the first request waits on the centre.
    kit.central.during = lambda: kit.sessions.complete_pending(("C78", 500), source="points")
    with pytest.raises(KioskError) as err:
        kit.sessions.complete_pending()
    assert err.value.code == "session_busy"
    assert kit.journaled() == [("pending_load", "open")]  # one session, not two
