"""kioskd killed (SIGKILL) at every journaled step of a top-up and of a bill
payment, then restarted: recovery drives each order to a final state, the audit
holds, and no load or purchase happens twice — on the card or at the centre."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time

import pytest

from deploy.stack import Stack
from protocol.localclient import DaemonUnavailable
from tests.e2e.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance

# A load journals "init" and "mac2" in one transaction with "credit_sent" (the load
# window, daemon/loadflow.py): a kill "after init" or "after mac2" is a kill after that
# write, before CREDIT goes out. A kill between INITIALIZE and that write leaves the
# order "created"; the crash loop (bench/crashloop.py) kills at random moments there.
LOAD_STEPS = ["created", "init", "mac2", "credit_sent", "credited", "completed"]
PURCHASE_STEPS = ["created", "init", "mac1", "debit_sent", "debited", "completed"]


def _die_and_restart(stack: Stack, after_step: str | None) -> None:
    proc = stack.procs["kioskd"]
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"kioskd did not die after {after_step}"
    stack.start_kioskd()


def _audit(stack: Stack) -> dict:  # type: ignore[type-arg]
    done = stack.kioskctl("--json", "audit")
    audit = json.loads(done.stdout)
    assert (done.returncode == 0) == audit["holds"]
    return audit


def _central_loads(stack: Stack) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in central_sql(
        stack, "SELECT amount_fen, status FROM orders WHERE kind = 'load' AND card_no = ?",
        CARD)]


@pytest.mark.parametrize("step", LOAD_STEPS)
def test_top_up_killed_after_each_step(stack: Stack, step: str) -> None:
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    kiosk = stack.kiosk_client
    kiosk.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "20").returncode == 0
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 2000, "¥20 in")
    stack.admin_client.post("/v1/sim/crash", {"after_step": step})
    with contextlib.suppress(DaemonUnavailable):  # it may die before it answers
        kiosk.post("/v1/topup/finish")
    _die_and_restart(stack, step)

    credited = step in ("credited", "completed") or (
        step == "credit_sent" and wallet_balance(stack) == before + 2000)
    assert wallet_balance(stack) == before + (2000 if credited else 0)
    audit = _audit(stack)
    assert audit["holds"] and audit["totals"]["cash_in_fen"] == 2000
    if credited:
        assert audit["totals"]["credited_fen"] == 2000  # recovery confirmed it
        assert _central_loads(stack) == [(2000, "completed")]
    else:
        assert audit["totals"]["pending_fen"] == 2000  # held for the card, voucher printed
        vouchers = list((stack.workdir / "state" / "receipts").glob("*-voucher.png"))
        assert len(vouchers) == 1
        _complete_at_next_tap(stack, 2000, before)
    assert wallet_balance(stack) == before + 2000
    audit = _audit(stack)
    assert audit["holds"] and audit["totals"]["credited_fen"] == 2000
    assert _one_journal_order_per_central_order(stack)


def test_killed_while_cash_is_going_in(stack: Stack) -> None:
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    stack.kiosk_client.post("/v1/topup/start")
    for yuan in ("10", "5"):
        assert stack.kioskctl("sim", "insert", yuan).returncode == 0
    os.kill(stack.procs["kioskd"].pid, signal.SIGKILL)  # the notes are journaled: sim insert
    _die_and_restart(stack, None)                       # returned after the journal row
    audit = _audit(stack)
    assert audit["totals"]["cash_in_fen"] == 1500 == audit["totals"]["pending_fen"]
    assert wallet_balance(stack) == before
    assert _central_loads(stack) == [(1500, "created")]  # held at the centre for the card


def test_a_pending_load_completed_at_the_next_tap_is_credited_once(stack: Stack) -> None:
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    stack.kiosk_client.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "10").returncode == 0
    os.kill(stack.procs["kioskd"].pid, signal.SIGKILL)
    _die_and_restart(stack, None)
    _complete_at_next_tap(stack, 1000, before)
    # One central order, one journal truth: the top-up's own order is the one completed.
    audit = _audit(stack)
    assert audit["holds"] is True
    assert [audit["totals"][k] for k in ("cash_in_fen", "credited_fen", "pending_fen")] == \
        [1000, 1000, 0]
    assert _one_journal_order_per_central_order(stack)
    x = json.loads(stack.kioskctl("--json", "settlement").stdout)
    assert (x["loads_credited"], x["loads_pending"], x["holds"]) == ([1, 1000], [0, 0], True)


def _complete_at_next_tap(stack: Stack, amount: int, before: int) -> None:
    """The cardholder comes back and taps: the pending load is offered and finished."""
    kiosk = stack.kiosk_client
    snap = tap(stack)
    assert snap.card is not None and snap.card.pending_load_fen == amount
    kiosk.post("/v1/pending-load/complete")
    wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
               "the pending load completed")
    assert wallet_balance(stack) == before + amount
    assert _central_loads(stack) == [(amount, "completed")]


def _one_journal_order_per_central_order(stack: Stack) -> bool:
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    try:
        rows = journal.execute("SELECT central_ref, COUNT(*), GROUP_CONCAT(state) FROM orders"
                               " WHERE central_ref IS NOT NULL GROUP BY central_ref").fetchall()
    finally:
        journal.close()
    assert rows, "no journaled order reached the central side"
    return all(count == 1 and states == "completed" for _, count, states in rows)


@pytest.mark.parametrize("step", PURCHASE_STEPS)
def test_bill_payment_killed_after_each_step(stack: Stack, step: str) -> None:
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    kiosk = stack.kiosk_client
    kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    stack.admin_client.post("/v1/sim/crash", {"after_step": step})
    with contextlib.suppress(DaemonUnavailable):
        kiosk.post("/v1/bills/pay", {})
    _die_and_restart(stack, step)
    debited = wallet_balance(stack) == before - 3720
    if step in ("debited", "completed"):
        assert debited
    if step in ("created", "init", "mac1"):
        assert not debited
    if step == "debit_sent":
        # Only the card's log can settle this: the cardholder taps again.
        tap(stack)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _purchase_final(stack):
            time.sleep(0.1)
    statuses = [r[0] for r in central_sql(
        stack, "SELECT status FROM orders WHERE kind = 'purchase' AND card_no = ?", CARD)]
    assert statuses == ["completed" if debited else "cancelled"]
    bill = central_sql(stack, "SELECT status FROM bills WHERE utility = 'water'"
                       " AND account_no = '100004' ORDER BY period DESC LIMIT 1")
    assert bill[0][0] == ("paid" if debited else "unpaid")
    assert wallet_balance(stack) == before - (3720 if debited else 0)


def _purchase_final(stack: Stack) -> bool:
    rows = central_sql(stack, "SELECT status FROM orders WHERE kind = 'purchase'")
    return bool(rows) and rows[0][0] in ("completed", "cancelled")
