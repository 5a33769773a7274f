"""Every cardholder service by touch alone: touches land at the centres of the
buttons the UI reports (through Kivy's touch dispatch), against the real
``kioskd --simulate`` and the reference central server. The test reaches the
daemon only as hardware would (a card on the reader, notes in the acceptor),
never through the local API. One stack and one UI for the module: each test
ends back on the attract screen with the card taken away."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from daemon.account import PERIODS, period_dates
from deploy.stack import Stack
from deploy.uiprobe import TouchProbe
from tests.e2e.sessionkit import CARD, QUICK_NOTES, central_sql
from tests.e2e.sessionkit import wallet_balance as _wallet

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"),
                                reason="needs an X display: make test runs under xvfb-run")

WANG_NO_PIN = "31044403000000100033"
MAINT_EN, MAINT_ZH = "Upgrade: top-up paused for an hour", "系统升级：暂停充值一小时"
PIN = "147258"



@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Notes as short pulse trains: the screens are tested here, not the decoder, and
    # a ¥300 top-up was 30 s of pulses.
    with Stack(tmp_path_factory.mktemp("touch") / "kiosk", config_extra=QUICK_NOTES) as st:
        st.seed()
        # A maintenance window two hours ahead: announced now, starts after the module.
        starts = time.time() + 7200
        done = subprocess.run(
            [str(Path(sys.executable).parent / "citycard-central"), "add-notice", "--db",
             str(st.db), "--kind", "maintenance", "--title", MAINT_EN, "--title-zh", MAINT_ZH,
             "--body", "Top-ups and bill payments pause for an upgrade.",
             "--body-zh", "系统升级期间暂停充值和缴费。",
             "--starts", datetime.fromtimestamp(starts).astimezone().isoformat(),
             "--ends", datetime.fromtimestamp(starts + 3600).astimezone().isoformat()],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        st.start_central()
        st.start_kioskd()
        yield st


@pytest.fixture(scope="module")
def ui(stack: Stack) -> Iterator[TouchProbe]:
    probe_dir = stack.workdir / "ui-probe"
    probe_dir.mkdir()
    probe = TouchProbe(stack.start_ui(probe_dir), probe_dir)
    probe.wait_screen("attract", timeout=60)
    yield probe


@pytest.fixture(autouse=True)
def back_to_attract(stack: Stack, ui: TouchProbe) -> Iterator[None]:
    yield
    stack.kioskctl("sim", "remove")
    view = ui.view() or {}
    if view.get("ui_screen") != "attract":
        for name in ("done", "back", "cancel"):
            try:
                ui.tap(name)
                break
            except LookupError:
                continue
    ui.wait_screen("attract")


def wallet_balance(stack: Stack, card_no: str = CARD) -> int:
    """The virtual card's balance (the seed's until the wallet file is first written)."""
    if (stack.workdir / "state" / "sim-wallet.json").exists():
        return _wallet(stack, card_no)
    import tomllib
    seed = tomllib.loads(Path("config/sim/demo-cards.toml").read_text("utf-8"))
    return int(next(c for c in seed["card"] if c["card_no"] == card_no)["balance_fen"])


def _text(view: dict[str, Any]) -> str:
    return "\n".join(view["texts"])


def _clean(view: dict[str, Any]) -> dict[str, Any]:
    assert view["settled"], "the probe gave up waiting for the layout"
    assert view["overflow"] == [], view["overflow"]
    assert view["missing_glyphs"] == [], view["missing_glyphs"]
    return view


def tap_card(stack: Stack, ui: TouchProbe, card_no: str = CARD,
             screen: str = "home") -> dict[str, Any]:
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", card_no)
    view = ui.wait_screen(screen, timeout=30, also=lambda v: "正在查询" not in _text(v)
                          and "Checking" not in _text(v))
    return _clean(settled(ui, view))


def settled(ui: TouchProbe, view: dict[str, Any], quiet_s: float = 0.5) -> dict[str, Any]:
    """The view once the daemon has stopped sending snapshots for ``quiet_s`` (a card
    read ends with a few: the chip, then the centre's answer)."""
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = ui.view() or view
        if now["seq"] == view["seq"]:
            return now
        view = now
    return view


def insert(stack: Stack, *yuan: str) -> None:
    for y in yuan:
        assert stack.kioskctl("sim", "insert", y).returncode == 0


def test_top_up_fifty_yuan_and_see_the_new_balance(stack: Stack, ui: TouchProbe) -> None:
    before = wallet_balance(stack)
    tap_card(stack, ui)
    ui.tap("topup")
    _clean(ui.wait_screen("topup_limits"))
    insert(stack, "20", "20", "10")
    _clean(ui.wait_screen("topup_inserting", also=lambda v: "¥50.00" in v["texts"]))
    ui.tap("finish")
    done = _clean(ui.wait_screen("topup_done", timeout=30))
    after = f"¥{(before + 5000) // 100}.{(before + 5000) % 100:02d}"
    assert after in done["texts"] and wallet_balance(stack) == before + 5000
    ui.tap("done")


def test_keypad_refuses_bad_input_and_keeps_digits_across_a_state_event(
        stack: Stack, ui: TouchProbe) -> None:
    tap_card(stack, ui)
    ui.tap("bill")
    ui.wait_screen("bill_utility")
    ui.tap("water")
    ui.wait_screen("bill_account")
    view = ui.type_digits("123")
    ui.tap("ok")  # too short: refused at the screen, nothing sent
    view = _clean(ui.wait_screen("bill_account", also=lambda v: "位数不足" in v["texts"]))
    assert "123" in view["texts"]
    view = ui.command({"paste": "45ab"})  # letters pasted: refused whole
    assert "只能输入数字" in view["texts"] and "123" in view["texts"]
    view = ui.command({"paste": "4" * 18})  # 21 digits would not fit
    assert "位数已满" in view["texts"] and "123" in view["texts"]
    ui.type_digits("456")
    seq = ui.view()["seq"]  # type: ignore[index]
    ui.tap("language")  # a state event from the daemon: a new snapshot, in English
    view = ui.wait_screen("bill_account", also=lambda v: v["language"] == "en"
                          and v["seq"] > seq)
    assert "123456" in view["texts"]  # the digits survived the redraw
    ui.tap("language")
    ui.wait_screen("bill_account", also=lambda v: v["language"] == "zh")
    ui.tap("back")
    ui.wait_screen("bill_utility")
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("done")


def _find_bill(stack: Stack, ui: TouchProbe, utility: str, account: str) -> dict[str, Any]:
    tap_card(stack, ui)
    ui.tap("bill")
    ui.wait_screen("bill_utility")
    ui.tap(utility)
    ui.wait_screen("bill_account")
    ui.type_digits(account)
    ui.tap("ok")
    return _clean(ui.wait_screen("bill_found"))


def test_pay_a_water_bill_under_the_threshold(stack: Stack, ui: TouchProbe) -> None:
    before = wallet_balance(stack)
    view = _find_bill(stack, ui, "water", "100004")
    assert "¥37.20" in view["texts"]
    ui.tap("pay")
    _clean(ui.wait_screen("bill_done", timeout=30))
    assert wallet_balance(stack) == before - 3720
    ui.tap("done")


def test_an_electricity_bill_over_the_threshold_asks_for_the_pin(stack: Stack,
                                                                 ui: TouchProbe) -> None:
    tap_card(stack, ui)  # first a top-up so the card holds enough for ¥236.80
    ui.tap("topup")
    ui.wait_screen("topup_limits")
    insert(stack, "100", "100", "100")
    ui.wait_screen("topup_inserting", also=lambda v: "¥300.00" in v["texts"])
    ui.tap("finish")
    ui.wait_screen("topup_done", timeout=30)
    ui.tap("done")
    before = wallet_balance(stack)
    view = _find_bill(stack, ui, "electricity", "200002")
    assert "¥236.80" in view["texts"]
    ui.tap("pay")
    _clean(ui.wait_screen("pin_entry"))
    view = ui.type_digits("999999")
    assert "●●●●●●" in view["texts"] and "999999" not in _text(view)  # masked
    ui.tap("ok")
    # Wrong: nothing debited, the pad back with the tries left, the bill still on.
    again = _clean(ui.wait_screen("pin_entry", timeout=30, also=lambda v: re.search(
        r"还可尝试\s?2\s?次", _text(v)) is not None))
    assert again["session_step"] == "found" and "●" not in _text(again)
    assert wallet_balance(stack) == before
    ui.type_digits(PIN)
    ui.tap("ok")
    _clean(ui.wait_screen("bill_done", timeout=30))
    assert wallet_balance(stack) == before - 23680
    ui.tap("done")


def test_wrong_pins_until_the_lock_end_the_bill_saying_when(stack: Stack,
                                                            ui: TouchProbe) -> None:
    """Each wrong payment password leaves the bill on with the tries left the centre
    counts; the third locks the password and ends the bill with the time it ends."""
    try:
        _find_bill(stack, ui, "gas", "300002")
        ui.tap("pay")
        ui.wait_screen("pin_entry")
        for left in (2, 1):
            ui.type_digits("999999")
            ui.tap("ok")
            _clean(ui.wait_screen("pin_entry", timeout=30, also=lambda v, n=left: re.search(
                rf"还可尝试\s?{n}\s?次", _text(v)) is not None))
        ui.type_digits("999999")
        ui.tap("ok")
        failed = _clean(ui.wait_screen("bill_failed", timeout=30))
        assert re.search(r"请\d+分钟后（\d\d:\d\d以后）再试", _text(failed)), failed["texts"]
        ui.tap("done")
    finally:  # the module's other tests pay with this card's password
        central_sql(stack, "DELETE FROM secret_tries WHERE card_no = ?", CARD)


def test_history_pages_and_a_statement_is_printed(stack: Stack, ui: TouchProbe) -> None:
    tap_card(stack, ui)
    ui.tap("history")
    first = _clean(ui.wait_screen("history", also=lambda v: "更多" in v["texts"]))
    ui.tap("more")
    second = _clean(ui.wait_screen("history", also=lambda v: v["texts"] != first["texts"]
                                   and "◀" in v["texts"]))
    assert set(second["texts"]) != set(first["texts"])
    ui.tap("statement")
    picker = _clean(ui.wait_screen("statement"))
    offered = [t["name"] for t in picker["targets"] if t["name"] in PERIODS]
    assert offered == list(PERIODS)  # every period kioskd prints, and no other
    assert "最近3个月" in picker["texts"]
    ui.tap("last_3_months")
    ui.wait_screen("pin_entry")  # the card has a payment password
    ui.type_digits(PIN)
    ui.tap("ok")
    printed = _clean(ui.wait_screen("statement_printed"))
    assert "对账单已打印" in printed["texts"]
    assert list((stack.workdir / "state" / "receipts").glob("*-statement.png"))
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    payload = journal.execute("SELECT payload FROM receipts WHERE kind = 'statement' "
                              "ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    journal.close()
    facts = json.loads(payload)["facts"]["fields"]
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert (facts["period_from"], facts["period_to"]) == tuple(
        d.isoformat() for d in period_dates("last_3_months", today))
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("done")


@pytest.mark.parametrize(("card_no", "words_zh", "words_en"), [
    (CARD, "地铁9.5折 · 换乘减¥1.00", "metro -5% · transfer -¥1.00"),
    (WANG_NO_PIN, "公交免费 · 地铁5折", "bus free · metro -50%")])
def test_home_names_the_card_types_discount_and_history_the_rides_terms(
        stack: Stack, ui: TouchProbe, card_no: str, words_zh: str, words_en: str) -> None:
    home = tap_card(stack, ui, card_no)
    assert "优惠" in _text(home) and words_zh in _text(home)
    ui.tap("language")
    home_en = _clean(ui.wait_screen("home", also=lambda v: v["language"] == "en"))
    assert words_en in _text(home_en)
    ui.tap("language")
    ui.wait_screen("home", also=lambda v: v["language"] == "zh")
    ui.tap("history")
    seen = _clean(ui.wait_screen("history", also=lambda v: "更多" in v["texts"]))["texts"]
    for _ in range(4):  # a few pages hold rides with their fare and discounts
        if any("票价" in t for t in seen) and any("优惠" in t for t in seen):
            break
        before = ui.view()["texts"]  # type: ignore[index]
        ui.tap("more")
        seen += _clean(ui.wait_screen("history", also=lambda v, b=before: v["texts"] != b))[
            "texts"]
    assert any("票价 ¥" in t for t in seen) and any("优惠 ¥" in t for t in seen)
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("done")


def test_a_card_of_another_city_is_named_and_offered_what_is_open(stack: Stack,
                                                                   ui: TouchProbe) -> None:
    home = tap_card(stack, ui, "03104100000000000051")
    text = _text(home)
    assert "北京发行的卡：本机可办理余额查询和交易记录" in text
    assert "透支" in text and "-¥3.50" in text and "中心无此卡" not in text
    assert MAINT_ZH not in text  # it stops top-up and bills, which this card has not here
    names = [t["name"] for t in home["targets"]]
    assert "history" in names and "help" in names
    assert not {"topup", "bill", "points", "pin"} & set(names)
    ui.tap("history")
    log = _clean(ui.wait_screen("history", also=lambda v: any("卡内交易记录" in t
                                                             for t in v["texts"])))
    assert any("-¥4.00" in t for t in log["texts"])
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("language")
    en = _clean(ui.wait_screen("home", also=lambda v: v["language"] == "en"))
    assert "A card of Beijing: here you can use balance and history" in _text(en)
    ui.tap("language")
    ui.wait_screen("home", also=lambda v: v["language"] == "zh")
    ui.tap("done")


def test_redeem_points(stack: Stack, ui: TouchProbe) -> None:
    before = wallet_balance(stack)
    points = central_sql(stack, "SELECT points FROM cards WHERE card_no = ?", CARD)[0][0]
    tap_card(stack, ui)
    ui.tap("points")
    _clean(ui.wait_screen("points"))
    ui.tap("points_500")
    ui.wait_screen("points", also=lambda v: any("¥5.00" in t for t in v["texts"]))
    ui.tap("redeem")
    _clean(ui.wait_screen("points_done", timeout=30))
    assert wallet_balance(stack) == before + 500
    assert central_sql(stack, "SELECT points FROM cards WHERE card_no = ?", CARD)[0][0] == \
        points - 500
    ui.tap("done")


def test_set_and_change_the_payment_password(stack: Stack, ui: TouchProbe) -> None:
    tap_card(stack, ui, WANG_NO_PIN)
    ui.tap("pin")
    ui.wait_screen("pin_change")
    for digits in ("111111", "258147", "258147"):
        ui.type_digits(digits)
        ui.tap("ok")
    # No password yet: the daemon says so and the UI asks for the ID instead.
    ui.wait_screen("pin_set")
    for digits in (WANG_NO_PIN[-6:], "258147", "258147"):
        ui.type_digits(digits)
        ui.tap("ok")
    _clean(ui.wait_screen("pin_done"))
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("pin")
    ui.wait_screen("pin_change")
    for digits in ("258147", "369258", "369258"):
        ui.type_digits(digits)
        ui.tap("ok")
    _clean(ui.wait_screen("pin_done"))
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("done")


def test_report_a_lost_card_from_the_attract_screen(stack: Stack, ui: TouchProbe) -> None:
    lost = "03104440300000100025"  # T-Union: printed without the serial's pad digit
    printed = lost[1:]
    ui.tap("loss_report")
    ui.wait_screen("loss_report")
    ui.type_digits(printed)
    ui.tap("ok")
    ui.wait_screen("loss_report", also=lambda v: any(t["name"] == "proof_id"
                                                     for t in v["targets"]))
    ui.tap("proof_id")
    ui.type_digits(lost[-6:])
    ui.tap("ok")
    confirm = _clean(ui.wait_screen("loss_report", also=lambda v: "confirm" in
                                    [t["name"] for t in v["targets"]]))
    assert any("余额" in t for t in confirm["texts"])  # what happens to the balance
    assert printed in confirm["texts"]  # the number as typed, as on the card
    ui.tap("confirm")
    done = _clean(ui.wait_screen("loss_report_done", timeout=30))
    assert "挂失成功" in done["texts"]
    assert central_sql(stack, "SELECT status FROM cards WHERE card_no = ?", lost) == [("lost",)]
    ui.tap("done")


def test_feedback_and_help(stack: Stack, ui: TouchProbe) -> None:
    ui.tap("feedback")
    ui.wait_screen("feedback")
    ui.tap("kiosk_fault")
    ui.wait_screen("feedback", also=lambda v: "canned_2" in [t["name"] for t in v["targets"]])
    ui.tap("canned_2")
    ui.wait_screen("feedback", also=lambda v: "key_1" in [t["name"] for t in v["targets"]])
    ui.type_digits("13800138000")
    ui.tap("ok")
    done = _clean(ui.wait_screen("feedback_done", timeout=30))
    assert list((stack.workdir / "state" / "receipts").glob("*-feedback.png"))
    assert any("工单号" in t for t in done["texts"])
    ui.tap("done")
    ui.wait_screen("attract")
    ui.tap("help")
    ui.wait_screen("help", also=lambda v: "help_fraud" in [t["name"] for t in v["targets"]])
    ui.tap("help_hotline")
    view = _clean(ui.wait_screen("help", also=lambda v: any("12345" in t for t in v["texts"])))
    assert view["language"] == "zh"
    for section, words in (("help_lost", "挂失"), ("help_pin", "重置"), ("help_fraud", "盗刷"),
                           ("help_damaged", "破损"), ("help_outlets", "08:30-17:30")):
        ui.tap(section)
        _clean(ui.wait_screen("help", also=lambda v, w=words: any(w in t for t in v["texts"])))
    ui.tap("back")


@pytest.mark.parametrize(("card_no", "screen"), [("03104440300000100041", "card_lost"),
                                                 ("03104440300000100058", "card_blacklisted")])
def test_a_card_error_names_the_hotline_and_opens_the_help(stack: Stack, ui: TouchProbe,
                                                           card_no: str, screen: str) -> None:
    view = tap_card(stack, ui, card_no, screen=screen)
    assert "服务热线 12345" in _text(view)
    ui.tap("help")
    ui.wait_screen("help", also=lambda v: "help_lost" in [t["name"] for t in v["targets"]])
    ui.tap("back")
    ui.wait_screen(screen)
    ui.tap("done")


def test_notices_on_the_attract_screen_and_those_that_stop_a_service_at_home(
        stack: Stack, ui: TouchProbe) -> None:
    """The central notices come with the heartbeat: the attract screen shows those on
    now (and the window announced ahead), home only the window, in both languages."""
    view = _clean(ui.wait_screen("attract", timeout=30,
                                 also=lambda v: any(MAINT_ZH in t for t in v["texts"])))
    assert "自助终端支持现金充值" in _text(view)  # a seeded announcement
    assert "过期通知" not in _text(view)  # the seeded one that has ended
    home = tap_card(stack, ui)
    assert MAINT_ZH in _text(home) and "自助终端支持现金充值" not in _text(home)
    ui.tap("language")
    home_en = _clean(ui.wait_screen("home", also=lambda v: v["language"] == "en"))
    assert MAINT_EN in _text(home_en) and "(from " in _text(home_en)
    ui.tap("language")
    ui.wait_screen("home", also=lambda v: v["language"] == "zh")
    ui.tap("done")


def test_idle_countdown_with_cash_in_ends_in_a_load(stack: Stack, ui: TouchProbe) -> None:
    before = wallet_balance(stack)
    tap_card(stack, ui)
    ui.tap("topup")
    ui.wait_screen("topup_limits")
    insert(stack, "10")
    ui.wait_screen("topup_inserting", also=lambda v: "¥10.00" in v["texts"])
    view = ui.command({"idle": 2})  # the countdown, 2 s from its end
    assert view["overlay"] == "idle_countdown" and "还在吗？" in view["texts"]
    _clean(view)
    ui.wait_screen("topup_done", timeout=30)
    assert wallet_balance(stack) == before + 1000
    ui.tap("done")


def test_typing_on_a_keypad_keeps_the_card_screen_and_walking_away_does_not(
        tmp_path: Path) -> None:
    """The daemon does not see digits typed on the UI's own keypads: the UI's keep-alive
    tells it the cardholder is still there, past kioskd's idle time (here 6 s); once
    the typing stops, the card screen goes back to the start as before."""
    idle_s = 6
    with Stack(tmp_path / "idle", config_extra=f"idle_timeout_s = {idle_s}\n") as st:
        st.seed()
        st.start_central()
        st.start_kioskd()
        probe_dir = st.workdir / "ui-probe"
        probe_dir.mkdir()
        probe = TouchProbe(st.start_ui(probe_dir), probe_dir)
        probe.wait_screen("attract", timeout=60)
        st.kioskctl("sim", "tap", CARD)
        probe.wait_screen("home", timeout=30)
        probe.tap("bill")
        probe.wait_screen("bill_utility")
        probe.tap("water")
        probe.wait_screen("bill_account")
        typed, started = "", time.monotonic()
        while time.monotonic() - started < 1.5 * idle_s:  # a slow typist, a key a second
            typed += "1"
            view = probe.type_digits("1")
            last_key = time.monotonic()
            assert view["ui_screen"] == "bill_account" and view["screen"] == "card", view
            time.sleep(1)
        assert typed in probe.view()["texts"]  # type: ignore[index]
        probe.wait_screen("attract", timeout=3 * idle_s)
        # Not before the idle time, counted from the last keep-alive: the UI sends one
        # at most every quarter of it, so the last may be that much before the last key.
        assert time.monotonic() - last_key >= idle_s * 3 / 4 - 0.5
        # No key closes the UI, but the system's SIGTERM (systemctl stop) does, at once.
        probe.proc.terminate()
        assert probe.proc.wait(timeout=5) == 0


def test_a_second_card_mid_top_up_is_told_apart(stack: Stack, ui: TouchProbe) -> None:
    tap_card(stack, ui)
    ui.tap("topup")
    ui.wait_screen("topup_limits")
    insert(stack, "10")
    ui.wait_screen("topup_inserting", also=lambda v: "¥10.00" in v["texts"])
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", WANG_NO_PIN)
    view = _clean(ui.wait_screen("topup_inserting", also=lambda v: any(
        "另一张卡" in t for t in v["texts"])))
    assert "¥10.00" in view["texts"]
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", CARD)
    ui.tap("finish")
    ui.wait_screen("topup_done", timeout=30)
    ui.tap("done")


def test_a_screen_is_built_once_and_again_only_when_what_it_shows_changes(
        stack: Stack, ui: TouchProbe) -> None:
    """Switching builds no widgets again (that was most of a switch's time and made
    the UI's memory grow tap after tap); a state event that changes what a screen
    shows (here the language) does, and the help section picked is a screen's own
    input until the person leaves."""
    ui.tap("help")
    first = ui.wait_screen("help", also=lambda v: "help_hotline" in
                           [t["name"] for t in v["targets"]])["builds"]
    ui.tap("help_hotline")
    picked = ui.wait_screen("help", also=lambda v: any("12345" in t for t in v["texts"]))
    assert picked["builds"] == first + 1
    ui.tap("back")
    attract = ui.wait_screen("attract")["builds"]
    ui.tap("help")  # the pick is cleared on arrival: built once more
    assert ui.wait_screen("help")["builds"] == first + 2
    ui.tap("back")
    ui.tap("help")  # nothing to clear, nothing changed: the same widgets
    assert ui.wait_screen("help")["builds"] == first + 2
    ui.tap("back")
    assert ui.wait_screen("attract")["builds"] == attract
    lang = ui.view()["language"]  # type: ignore[index]
    ui.tap("language")
    other = ui.wait_screen("attract", also=lambda v: v["language"] != lang)
    assert other["builds"] == attract + 1
    ui.tap("language")
    ui.wait_screen("attract", also=lambda v: v["language"] == lang)


def test_the_probe_reports_a_glyph_the_font_does_not_have(stack: Stack, ui: TouchProbe) -> None:
    """The layout checks' tofu detector can fail: a Thai letter in an operator's
    maintenance message (handed to the UI as a snapshot) is reported, the CJK font
    having none, and the Chinese beside it is not."""
    state = stack.kiosk_client.get("/v1/state")  # read only, to hand the UI back
    try:
        view = ui.command({"snapshot": {**state, "screen": "maintenance",
                                        "maintenance": "维护中 ก"}})
        assert view["ui_screen"] == "maintenance" and view["missing_glyphs"] == ["ก"]
    finally:
        ui.command({"snapshot": stack.kiosk_client.get("/v1/state")})


def test_no_key_closes_the_app(stack: Stack, ui: TouchProbe, artifacts: Path) -> None:
    """Real key presses (XTEST, as a keyboard would send them) into the UI's window
    under Xvfb: none closes it, and each one did reach it. xdotool is a system
    package of `make test` (deploy/syspkgs.sh)."""
    import shutil
    import subprocess
    assert shutil.which("xdotool"), \
        "xdotool is not installed: run `make syspkgs` (deploy/syspkgs.sh) as root"
    found = subprocess.run(["xdotool", "search", "--sync", "--pid", str(ui.proc.pid)],
                           capture_output=True, text=True, check=True, timeout=20)
    window = found.stdout.split()[0]
    keys = ("Escape", "alt+F4", "ctrl+c", "ctrl+q", "F1", "ctrl+w", "super")
    before = ui.command({"noop": True})["keys_seen"]
    for key in keys:
        # No window manager under Xvfb: focus the window directly, then press.
        subprocess.run(["xdotool", "windowfocus", "--sync", window, "key", "--delay", "50",
                        key], check=True, timeout=10)
        time.sleep(0.3)  # closing, if a key did, is not instant
        assert ui.proc.poll() is None, f"{key} closed the app"
    view = ui.command({"noop": True})
    # Every press reached the app (a modifier combination counts once, for its last key).
    assert view["keys_seen"] - before >= len(keys) - 1
    assert view["screen"] == "attract" and ui.proc.poll() is None


# -- the loss-report lifecycle, overdraft and disputes (issue 11) ------------------------------
def test_cancel_the_loss_report_of_a_found_card(stack: Stack, ui: TouchProbe,
                                                artifacts: Path) -> None:
    found = "03104440300000100025"  # reported lost above, or here
    central_sql(stack, "UPDATE cards SET status = 'lost' WHERE card_no = ?", found)
    tap_card(stack, ui, found, screen="card_lost")
    ui.tap("cancel_loss")
    _clean(ui.wait_screen("loss_cancel"))
    ui.tap("proof_id")
    ui.type_digits(found[-6:])
    ui.tap("ok")
    # The card's status changes under it (lost → active): the view once it is quiet.
    done = _clean(settled(ui, ui.wait_screen("loss_cancel_done", timeout=30)))
    assert "解挂成功" in done["texts"]
    ui.screenshot(artifacts / "ui-loss-cancel-zh.png")
    assert central_sql(stack, "SELECT status FROM cards WHERE card_no = ?", found) == \
        [("active",)]
    assert list((stack.workdir / "state" / "receipts").glob("*-loss_cancel.png"))
    ui.tap("done")
    ui.wait_screen("home")
    ui.tap("done")


def test_a_replacement_card_is_offered_its_old_balance(stack: Stack, ui: TouchProbe,
                                                       artifacts: Path) -> None:
    import subprocess

    from deploy.stack import BIN
    old, new = "03104440300000100041", WANG_NO_PIN  # 刘洋's lost card, 王秀英's
    before = wallet_balance(stack, new)
    subprocess.run([str(BIN / "citycard-central"), "replace-card", "--db", str(stack.db),
                    old, new], check=True, capture_output=True)
    held = tap_card(stack, ui, new)
    assert any("保留期满" in t for t in held["texts"])
    assert "transfer" not in [t["name"] for t in held["targets"]]
    ui.tap("done")
    ui.wait_screen("attract")
    central_sql(stack, "UPDATE replacements SET recorded_at = recorded_at - 8 * 86400")
    offer = tap_card(stack, ui, new)
    assert any("¥45.00" in t for t in offer["texts"])
    ui.screenshot(artifacts / "ui-transfer-zh.png")
    ui.tap("transfer")
    done = _clean(ui.wait_screen("topup_done", timeout=30))
    assert wallet_balance(stack, new) == before + 4500
    assert any("¥" in t for t in done["texts"])
    ui.tap("done")


def test_an_overdraft_is_shown_and_repaid_by_touch(stack: Stack, ui: TouchProbe,
                                                   artifacts: Path) -> None:
    chen = "03104440300000100058"
    view = tap_card(stack, ui, chen, screen="card_blacklisted")
    assert any("¥15.00" in t for t in view["texts"]) and any("透支" in t for t in view["texts"])
    ui.screenshot(artifacts / "ui-overdraft-zh.png")
    ui.tap("repay")
    _clean(ui.wait_screen("topup_limits"))
    insert(stack, "20")
    _clean(ui.wait_screen("topup_inserting", also=lambda v: "¥20.00" in v["texts"]))
    ui.tap("finish")
    _clean(ui.wait_screen("topup_done", timeout=30))
    assert central_sql(stack, "SELECT status, owed_fen FROM cards WHERE card_no = ?", chen) == \
        [("active", 0)]
    ui.tap("done")


def test_not_me_on_a_history_line_files_a_dispute(stack: Stack, ui: TouchProbe) -> None:
    tap_card(stack, ui)
    ui.tap("history")
    view = _clean(ui.wait_screen("history", also=lambda v: any(
        t["name"].startswith("dispute_") for t in v["targets"])))
    name = next(t["name"] for t in view["targets"] if t["name"].startswith("dispute_"))
    ui.tap(name)
    done = _clean(ui.wait_screen("dispute_done", timeout=30))
    assert "争议已受理" in done["texts"]
    assert "loss_report" in [t["name"] for t in done["targets"]]  # offered at once
    assert central_sql(stack, "SELECT COUNT(*) FROM disputes") == [(1,)]
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("done")
