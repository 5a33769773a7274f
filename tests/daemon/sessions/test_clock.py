"""A kiosk whose clock is past the signature window against the central side's
moves no money: top-up, bill payment and loads are refused with clock_skew,
nothing is journaled and the acceptor takes nothing; back within the window,
the same card goes on."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from daemon.api.routes import OPENAPI_PATH
from daemon.errors import Unavailable
from tests.daemon.sessions.kit import Kit

BILL = {"bill_id": "B1", "utility": "water", "payee": "City Water", "account_no": "100004",
        "holder_name_masked": "王*", "period": "2026-10", "amount_due_fen": 3720,
        "status": "unpaid"}


def _refused(call: Callable[[], object]) -> Unavailable:
    with pytest.raises(Unavailable) as err:
        call()
    return err.value


@pytest.mark.parametrize("central", ["up", "unauthorized"])
def test_a_skewed_clock_refuses_every_money_service_and_changes_nothing(
        kit: Kit, central: str) -> None:
    kit.central.answers["/v1/bills"] = BILL
    kit.show_card(pending=[("C77", 2000)])
    # up: the kiosk measured itself past the window although the centre still
    # answers; unauthorized: the centre refuses its timestamp
    kit.state.update(central=central, clock="skewed")
    for call in (kit.sessions.start_topup, kit.sessions.complete_pending,
                 lambda: kit.sessions.find_bill("water", "100004")):
        error = _refused(call)
        assert (error.code, error.details) == ("clock_skew", {"window_s": 300})
        assert "clock" in error.message and "时钟" in error.message_zh
    assert kit.journaled() == [] and not kit.acceptor.accepting
    assert kit.central.asked == []  # nothing went to the centre either

    kit.state.update(central="up", clock="ok")  # back within the window
    view = kit.sessions.start_topup()
    assert (view.kind, view.step) == ("topup", "inserting") and kit.acceptor.accepting


def test_an_unknown_clock_refuses_nothing(kit: Kit) -> None:
    """Not measured yet (just started): the centre's own check still guards."""
    kit.show_card()
    kit.state.update(clock="unknown")
    assert kit.sessions.start_topup().step == "inserting"


def test_a_refused_link_with_a_good_clock_is_still_offline(kit: Kit) -> None:
    kit.show_card()
    kit.state.update(central="unauthorized", clock="ok")
    assert _refused(kit.sessions.start_topup).code == "central_offline"


def test_the_services_of_the_card_on_screen_name_the_clock_and_document_it(kit: Kit) -> None:
    """History, statements, a loss report's cancel and a dispute take the card on screen
    (card_on_screen): a refused timestamp is said as the clock, not as 'offline', and
    the local API document lists clock_skew for each of them."""
    kit.show_card()
    kit.state.update(central="unauthorized", clock="skewed")
    error = _refused(lambda: kit.sessions.card_on_screen(need_active=False))
    assert (error.code, error.details) == ("clock_skew", {"window_s": 300})
    doc = json.loads(OPENAPI_PATH.read_text("utf-8"))
    for method, path in (("get", "/v1/history"), ("post", "/v1/statement"),
                         ("post", "/v1/loss-report/cancel"), ("post", "/v1/dispute")):
        codes = doc["paths"][path][method]["responses"]["503"]["description"].split(", ")
        assert "clock_skew" in codes, path
