"""The services that take no cash, over kiosk.sock with every process real:
history, statement, points, payment password, loss report, feedback, and the
card states that must refuse money."""

from __future__ import annotations

import json

import pytest

from deploy.stack import Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance

LIU_LOST = "03104440300000100041"
CHEN_BLACKLISTED = "03104440300000100058"
YANG_EXPIRED = "31044403000000100066"
WANG_NO_PIN = "31044403000000100033"


def _receipts(stack: Stack, kind: str) -> list[str]:
    return sorted(p.name for p in (stack.workdir / "state" / "receipts").glob(f"*-{kind}.png"))


def test_history_merges_the_card_and_the_centre_and_pages(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    # Make a record that both the card and the centre know: a top-up.
    tap(stack)
    kiosk.post("/v1/topup/start")
    stack.kioskctl("sim", "insert", "10")
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 1000, "¥10")
    kiosk.post("/v1/topup/finish")
    wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done", "loaded")
    kiosk.post("/v1/session/end")
    tap(stack)
    first = kiosk.get("/v1/history?limit=10")
    assert first["items"][0]["kind"] == "load" and first["items"][0]["amount_fen"] == 1000
    assert first["items"][0]["source"] == "both"  # once, though both sides have it
    assert len(first["items"]) == 10 and first["next_cursor"]
    second = kiosk.get(f"/v1/history?limit=10&cursor={first['next_cursor']}")
    assert second["items"] and all(i["source"] == "central" for i in second["items"])
    assert not {json.dumps(i, sort_keys=True) for i in first["items"]} & \
        {json.dumps(i, sort_keys=True) for i in second["items"]}


def test_statement_is_printed_with_the_centres_balances(stack: Stack) -> None:
    tap(stack)
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/statement", {"period": "last_30_days"})
    assert (err.value.status, err.value.code) == (422, "pin_required")
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/statement", {"period": "last_30_days", "pin": "999999"})
    assert (err.value.code, err.value.details) == ("pin_wrong", {"tries_left": 2})
    assert "还可尝试2次" in err.value.message_zh
    assert _receipts(stack, "statement") == []
    result = stack.kiosk_client.post("/v1/statement", {"period": "last_30_days",
                                                       "pin": "147258"})
    assert result["printed"] is True and result["count"] > 0
    assert result["closing_balance_fen"] == 8650  # the seed's history ends at the balance
    assert _receipts(stack, "statement") == [f"{result['reference']}-statement.png"]
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/statement", {"period": "last_year", "pin": "147258"})
    assert err.value.code == "bad_period"
    log = (stack.workdir / "kioskd.log").read_text("utf-8")
    assert "147258" not in log and "999999" not in log  # never logged


def test_a_lost_card_prints_no_statement_and_shows_only_its_own_log(stack: Stack) -> None:
    snap = tap(stack, LIU_LOST)
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/statement", {"period": "last_30_days", "pin": "147258"})
    assert (err.value.status, err.value.code) == (409, "card_lost")
    assert "挂失" in err.value.message_zh
    assert _receipts(stack, "statement") == []
    history = stack.kiosk_client.get("/v1/history")
    assert history["notice"]["code"] == "card_lost"
    assert snap.card is not None
    assert {i["source"] for i in history["items"]} <= {"card"}
    assert len(history["items"]) == len(snap.card.records)


