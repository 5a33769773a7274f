"""``make demo``'s screenshot walk: every screen of the touchscreen, in 中文 and
English, as ``ui-<screen>-<lang>.png``, each also laid out at 800×480 and
1024×600 with what did not fit written to ``ui-layout.json``.

The walk moves by touches (deploy/uiprobe.TouchProbe) and by the simulated
hardware (a card on the reader, notes in the acceptor). Screens the simulator
cannot make on demand — a card it cannot read, a foreign card, the steps that
last a blink (reading, loading, paying), a refused or pending load — are shown
by handing the UI a snapshot of that state through the probe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from deploy.stack import BIN, Stack
from deploy.uiprobe import TouchProbe
from protocol.cardno import T_UNION_AID, printed_card_no

__all__ = ["SIZES", "walk"]

logger = logging.getLogger("demo")

SIZES = ((800, 480), (1024, 600))
FULL = (1280, 800)
CARD = "03104440300000100017"
OTHER = "03104440300000100025"
NO_PIN = "31044403000000100033"
LOST = "03104440300000100041"  # reported lost in the demo data
PIN = "147258"


class _Walk:
    def __init__(self, stack: Stack, ui: TouchProbe, out: Path) -> None:
        self.stack, self.ui, self.out = stack, ui, out
        self.layout: dict[str, list[str]] = {}
        self.shots: list[Path] = []

    def lang(self) -> str:
        return str((self.ui.view() or {}).get("language"))

    def shoot(self, name: str, inject: dict[str, Any] | None = None,
              size: tuple[int, int] = FULL) -> None:
        """``name`` in both languages: laid out at every size, shot at ``size``."""
        ui = self.ui
        for lang in ("zh", "en"):
            if inject is not None:
                ui.command({"snapshot": {**inject, "language": lang}})
            elif self.lang() != lang:
                current = (ui.view() or {}).get("ui_screen")
                ui.tap("language")
                ui.wait_for(lambda v, lang=lang, current=current: v["language"] == lang
                            and v["ui_screen"] == current, what=f"{name} in {lang}")
            time.sleep(0.2)
            self.check(name, lang)
            if size != FULL:
                ui.command({"resize": list(size)})
            self.shots.append(ui.screenshot(self.out / f"ui-{name}-{lang}.png"))
            if size != FULL:
                ui.command({"resize": list(FULL)})
        if inject is not None:
            ui.command({"snapshot": self.stack.kiosk_client.get("/v1/state")})

    def check(self, name: str, lang: str) -> None:
        for size in (*SIZES, FULL):
            view = self.ui.command({"resize": list(size)})
            problems = view["overflow"] + [f"no glyph for {c!r}" for c in
                                           view["missing_glyphs"]]
            if problems:
                self.layout[f"{name}-{lang}-{size[0]}x{size[1]}"] = problems

    def card(self, card_no: str = CARD, screen: str = "home") -> None:
        self.stack.kioskctl("sim", "remove")
        self.stack.kioskctl("sim", "tap", card_no)
        self.ui.wait_for(lambda v: v["ui_screen"] == screen and not any(
            "正在查询" in t or "Checking" in t for t in v["texts"]), 30, f"{screen} after a tap")
        time.sleep(0.6)  # the read's last snapshots

    def end(self) -> None:
        self.stack.kioskctl("sim", "remove")
        with contextlib.suppress(LookupError):
            self.ui.tap("done")
        self.ui.wait_screen("attract")

    def at(self, name: str, **kw: Any) -> dict[str, Any]:
        return self.ui.wait_screen(name, **kw)


def _snap(screen: str, **extra: Any) -> dict[str, Any]:
    return {"seq": 0, "screen": screen, "language": "zh", "devices": {}, "central": "up",
            **extra}


def _session(kind: str, step: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "step": step, "card_no_masked": "3104 **** **** 0017",
            "amount_fen": amount, **extra}


def walk(stack: Stack, ui: TouchProbe, out: Path) -> tuple[list[Path], dict[str, list[str]]]:
    """Every screen, both languages; returns the screenshots and the layout problems."""
    w = _Walk(stack, ui, out)
    ui.wait_screen("attract", timeout=60)
    w.shoot("attract")
    w.shoot("reading", _snap("reading"))
    for lang in ("zh", "en"):  # kioskd unreachable: the language the UI last had
        ui.command({"snapshot": {**stack.kiosk_client.get("/v1/state"), "language": lang}})
        ui.command({"snapshot": None})
        w.check("out_of_service", lang)
        w.shots.append(ui.screenshot(out / f"ui-out_of_service-{lang}.png"))
    ui.command({"snapshot": stack.kiosk_client.get("/v1/state")})
    for code, name in (("card_not_supported", "not_our_card"), ("card_protocol", "read_failed")):
        w.shoot(name, _snap("card_error", notice={
            "code": code, "message": "The card could not be used.",
            "message_zh": "此卡无法使用。"}))
    # Help, feedback and a loss report need no card.
    ui.tap("help")
    w.at("help", also=lambda v: "help_hotline" in [t["name"] for t in v["targets"]])
    ui.tap("help_lost")
    w.shoot("help_lost")
    ui.tap("help_hotline")
    w.shoot("help")
    ui.tap("back")
    ui.tap("feedback")
    w.at("feedback")
    w.shoot("feedback")
    ui.tap("kiosk_fault")
    ui.tap("canned_2")
    ui.type_digits("13800138000")
    ui.tap("ok")
    w.at("feedback_done", timeout=30)
    w.shoot("feedback_done")
    ui.tap("done")
    ui.tap("loss_report")
    w.at("loss_report")
    ui.type_digits(printed_card_no(OTHER, T_UNION_AID))  # as a cardholder reads it: 19 digits
    w.shoot("loss_report")
    ui.tap("ok")
    ui.tap("proof_id")
    ui.type_digits(OTHER[-6:])
    ui.tap("ok")
    ui.wait_for(lambda v: "confirm" in [t["name"] for t in v["targets"]], what="confirm")
    w.shoot("loss_report_confirm")
    ui.tap("confirm")
    w.at("loss_report_done", timeout=30)
    w.shoot("loss_report_done")
    ui.tap("done")
    w.at("attract")
    admin = stack.admin_client
    admin.post("/v1/admin/maintenance", {"on": True, "message": "维护中 / Under maintenance"})
    w.at("maintenance")
    w.shoot("maintenance")
    admin.post("/v1/admin/maintenance", {"on": False})
    w.at("attract")
    # Cards the centre or the chip refuses.
    for card_no, name in (("03104440300000100041", "card_lost"),
                          ("03104440300000100058", "card_blacklisted"),
                          ("31044403000000100066", "card_expired"),
                          ("03104440300000100074", "card_blocked")):
        w.card(card_no, name)
        w.shoot(name)
        if name == "card_lost":  # found again: its loss report cancelled by its holder
            ui.tap("cancel_loss")
            w.at("loss_cancel")
            w.shoot("loss_cancel")
            ui.tap("back")
            w.at(name)
        w.end()
    # Cards of other cities: named by their city, offered what config opens.
    for card_no, name in (("03104100000000000051", "home_other_city"),
                          ("23103100000000000088", "home_city_union_other_city")):
        w.card(card_no, "home")
        w.shoot(name)
        w.end()
    # The card's home and its services.
    w.card()
    w.shoot("home")
    for lang in ("zh", "en"):  # a touch ends the countdown: switch, then start it
        if w.lang() != lang:
            ui.tap("language")
            ui.wait_for(lambda v, lang=lang: v["language"] == lang, what="the language")
        ui.command({"idle": 20})
        w.check("idle_countdown", lang)
        w.shots.append(ui.screenshot(out / f"ui-idle_countdown-{lang}.png"))
        ui.tap("continue")
    # A wrong payment password for a bill: the pad again, with the tries left (before
    # the statement below, whose right password clears the centre's count again).
    ui.tap("bill")
    w.at("bill_utility")
    ui.tap("electricity")
    ui.type_digits("200002")
    ui.tap("ok")
    w.at("bill_found", timeout=30)
    ui.tap("pay")
    w.at("pin_entry")
    ui.type_digits("999999")
    ui.tap("ok")
    ui.wait_for(lambda v: v["ui_screen"] == "pin_entry" and v["session_step"] == "found"
                and any("2" in t and ("次" in t or "tries" in t) for t in v["texts"]),
                timeout=30, what="the pad again after a wrong password")
    w.shoot("pin_entry_retry")
    ui.tap("back")
    w.at("bill_found")
    w.shoot("bill_found_wrong_pin")  # the bill, saying the tries left too
    ui.tap("cancel")
    w.card()
    ui.tap("history")
    ui.wait_for(lambda v: "more" in [t["name"] for t in v["targets"]], what="history")
    w.shoot("history")
    # "I did not make this" on a line of the centre's: the dispute's ticket.
    ui.tap(next(t["name"] for t in (ui.view() or {})["targets"]
                if t["name"].startswith("dispute_")))
    w.at("dispute_done", timeout=30)
    w.shoot("dispute_done")
    ui.tap("back")
    w.at("home")
    ui.tap("history")
    ui.wait_for(lambda v: "more" in [t["name"] for t in v["targets"]], what="history")
    ui.tap("statement")
    w.at("statement")
    w.shoot("statement")
    ui.tap("last_3_months")
    w.at("pin_entry")
    ui.type_digits("14")
    w.shoot("pin_entry")
    ui.type_digits("7258")
    ui.tap("ok")
    w.at("statement_printed", timeout=30)
    w.shoot("statement_printed")
    ui.tap("back")
    ui.tap("points")
    w.at("points")
    ui.tap("points_500")
    w.shoot("points")
    ui.tap("redeem")
    w.at("points_done", timeout=30)
    w.shoot("points_done")
    ui.tap("done")
    w.card()
    ui.tap("pin")
    w.at("pin_change")
    ui.type_digits("12")
    w.shoot("pin_change")
    ui.tap("back")
    ui.tap("bill")
    w.at("bill_utility")
    w.shoot("bill_utility")
    ui.tap("water")
    ui.type_digits("100001")  # (the walk-through before this one paid 100004)
    w.shoot("bill_account")
    ui.tap("ok")
    w.at("bill_found", timeout=30)
    w.shoot("bill_found")
    ui.tap("pay")
    w.at("bill_done", timeout=30)
    w.shoot("bill_done")
    ui.tap("done")
    w.card()
    ui.tap("topup")
    w.at("topup_limits")
    w.shoot("topup_limits")
    for yuan in ("20", "20", "10"):
        stack.kioskctl("sim", "insert", yuan)
    ui.wait_for(lambda v: "¥50.00" in v["texts"], what="¥50 in")
    w.shoot("topup_inserting")
    stack.kioskctl("sim", "remove")
    ui.tap("finish")
    w.at("topup_put_card_back", timeout=30)
    w.shoot("topup_put_card_back")
    stack.kioskctl("sim", "tap", CARD)
    w.at("topup_done", timeout=30)
    w.shoot("topup_done")
    limits = {"single_max_fen": 50000, "daily_remaining_fen": 95000, "purse_cap_fen": 100000}
    for name, session, notice in (
            ("topup_loading", _session("topup", "loading", 5000), None),
            ("topup_pending", _session("topup", "pending", 5000, receipt="printed",
                                       reference="P2612010000000001"), None),
            ("topup_refused", _session("topup", "failed", 5000, receipt="printed",
                                       reference="P2612010000000002"),
             {"code": "card_lost", "message": "This card was reported lost; the cash is "
              "owed back with a refund voucher.",
              "message_zh": "此卡已挂失，投入的现金凭退款凭条退还。"}),
            ("bill_paying", _session("bill", "paying", 3720), None),
            ("bill_failed", _session("bill", "failed", 23680, reference="P2612010000000003"),
             {"code": "pin_locked", "message": "Too many wrong tries. The payment password "
              "is locked; try again in 30 min (after 11:05).",
              "message_zh": "错误次数过多，支付密码已锁定，请30分钟后（11:05以后）再试。"})):
        w.shoot(name, _snap("topup" if session["kind"] == "topup" else "bill",
                            session={**session, "limits": limits}, notice=notice))
    ui.tap("done")
    w.at("attract")
    # A card without a payment password: set one.
    w.card(NO_PIN)
    ui.tap("pin")
    for digits in ("111111", "258147", "258147"):
        ui.type_digits(digits)
        ui.tap("ok")
    w.at("pin_set", timeout=30)
    ui.type_digits(NO_PIN[-6:-2])
    w.shoot("pin_set")
    ui.type_digits(NO_PIN[-2:])
    ui.tap("ok")
    for _ in range(2):
        ui.type_digits("258147")
        ui.tap("ok")
    w.at("pin_done", timeout=30)
    w.shoot("pin_done")
    ui.tap("back")
    w.end()
    # That card is a senior card: its discount takes three lines in English. Its home
    # under the central banner (the seeded maintenance notice), at every size, in both
    # languages, in normal and in large text (the switch on the attract screen; the
    # next card starts with normal text again).
    for name in ("home_senior", "home_senior_large"):
        if name.endswith("_large"):
            ui.tap("large_text")
            ui.wait_for(lambda v: v["text_scale"] > 1, what="large text")
        w.card(NO_PIN)
        ui.wait_for(lambda v: any("维护" in t or "Maintenance" in t for t in v["texts"]),
                    what="the central banner on home")
        w.shoot(name)
        if name.endswith("_large"):
            # The same card offered a lost card's balance: the offer's bar under the
            # card's panel and the tiles, in large text, shot on the 7" panel (800x480),
            # where the panel has the least room (docs/ui.md, the home screen).
            state = stack.kiosk_client.get("/v1/state")
            state["card"]["transfer"] = {"status": "available", "amount_fen": 4250,
                                         "old_card_no_masked": "3104 **** **** 0041"}
            w.shoot("home_senior_transfer_large_800x480", state, size=(800, 480))
        w.end()
    # The walk's card as the replacement of the lost one: its old balance held, then
    # offered. (An ordinary card; the offer's bar runs across the page under the card's
    # panel: a senior card's three lines of discount in large text at 800x480 have no
    # room beside it — docs/ui.md.)
    subprocess.run([str(BIN / "citycard-central"), "replace-card", "--db", str(stack.db),
                    LOST, CARD], check=True, capture_output=True)
    w.card()
    w.shoot("home_transfer_held")
    w.end()
    with contextlib.closing(sqlite3.connect(stack.db, timeout=10)) as conn, conn:
        conn.execute("UPDATE replacements SET recorded_at = recorded_at - 8 * 86400")
    w.card()
    w.shoot("home_transfer")
    w.end()
    if w.lang() != "zh":
        ui.tap("language")
    (out / "ui-layout.json").write_text(json.dumps(w.layout, ensure_ascii=False, indent=1),
                                        "utf-8")
    return w.shots, w.layout
