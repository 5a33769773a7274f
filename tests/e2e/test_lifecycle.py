"""The loss-report lifecycle end to end over kiosk.sock against the reference central
server: loss report → ``citycard-central replace-card`` → the hold passes → the
new card tapped → its old balance loaded once; and kioskd killed (SIGKILL) at every
journaled step of that transfer loses and duplicates nothing."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess

import pytest

from deploy.stack import BIN, Stack
from protocol.localclient import DaemonUnavailable, LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, previews, tap, wait_state, wallet_balance
from tests.e2e.test_crash import LOAD_STEPS, _die_and_restart

NEW = "31044403000000100033"  # 王秀英's card (demo), 0.00: the replacement
OLD_BALANCE = 8650  # the demo card's balance, on the chip and at the centre
PIN = "147258"


def _lose_and_replace(stack: Stack) -> None:
    """The holder reports the card lost at the kiosk; the outlet issues NEW for it."""
    # typed as printed on the card: a T-Union number, the serial without its pad digit
    reply = stack.kiosk_client.post("/v1/loss-report", {"card_no": CARD[1:], "pin": PIN})
    assert reply["status"] == "lost"
    done = subprocess.run([str(BIN / "citycard-central"), "replace-card", "--db",
                           str(stack.db), CARD, NEW], capture_output=True, text=True, check=True)
    # the centre's console names cards by serial (masked)
    assert "0310 **** **** 0017" in done.stdout and CARD not in done.stdout


def _hold_passes(stack: Stack) -> None:
    """The test clock: the replacement was recorded 8 days ago (the hold is 7)."""
    central_sql(stack, "UPDATE replacements SET recorded_at = recorded_at - 8 * 86400")


def _refused(call: object, code: str) -> dict:  # type: ignore[type-arg]
    with pytest.raises(LocalApiError) as err:
        call()  # type: ignore[operator]
    assert err.value.code == code, err.value
    return dict(err.value.details or {})


def _transfers(stack: Stack) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in central_sql(
        stack, "SELECT amount_fen, status FROM orders WHERE source = 'transfer'")]


def _old_card_central_balance(stack: Stack) -> int:
    return int(central_sql(stack, "SELECT balance_after_fen FROM transactions WHERE card_no = ?"
                           " AND balance_after_fen IS NOT NULL ORDER BY occurred_at DESC,"
                           " id DESC LIMIT 1", CARD)[0][0])


def _done(stack: Stack) -> None:
    wait_state(stack.kiosk_client, lambda s: s.session is not None and s.session.step == "done",
               "the transfer completed")


def test_loss_report_replacement_hold_and_one_transfer(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    _lose_and_replace(stack)
    snap = tap(stack, NEW)
    assert snap.card is not None and snap.card.transfer is not None
    assert snap.card.transfer["status"] == "held"
    assert snap.card.transfer["old_card_no_masked"] == "3104 **** **** 0017"
    assert CARD not in json.dumps(kiosk.get("/v1/state"))  # masked on kiosk.sock
    until = _refused(lambda: kiosk.post("/v1/transfer"), "transfer_not_yet")["available_at"]
    assert until == snap.card.transfer["available_at"]
    # Unrelated card: nothing to move; nothing changed.
    tap(stack, "03104440300000100025")
    _refused(lambda: kiosk.post("/v1/transfer"), "transfer_none")
    assert _transfers(stack) == []

    _hold_passes(stack)
    snap = tap(stack, NEW)
    assert snap.card is not None and snap.card.transfer is not None
    assert (snap.card.transfer["status"], snap.card.transfer["amount_fen"]) == \
        ("available", OLD_BALANCE)
    view = kiosk.post("/v1/transfer")
    assert (view["kind"], view["amount_fen"]) == ("pending_load", OLD_BALANCE)
    _done(stack)
    assert wallet_balance(stack, NEW) == OLD_BALANCE
    assert _transfers(stack) == [(OLD_BALANCE, "completed")]
    assert _old_card_central_balance(stack) == 0
    assert previews(stack, "transfer")
    receipts = sorted(p.name for p in (stack.workdir / "state" / "receipts").glob("*.png"))
    assert not any(name.endswith("-voucher.png") for name in receipts)

    # Asked twice: refused, nothing moves.
    kiosk.post("/v1/session/end")
    tap(stack, NEW)
    _refused(lambda: kiosk.post("/v1/transfer"), "transfer_done")
    assert wallet_balance(stack, NEW) == OLD_BALANCE and len(_transfers(stack)) == 1
    # The audit and the day's X report name the transfer on its own line; cash holds.
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] and audit["transfers"]["credited"] == [1, OLD_BALANCE]
    assert audit["totals"]["cash_in_fen"] == 0
    x = json.loads(stack.kioskctl("--json", "settlement").stdout)
    assert x["transfer_loads"] == [1, OLD_BALANCE] and x["holds"]
    assert "balance transfers" in stack.kioskctl("audit").stdout


def test_a_transfer_to_a_lost_card_is_refused(stack: Stack) -> None:
    _lose_and_replace(stack)
    _hold_passes(stack)
    central_sql(stack, "UPDATE cards SET status = 'lost' WHERE card_no = ?", NEW)
    tap(stack, NEW)
    _refused(lambda: stack.kiosk_client.post("/v1/transfer"), "card_lost")
    assert _transfers(stack) == [] and wallet_balance(stack, NEW) == 0


def test_cancel_the_loss_report_of_the_found_card(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    kiosk.post("/v1/loss-report", {"card_no": CARD, "pin": PIN})
    snap = tap(stack)
    assert snap.card is not None and snap.card.status == "lost"
    _refused(lambda: kiosk.post("/v1/loss-report/cancel", {}), "pin_or_id")
    tries = _refused(lambda: kiosk.post("/v1/loss-report/cancel", {"pin": "000000"}),
                     "pin_wrong")
    assert tries["tries_left"] == 2
    reply = kiosk.post("/v1/loss-report/cancel", {"pin": PIN})
    assert reply["status"] == "active" and reply["printed"] is True
    assert kiosk.state().card.status == "active"  # type: ignore[union-attr]
    assert central_sql(stack, "SELECT status FROM cards WHERE card_no = ?", CARD) == \
        [("active",)]
    _refused(lambda: kiosk.post("/v1/loss-report/cancel", {"pin": PIN}), "card_not_lost")
    slips = list((stack.workdir / "state" / "receipts").glob("*-loss_cancel.png"))
    assert len(slips) == 1


@pytest.mark.parametrize("step", LOAD_STEPS)
def test_transfer_killed_after_each_step(stack: Stack, step: str) -> None:
    kiosk = stack.kiosk_client
    _lose_and_replace(stack)
    _hold_passes(stack)
    tap(stack, NEW)
    stack.admin_client.post("/v1/sim/crash", {"after_step": step})
    with contextlib.suppress(DaemonUnavailable):  # it may die before it answers
        kiosk.post("/v1/transfer")
    _die_and_restart(stack, step)

    credited = wallet_balance(stack, NEW) == OLD_BALANCE
    if step in ("credited", "completed"):
        assert credited  # on the card before the kill: recovery confirms it
    if step in ("created", "init", "mac2"):
        assert not credited
    if not credited or _transfers(stack) != [(OLD_BALANCE, "completed")]:
        # The cardholder taps the new card again and asks again: the same order goes on.
        snap = tap(stack, NEW)
        assert snap.card is not None and snap.card.transfer is not None
        kiosk.post("/v1/transfer")
        _done(stack)
    assert wallet_balance(stack, NEW) == OLD_BALANCE  # once, never twice
    assert _transfers(stack) == [(OLD_BALANCE, "completed")]
    assert _old_card_central_balance(stack) == 0
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    try:
        rows = journal.execute("SELECT central_ref, COUNT(*), GROUP_CONCAT(state) FROM orders"
                               " GROUP BY central_ref").fetchall()
    finally:
        journal.close()
    assert [(count, states) for _, count, states in rows] == [(1, "completed")]
    assert not list((stack.workdir / "state" / "receipts").glob("*-voucher.png"))
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["transfers"]["credited"] == [1, OLD_BALANCE]
    assert audit["transfers"]["pending"] == [0, 0]