def test_points_become_a_load_on_the_card(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    points = central_sql(stack, "SELECT points FROM cards WHERE card_no = ?", CARD)[0][0]
    kiosk.post("/v1/points/redeem", {"points": 1000})
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the points loaded")
    assert snap.session is not None and snap.session.kind == "pending_load"
    loaded = snap.session.balance_after_fen - before  # type: ignore[operator]
    assert loaded > 0 and wallet_balance(stack) == before + loaded
    left = central_sql(stack, "SELECT points FROM cards WHERE card_no = ?", CARD)[0][0]
    assert left == points - 1000


def test_payment_password_set_and_change(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    tap(stack, WANG_NO_PIN)
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/pin/set", {"new_pin": "123456", "id_last6": "999999"})
    assert (err.value.code, err.value.details) == ("identity_mismatch", {"tries_left": 2})
    assert "2 tries left" in err.value.message and "还可尝试2次" in err.value.message_zh
    assert kiosk.post("/v1/pin/set", {"new_pin": "258147", "id_last6": WANG_NO_PIN[-6:]}) == \
        {"pin_set": True}
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/pin/change", {"old_pin": "000000", "new_pin": "369258"})
    assert err.value.code == "pin_wrong"
    assert kiosk.post("/v1/pin/change", {"old_pin": "258147", "new_pin": "369258"}) == \
        {"pin_set": True}
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/pin/change", {"old_pin": "369258", "new_pin": "12ab56"})
    assert err.value.code == "bad_pin"
    log = (stack.workdir / "kioskd.log").read_text("utf-8")
    assert "258147" not in log and "369258" not in log  # never logged


def test_loss_report_stops_money_at_once_and_prints_a_slip(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    result = kiosk.post("/v1/loss-report", {"card_no": CARD, "id_last6": CARD[-6:]})
    assert result["status"] == "lost" and result["printed"] is True
    assert _receipts(stack, "loss_report") == [f"{result['report_no']}-loss_report.png"]
    snap = tap(stack)
    assert snap.card is not None and snap.card.status == "lost"
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/topup/start")
    assert err.value.code == "card_lost"
    unknown = "31044403999999999999"
    answers = []
    for card_no in (CARD, unknown):  # the first card is lost now; the proof is still asked
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/loss-report", {"card_no": card_no, "id_last6": "000000"})
        answers.append((err.value.status, err.value.code, err.value.message,
                        err.value.message_zh, err.value.details))
    assert answers[0] == answers[1] and answers[0][1] == "identity_mismatch"
    for body, code in (({"card_no": "123"}, "bad_card_no"),
                       ({"card_no": CARD, "pin": "147258", "id_last6": "100017"}, "pin_or_id")):
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/loss-report", body)
        assert err.value.code == code


def test_guessing_the_id_locks_and_the_kiosk_says_until_when(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    for tries_left, id_last6 in ((2, "000000"), (1, "000001")):
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/loss-report", {"card_no": CARD, "id_last6": id_last6})
        assert (err.value.code, err.value.details) == ("identity_mismatch",
                                                       {"tries_left": tries_left})
    for id_last6 in ("000002", CARD[-6:]):  # the lock, then even the right ID is refused
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/loss-report", {"card_no": CARD, "id_last6": id_last6})
        assert (err.value.status, err.value.code) == (423, "identity_locked")
        assert 1790 <= err.value.details["retry_after_s"] <= 1800
        assert err.value.details["locked_until"][11:16] in err.value.message_zh
        assert "分钟后" in err.value.message_zh and "min" in err.value.message
    assert central_sql(stack, "SELECT status FROM cards WHERE card_no = ?", CARD) == [
        ("active",)]
    assert _receipts(stack, "loss_report") == []


@pytest.mark.parametrize(("card_no", "status"), [(LIU_LOST, "lost"),
                                                 (CHEN_BLACKLISTED, "blacklisted"),
                                                 (YANG_EXPIRED, "expired")])
def test_cards_that_may_not_take_money_say_so_and_move_nothing(stack: Stack, card_no: str,
                                                               status: str) -> None:
    kiosk = stack.kiosk_client
    if status == "blacklisted":  # an overdraft may be repaid by a top-up (test_overdraft.py)
        central_sql(stack, "UPDATE cards SET blacklist_reason = 'other' WHERE card_no = ?",
                    card_no)
    snap = tap(stack, card_no)
    assert snap.card is not None and snap.card.status == status
    before = wallet_balance(stack, card_no)
    for path, body in (("/v1/topup/start", None),
                       ("/v1/bills/lookup", {"utility": "water", "account_no": "100001"})):
        with pytest.raises(LocalApiError) as err:
            kiosk.post(path, body)
        assert err.value.code == f"card_{status}"
    assert wallet_balance(stack, card_no) == before
    assert stack.kioskctl("--json", "sim", "insert", "10").returncode == 1  # acceptor shut


def test_feedback_ticket(stack: Stack) -> None:
    result = stack.kiosk_client.post("/v1/feedback", {"category": "kiosk_fault",
                                                      "text": "屏幕有点暗", "phone": "13800138000"})
    assert result["ticket_no"] and result["printed"] is True
    assert _receipts(stack, "feedback") == [f"{result['ticket_no']}-feedback.png"]
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/feedback", {"category": "nonsense", "text": "x"})
    assert err.value.code == "bad_category"


def test_a_card_reported_lost_during_a_top_up_owes_the_cash_back(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    before = tap(stack).card.balance_fen  # type: ignore[union-attr]
    kiosk.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "10").returncode == 0
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 1000, "¥10")
    # Meanwhile the holder reports the card lost (phone hotline, another kiosk).
    central_sql(stack, "UPDATE cards SET status = 'lost' WHERE card_no = ?", CARD)
    kiosk.post("/v1/topup/finish")
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "failed",
                      "the refusal")
    assert snap.notice is not None and snap.notice.code == "card_lost"
    assert snap.session is not None and snap.session.receipt == "printed"
    assert wallet_balance(stack) == before  # nothing on the card
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] is True
    assert (audit["totals"]["cash_in_fen"], audit["totals"]["owed_fen"]) == (1000, 1000)
    text = stack.kioskctl("audit").stdout.splitlines()
    assert text[0].split() == ["session", "card", "cash", "in", "credited", "pending", "owed",
                               "ok"]
    assert text[-2].split() == ["total", "¥10.00", "¥0.00", "¥0.00", "¥10.00", "holds"]
