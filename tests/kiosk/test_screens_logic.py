"""The UI's rules without Kivy: what a keypad takes, which screen shows for a
snapshot, and that one touch reported twice is one press."""

from __future__ import annotations

import pytest

from kiosk.api import CardView, Notice, SessionView, StateSnapshot
from kiosk.keypad import Entry
from kiosk.lockdown import TouchDeduper
from kiosk.routing import screen_for


def test_a_keypad_refuses_too_long_letters_and_too_short_and_keeps_what_it_had() -> None:
    entry = Entry(6, 8)
    assert [entry.press(d) for d in "12345678"] == [None] * 8
    assert entry.press("9") == "keypad_too_long" and entry.value == "12345678"
    entry.press("clear")
    assert entry.paste("12ab") == "keypad_digits_only" and entry.value == ""
    assert entry.paste("１２３") == "keypad_digits_only"  # full-width digits too
    assert entry.paste("123") is None and entry.complete() == "keypad_too_short"
    assert entry.paste("123456") == "keypad_too_long" and entry.value == "123"
    entry.press("del")
    assert entry.value == "12"
    assert Entry(6, 6, extra="X").paste("12345X") is None
    assert Entry(6, 6, masked=True).paste("123") is None
    masked = Entry(6, 6, masked=True)
    masked.paste("147")
    assert masked.shown() == "●●●"


def _card(status: str = "active") -> CardView:
    return CardView("3104 **** **** 0017", "ordinary", 8650, "2023-01-01", "2033-12-31",
                    status, central="ok")


def _snap(screen: str, **kw: object) -> StateSnapshot:
    return StateSnapshot(seq=1, screen=screen, language="zh", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("snap", "local", "origin", "shown"), [
    (None, None, None, "out_of_service"),
    (_snap("attract"), None, None, "attract"),
    (_snap("attract"), "loss_report", None, "loss_report"),
    (_snap("attract"), "history", None, "attract"),  # no card: no history
    (_snap("card", card=_card()), None, None, "home"),
    (_snap("card", card=_card()), "bill_account", None, "bill_account"),
    (_snap("card", card=_card("lost")), None, None, "card_lost"),
    (_snap("card", card=_card("lost")), "history", None, "history"),
    (_snap("card", card=_card("lost")), "loss_cancel", None, "loss_cancel"),  # a found card
    (_snap("card", card=_card("lost")), "dispute_done", None, "card_lost"),
    (_snap("card", card=_card()), "loss_cancel_done", None, "loss_cancel_done"),  # active now
    (_snap("card", card=_card()), "dispute_done", None, "dispute_done"),
    (_snap("card", card=_card("blacklisted")), "loss_cancel", None, "card_blacklisted"),
    (_snap("card", card=_card("lost")), "points", None, "card_lost"),
    (_snap("card_error", notice=Notice("card_not_supported", "", "")), None, None,
     "not_our_card"),
    (_snap("card_error", notice=Notice("card_protocol", "", "")), None, None, "read_failed"),
    (_snap("topup", session=SessionView("topup", "inserting", "x")), None, None,
     "topup_limits"),
    (_snap("topup", session=SessionView("topup", "inserting", "x", 1000)), "history", None,
     "topup_inserting"),
    (_snap("topup", session=SessionView("topup", "tap_card", "x", 1000)), None, None,
     "topup_put_card_back"),
    (_snap("bill", session=SessionView("bill", "found", "x", 23680)), "pin_entry", None,
     "pin_entry"),
    (_snap("bill", session=SessionView("bill", "failed", "x", 23680)), "pin_entry", None,
     "bill_failed"),
    (_snap("pending_load", session=SessionView("pending_load", "done", "x", 500)), None,
     "points", "points_done"),
    (_snap("maintenance", maintenance="x"), "help", None, "maintenance"),
])
def test_the_snapshot_decides_the_screen(snap: StateSnapshot | None, local: str | None,
                                         origin: str | None, shown: str) -> None:
    assert screen_for(snap, local, origin) == shown


def test_one_touch_reported_by_two_devices_is_one_press() -> None:
    dedupe = TouchDeduper(window_s=0.15, radius=24)
    assert dedupe.accept("begin", 1, "mtdev", 100, 100, now=10.0)
    assert not dedupe.accept("begin", 2, "hidinput", 103, 98, now=10.02)  # the echo
    assert not dedupe.accept("update", 2, "hidinput", 103, 98, now=10.03)
    assert not dedupe.accept("end", 2, "hidinput", 103, 98, now=10.05)
    assert dedupe.accept("update", 2, "hidinput", 103, 98, now=10.06)  # its uid is done
    assert dedupe.accept("end", 1, "mtdev", 100, 100, now=10.05)
    # A second finger elsewhere, and the same key pressed again later, are real presses.
    assert dedupe.accept("begin", 3, "hidinput", 400, 100, now=10.06)
    assert dedupe.accept("begin", 4, "mtdev", 100, 100, now=10.5)
    assert dedupe.accept("begin", 5, "mtdev", 100, 100, now=10.55)  # same device: a re-tap
