"""A card blacklisted for an overdraft, end to end over kiosk.sock: the reason and the
amount owed on screen, a cash top-up that repays the debt first (the centre lifts the
entry at zero), a kill after the repayment is journaled; any other reason refuses every
money service with the reason and the hotline."""

from __future__ import annotations

import contextlib
import json

import pytest

from deploy.stack import Stack
from protocol.localclient import DaemonUnavailable, LocalApiError
from tests.e2e.sessionkit import central_sql, previews, tap, wait_state, wallet_balance
from tests.e2e.test_crash import _die_and_restart

CHEN = "03104440300000100058"  # blacklisted for an overdraft of 15.00, 20.00 on the chip
OWED, ON_CHIP = 1500, 2000


def _top_up(stack: Stack, *notes: str) -> None:
    kiosk = stack.kiosk_client
    kiosk.post("/v1/topup/start")
    for note in notes:
        assert stack.kioskctl("sim", "insert", note).returncode == 0
    total = sum(int(n) for n in notes) * 100
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == total,
               "the cash in")
    kiosk.post("/v1/topup/finish")


def _card_status(stack: Stack) -> tuple[str, int]:
    row = central_sql(stack, "SELECT status, owed_fen FROM cards WHERE card_no = ?", CHEN)[0]
    return str(row[0]), int(row[1])


def test_the_reason_and_amount_owed_and_a_repayment_that_lifts_the_entry(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    snap = tap(stack, CHEN)
    assert snap.card is not None and snap.card.status == "blacklisted"
    assert snap.card.blacklist == {"reason": "overdraft", "owed_fen": OWED}
    # Everything but a cash top-up is refused, with the reason and the amount.
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    assert err.value.code == "card_blacklisted" and "¥15.00" in err.value.message
    assert err.value.details["reason"] == "overdraft"

    _top_up(stack, "20")
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the top-up done")
    assert snap.notice is not None and snap.notice.code == "overdraft_repaid"
    assert wallet_balance(stack, CHEN) == ON_CHIP + 2000 - OWED  # 5.00 loaded
    assert _card_status(stack) == ("active", 0)
    assert [r[0] for r in central_sql(stack, "SELECT kind FROM card_events WHERE card_no = ?"
                                      " ORDER BY id", CHEN)] == ["repayment", "blacklist_lifted"]
    assert previews(stack, "repayment")
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] and audit["totals"]["cash_in_fen"] == 2000 == \
        audit["totals"]["credited_fen"]
    assert audit["repayments"]["credited"] == [1, OWED]


def test_cash_below_the_debt_all_repays_and_the_card_stays_blocked(stack: Stack) -> None:
    tap(stack, CHEN)
    _top_up(stack, "10")
    snap = wait_state(stack.kiosk_client, lambda s: s.session is not None
                      and s.session.step == "done", "the repayment done")
    assert snap.notice is not None and snap.notice.code == "overdraft_part_repaid"
    assert wallet_balance(stack, CHEN) == ON_CHIP  # nothing loaded onto the card
    assert _card_status(stack) == ("blacklisted", 500)
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] and audit["totals"]["credited_fen"] == 1000


def test_killed_after_the_repayment_is_journaled(stack: Stack) -> None:
    tap(stack, CHEN)
    kiosk = stack.kiosk_client
    kiosk.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "20").returncode == 0
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 2000, "¥20 in")
    stack.admin_client.post("/v1/sim/crash", {"after_step": "completed"})  # the repayment's
    with contextlib.suppress(DaemonUnavailable):
        kiosk.post("/v1/topup/finish")
    _die_and_restart(stack, "completed")
    assert _card_status(stack) == ("active", 0)  # repaid once, lifted
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] and audit["totals"]["cash_in_fen"] == 2000
    assert (audit["totals"]["credited_fen"], audit["totals"]["pending_fen"]) == (OWED, 500)
    assert [r[0] for r in central_sql(stack, "SELECT kind FROM card_events WHERE card_no = ?"
                                      " ORDER BY id", CHEN)] == ["repayment", "blacklist_lifted"]


def test_any_other_reason_refuses_every_money_service(stack: Stack) -> None:
    central_sql(stack, "UPDATE cards SET blacklist_reason = 'fraud' WHERE card_no = ?", CHEN)
    snap = tap(stack, CHEN)
    assert snap.card is not None and snap.card.blacklist == {"reason": "fraud", "owed_fen": 0}
    kiosk = stack.kiosk_client
    for path, body in (("/v1/topup/start", None), ("/v1/transfer", None),
                       ("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})):
        with pytest.raises(LocalApiError) as err:
            kiosk.post(path, body)
        assert err.value.code == "card_blacklisted", path
        assert "12345" in err.value.message and "fraud" in err.value.message
        assert err.value.details["hotline"] == "12345"
    assert _card_status(stack) == ("blacklisted", OWED)
    assert wallet_balance(stack, CHEN) == ON_CHIP
