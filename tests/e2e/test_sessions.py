"""Issue 6's scripted session over kiosk.sock, every process real: tap, top up ¥50
in notes, finish, pay a ¥37.20 water bill — then the card, the central server,
the receipts and the audit must all agree to the fen."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from daemon.receiptfacts import facts_from_json
from deploy.stack import Stack
from hardware.printer import ReceiptContext
from hardware.printer.receipts import build_receipt
from tests.e2e.sessionkit import (
    CARD,
    QUICK_NOTES,
    central_sql,
    tap,
    wait_state,
    wallet_balance,
)


def test_top_up_then_pay_a_bill_and_everything_agrees(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    assert before == wallet_balance(stack) == 8650

    view = kiosk.post("/v1/topup/start")
    assert view["step"] == "inserting" and view["amount_fen"] == 0
    assert view["limits"] == {"single_max_fen": 50000, "daily_remaining_fen": 100000,
                              "purse_cap_fen": 100000}
    assert view["headroom_fen"] == 50000
    for yuan in ("20", "20", "10"):
        done = stack.kioskctl("--json", "sim", "insert", yuan)
        assert done.returncode == 0, done.stdout
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 5000,
                      "¥50 inserted")
    assert snap.session is not None and snap.session.notes == [[2000, 2], [1000, 1]]
    assert snap.session.headroom_fen == 45000

    kiosk.post("/v1/topup/finish")
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the top-up done")
    assert snap.session is not None
    assert snap.session.balance_after_fen == before + 5000 == wallet_balance(stack)
    assert snap.session.receipt == "printed"
    topup_ref = snap.session.reference
    kiosk.post("/v1/session/end")
    wait_state(kiosk, lambda s: s.screen == "attract", "the attract screen")

    tap(stack)
    view = kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    assert view["step"] == "found" and view["amount_fen"] == 3720 and not view["pin_required"]
    kiosk.post("/v1/bills/pay", {})
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the bill paid")
    assert snap.session is not None
    assert snap.session.balance_after_fen == before + 5000 - 3720 == wallet_balance(stack)
    bill_ref = snap.session.reference
    kiosk.post("/v1/session/end")

    rows = central_sql(stack, "SELECT kind, amount_fen, balance_after_fen FROM transactions"
                       " WHERE card_no = ? AND order_id IS NOT NULL ORDER BY id", CARD)
    assert rows[-2:] == [("load", 5000, 13650), ("bill_payment", -3720, 9930)]
    # The simulated printer's previews are drawn after the session answered "done".
    wanted = sorted([f"{topup_ref}-topup.png", f"{bill_ref}-bill_payment.png"])
    deadline = time.monotonic() + 10
    while True:
        receipts = sorted(p.name for p in (stack.workdir / "state" / "receipts").glob("*.png"))
        if receipts == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert receipts == wanted
    # The receipts were journaled with the figures the card and the centre hold.
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    payloads = {kind: json.loads(payload)["facts"]["fields"] for kind, payload in
                journal.execute("SELECT kind, payload FROM receipts").fetchall()}
    journal.close()
    topup, bill = payloads["topup"], payloads["bill_payment"]
    assert (topup["amount_fen"], topup["balance_before_fen"], topup["balance_after_fen"]) == \
        (5000, 8650, 13650)
    assert topup["notes"] == [[2000, 2], [1000, 1]]
    assert (bill["amount_fen"], bill["balance_after_fen"]) == (3720, 9930)
    assert (bill["payee"], bill["payee_zh"]) == ("Shenzhen Water", "深圳市水务集团")  # zh receipt
    done = stack.kioskctl("--json", "audit")
    assert done.returncode == 0, done.stdout
    audit = json.loads(done.stdout)
    assert audit["holds"] is True
    assert audit["totals"]["cash_in_fen"] == audit["totals"]["credited_fen"] == 5000
    # The day's X report (a view) and its Z report (the close) agree with all of it.
    x = json.loads(stack.kioskctl("--json", "settlement").stdout)
    assert (x["report"], x["closed"]) == ("X", None)
    z = json.loads(stack.kioskctl("--json", "settlement", "--close").stdout)
    assert (z["report"], z["z_number"], z["already_closed"], z["printed"]) == ("Z", 1, False, True)
    assert (z["cash_fen"], z["cash_counts"]) == (5000, {"2000": 2, "1000": 1})
    assert (z["loads_credited"], z["loads_pending"], z["bills"]) == ([1, 5000], [0, 0],
                                                                     [1, 3720])
    assert all(z[k] == v for k, v in x.items() if k not in ("report", "generated_at", "closed"))
    x = json.loads(stack.kioskctl("--json", "settlement").stdout)
    assert x["closed"]["z_number"] == 1
    # Closing the day again makes no new number: the same Z is reprinted.
    text = stack.kioskctl("settlement", "--close").stdout.splitlines()
    assert text[0].startswith("Z1 for ") and "closed already" in text[0]
    assert "NOT PRINTED" not in text[0] and "changed since" not in text[0]
    assert [line.split() for line in text[1:]] == [
        ["cash", "in", "¥50.00"], ["loads", "credited", "1", "×", "¥50.00"],
        ["loads", "pending", "0", "×", "¥0.00"], ["owed", "(refund)", "0", "×", "¥0.00"],
        ["bills", "paid", "1", "×", "¥37.20"], ["reconciled"]]
    assert len(list((stack.workdir / "state" / "receipts").glob("Z*-settlement.png"))) == 1
    exported = json.loads(stack.kioskctl("export", "--days", "1").stdout)
    assert sum(c["value_fen"] for c in exported["cash"]) == 5000
    assert [o["state"] for o in exported["orders"]] == ["completed", "completed"]
    assert all(o["card_no"] == "3104 **** **** 0017" for o in exported["orders"])
    csv_text = stack.kioskctl("export", "--csv").stdout
    assert csv_text.splitlines()[0].startswith("table,id,") and csv_text.count("\norder,") == 2


def test_offline_refuses_money_and_keeps_the_acceptor_inhibited(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    tap(stack)
    stack.stop("central")
    wait_state(kiosk, lambda s: s.central == "down", "the link down", timeout=20)
    done = stack.kioskctl("--json", "status")
    assert json.loads(done.stdout)["devices"]["cash"]["reason"] == "offline"
    from protocol.localclient import LocalApiError

    try:
        kiosk.post("/v1/topup/start")
    except LocalApiError as exc:
        assert exc.code == "central_offline"
        assert "暂时无法连接" in exc.message_zh
    else:
        raise AssertionError("a top-up started while offline")
    refused = stack.kioskctl("--json", "sim", "insert", "50")
    assert refused.returncode == 1 and json.loads(refused.stdout)["journaled"] == []


def test_maintenance_finishes_nothing_new_and_says_why(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    tap(stack)
    done = stack.kioskctl("maintenance", "on", "--message", "Cash box change / 更换钱箱")
    assert done.returncode == 0
    snap = wait_state(kiosk, lambda s: s.screen == "maintenance", "the maintenance screen")
    assert snap.maintenance == "Cash box change / 更换钱箱"
    # the operator sees why over SSH too
    assert json.loads(stack.kioskctl("--json", "status").stdout)["maintenance"] == \
        "Cash box change / 更换钱箱"
    assert "screen    maintenance  maintenance: Cash box change / 更换钱箱" in \
        stack.kioskctl("status").stdout
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", CARD)  # a tap during maintenance changes nothing
    time.sleep(1.0)
    assert kiosk.state().screen == "maintenance"
    from protocol.localclient import LocalApiError

    try:
        kiosk.post("/v1/topup/start")
    except LocalApiError as exc:
        assert exc.code in ("maintenance", "no_card")
    else:
        raise AssertionError("a top-up started in maintenance")
    stack.kioskctl("maintenance", "off")
    wait_state(kiosk, lambda s: s.screen == "attract" and s.maintenance is None, "back in service")
    # Both changes reach the central side through the outbox, once each.
    deadline = time.monotonic() + 20
    events: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline and len(events) < 2:
        time.sleep(0.5)
        events = central_sql(stack, "SELECT kind, data FROM kiosk_events ORDER BY occurred_at")
    assert [(k, json.loads(d)["on"]) for k, d in events] == [("maintenance", True),
                                                             ("maintenance", False)]
    status = json.loads(stack.kioskctl("--json", "status").stdout)
    assert status["outbox"] == {"depth": 0, "parked": []} and status["maintenance"] is None
    assert "outbox    0 waiting for the central side\n" in stack.kioskctl("status").stdout + "\n"
    beat = central_sql(stack, "SELECT last_status FROM kiosks")[0][0]
    assert json.loads(beat)["devices"]["reader"] == "ready"  # the heartbeat arrived


def test_idle_screens_time_out_and_idle_cash_is_loaded_not_dropped(tmp_path: Any) -> None:
    with Stack(tmp_path / "idle", config_extra="idle_timeout_s = 5\n") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        kiosk = stack.kiosk_client
        before = tap(stack).card.balance_fen  # type: ignore[union-attr]
        wait_state(kiosk, lambda s: s.screen == "attract", "the card screen timing out", 15)
        tap(stack)
        kiosk.post("/v1/topup/start")
        assert stack.kioskctl("sim", "insert", "10").returncode == 0
        # Nobody presses "finish": the idle timeout finishes for them.
        snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                          "the idle top-up loaded", 20)
        assert snap.session is not None and snap.session.balance_after_fen == before + 1000
        assert wallet_balance(stack) == before + 1000
        wait_state(kiosk, lambda s: s.screen == "attract", "the result screen timing out", 15)


def test_walking_away_leaves_a_pending_load_and_a_voucher(tmp_path: Any) -> None:
    with Stack(tmp_path / "away", config_extra="idle_timeout_s = 5\n") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        kiosk = stack.kiosk_client
        before = tap(stack).card.balance_fen  # type: ignore[union-attr]
        kiosk.post("/v1/topup/start")
        assert stack.kioskctl("sim", "insert", "20").returncode == 0
        stack.kioskctl("sim", "remove")  # the cardholder takes the card away
        wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 2000, "¥20")
        kiosk.post("/v1/topup/finish")
        wait_state(kiosk, lambda s: s.session is not None and s.session.step == "tap_card",
                   "'put your card back'")
        snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "pending",
                          "the load held for the card", 20)
        assert snap.session is not None and snap.session.receipt == "printed"
        vouchers = list((stack.workdir / "state" / "receipts").glob("*-voucher.png"))
        assert len(vouchers) == 1
        assert wallet_balance(stack) == before
        audit = json.loads(stack.kioskctl("--json", "audit").stdout)
        assert audit["holds"] and audit["totals"]["pending_fen"] == 2000
        wait_state(kiosk, lambda s: s.screen == "attract", "back to the start", 15)
        snap = tap(stack)  # the next tap offers the waiting amount
        assert snap.card is not None and snap.card.pending_load_fen == 2000


def test_central_maintenance_windows_start_and_end_on_time(stack: Stack) -> None:
    # Both windows are announced by the first heartbeat answer (5 s after start);
    # the kiosk ends the first and starts the second on its own clock, with no
    # heartbeat in between (they go once a minute); the operator ends the second.
    now = int(time.time())
    for starts, ends in ((now - 5, now + 12), (now + 15, now + 19)):
        central_sql(stack, "INSERT INTO notices (kind, title, title_zh, body, body_zh, "
                    "starts_at, ends_at) VALUES ('maintenance', 'Upgrade', '升级', 'b', 'b', "
                    "?, ?)", starts, ends)
    kiosk = stack.kiosk_client
    snap = wait_state(kiosk, lambda s: s.screen == "maintenance", "the first window", 11)
    assert snap.maintenance and "维护" in snap.maintenance
    wait_state(kiosk, lambda s: s.screen == "attract" and s.maintenance is None,
               "the first window's end", 12)
    assert time.time() >= now + 12 - 1.5  # not before its end (the ticker runs each second)
    wait_state(kiosk, lambda s: s.screen == "maintenance", "the second window", 6)
    assert time.time() >= now + 15 - 1.5
    # The operator on site ends it early: it stays ended for the rest of the window.
    assert stack.kioskctl("maintenance", "off").returncode == 0
    wait_state(kiosk, lambda s: s.screen == "attract" and s.maintenance is None, "ended", 3)
    time.sleep(1.5)  # the ticker runs each second
    snap = kiosk.state()
    assert (snap.screen, snap.maintenance) == ("attract", None)
    heartbeats = central_sql(stack, "SELECT last_seen_at FROM kiosks WHERE kiosk_id = ?",
                             "KIOSK-DEV-0001")
    assert heartbeats[0][0] < now + 12  # one answer told it all


def test_reaching_the_limit_finishes_the_top_up_by_itself(tmp_path: Any) -> None:
    extra = "\n[limits]\nsingle_load_max_fen = 1500\n"
    with Stack(tmp_path / "cap", config_extra=extra) as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        kiosk = stack.kiosk_client
        before = tap(stack).card.balance_fen  # type: ignore[union-attr]
        view = kiosk.post("/v1/topup/start")
        assert view["headroom_fen"] == 1500
        assert stack.kioskctl("sim", "insert", "10").returncode == 0
        assert stack.kioskctl("sim", "insert", "5").returncode == 0  # now at the limit
        snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                          "the top-up finished by itself", 20)
        assert snap.session is not None and snap.session.balance_after_fen == before + 1500
        # The acceptor is shut again: a further note is refused, nothing journaled.
        refused = stack.kioskctl("--json", "sim", "insert", "1")
        assert refused.returncode == 1 and json.loads(refused.stdout)["journaled"] == []


def test_a_second_card_mid_session_is_told_to_wait_and_gets_nothing(stack: Stack) -> None:
    other = "03104440300000100025"  # 李娜's student card, ¥12.30
    kiosk = stack.kiosk_client
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    other_before = wallet_balance(stack, other)
    kiosk.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "10").returncode == 0
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 1000, "¥10")
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", other)
    snap = wait_state(kiosk, lambda s: s.notice is not None, "the notice")
    assert snap.notice is not None and snap.notice.code == "another_card"
    assert snap.session is not None and snap.session.step == "inserting"
    assert snap.session.card_no_masked == "3104 **** **** 0017"  # still the first card's
    kiosk.post("/v1/topup/finish")  # the other card is on the reader: wait for the first
    wait_state(kiosk, lambda s: s.session is not None and s.session.step == "tap_card",
               "asking for the first card")
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", CARD)
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the load onto the first card")
    assert snap.session is not None and snap.session.balance_after_fen == before + 1000
    assert (wallet_balance(stack), wallet_balance(stack, other)) == (before + 1000,
                                                                      other_before)
    assert json.loads(stack.kioskctl("--json", "audit").stdout)["holds"] is True


def test_a_note_over_the_headroom_loads_what_fits_and_owes_the_rest(tmp_path: Any) -> None:
    with Stack(tmp_path / "over", config_extra=QUICK_NOTES) as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        # ¥666.50 was loaded today elsewhere: ¥333.50 of the day's ¥1000 is left.
        now = int(time.time())
        central_sql(stack, "INSERT INTO orders (order_id, kind, source, card_no, amount_fen,"
                    " terminal_id, kiosk_id, status, created_at, updated_at) VALUES"
                    " ('LOEARLIER', 'load', 'cash', ?, 66650, '440300000009', 'KIOSK-X',"
                    " 'completed', ?, ?)", CARD, now, now)
        kiosk = stack.kiosk_client
        before = tap(stack).card.balance_fen  # type: ignore[union-attr]
        assert kiosk.post("/v1/topup/start")["headroom_fen"] == 33350
        for yuan in ("100", "100", "100", "20", "10", "1"):
            assert stack.kioskctl("sim", "insert", yuan).returncode == 0
        snap = wait_state(kiosk, lambda s: s.session is not None
                          and s.session.amount_fen == 33100, "¥331 in")
        assert snap.session is not None and snap.session.headroom_fen == 250
        # A pulse acceptor has one inhibit line: a ¥1 coin still fits, so it is open,
        # and it cannot refuse a ¥100 note on its own.
        cash = json.loads(stack.kioskctl("--json", "status").stdout)["devices"]["cash"]
        assert (cash["inhibited"], cash["reason"]) == (False, "accepting")
        assert stack.kioskctl("sim", "insert", "100").returncode == 0
        snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                          "the part that fits loaded", 30)
        assert snap.session is not None
        assert snap.session.balance_after_fen == before + 33350 == wallet_balance(stack)
        assert snap.notice is not None and snap.notice.code == "over_limit"
        assert "¥97.50" in snap.notice.message
        # The top-up finished by itself and the acceptor is shut.
        refused = stack.kioskctl("--json", "sim", "insert", "1")
        assert refused.returncode == 1 and json.loads(refused.stdout)["journaled"] == []

        audit = json.loads(stack.kioskctl("--json", "audit").stdout)
        assert audit["holds"] is True
        assert [audit["totals"][k] for k in ("cash_in_fen", "credited_fen", "pending_fen",
                                             "owed_fen")] == [43100, 33350, 0, 9750]
        assert central_sql(stack, "SELECT amount_fen, status FROM orders WHERE kind = 'load'"
                           " ORDER BY created_at, rowid") == [(66650, "completed"),
                                                              (33350, "completed")]
        journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
        facts = {kind: facts_from_json(json.loads(payload)["facts"]) for kind, payload in
                 journal.execute("SELECT kind, payload FROM receipts").fetchall()}
        journal.close()
        assert sorted(facts) == ["refund", "topup"]
        assert facts["topup"].amount_fen == 33350
        refund = facts["refund"]
        assert (refund.amount_fen, refund.loaded_fen) == (9750, 33350)
        assert sum(v * n for v, n in refund.notes) == 43100
        titles = {lang: build_receipt(ReceiptContext("K", lang, b"k" * 16), refund).title
                  for lang in ("zh", "en")}
        assert titles == {"zh": "退款凭证", "en": "REFUND VOUCHER"}
        # The day's figures say the same as the audit.
        x = json.loads(stack.kioskctl("--json", "settlement").stdout)
        assert (x["loads_credited"], x["loads_pending"], x["loads_owed"]) == \
            ([1, 33350], [0, 0], [1, 9750])
        assert x["cash_fen"] == 43100 and x["holds"] is True and x["difference_fen"] == 0
