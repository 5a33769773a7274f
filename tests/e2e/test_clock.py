"""A kiosk whose clock is 7 minutes off the central side's (the reference server
run with --clock-offset): it says so everywhere an operator looks, refuses a
top-up with clock_skew and takes no cash, and nothing changes at either end;
with the central clock put right it recovers by itself and the top-up goes on."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack
from deploy.uiprobe import UiProbe
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance

pytestmark = pytest.mark.e2e

OFFSET_S = 420  # past the ±300 s signature window


@pytest.fixture
def skewed(tmp_path: Path) -> Iterator[Stack]:
    with Stack(tmp_path / "kiosk") as st:
        st.seed()
        st.start_central(args=["--clock-offset", str(OFFSET_S)])
        st.start_kioskd()
        yield st


def _status(stack: Stack) -> dict[str, object]:
    done = stack.kioskctl("--json", "status")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_clock_past_the_window_refuses_money_then_recovers_by_itself(skewed: Stack) -> None:
    stack, kiosk = skewed, skewed.kiosk_client
    snap = wait_state(kiosk, lambda s: s.clock == "skewed", "the clock seen as skewed")
    assert snap.central == "unauthorized"
    assert snap.clock_skew_s is not None and abs(snap.clock_skew_s - OFFSET_S) <= 2
    status = _status(stack)
    clock = status["clock"]
    assert isinstance(clock, dict)
    # The central side refuses the timestamp and its refusal carries its clock.
    assert clock["state"] == "skewed" and clock["refused"] is True
    assert abs(clock["skew_s"] - OFFSET_S) < 2 and clock["window_s"] == 300
    assert status["devices"]["cash"]["inhibited"] is True  # type: ignore[index]
    human = stack.kioskctl("status").stdout
    assert "clock     skewed  " in human and "past the signature window" in human
    metrics = stack.kioskctl("metrics").stdout
    assert 'citycard_clock_state{state="skewed"} 1' in metrics
    assert "citycard_clock_skew_seconds 4" in metrics  # 419.x or 420.x

    # A card is read (the chip needs no central side), but no money moves.
    stack.kioskctl("sim", "tap", CARD)
    wait_state(kiosk, lambda s: s.screen == "card" and s.card is not None
               and s.card.central == "offline", "the card screen, card data only")
    before = wallet_balance(stack)
    orders = central_sql(stack, "SELECT COUNT(*) FROM orders")[0][0]
    with pytest.raises(LocalApiError) as refused:
        kiosk.post("/v1/topup/start")
    assert (refused.value.status, refused.value.code) == (503, "clock_skew")
    assert "时钟" in refused.value.message_zh and "clock" in refused.value.message
    inserted = stack.kioskctl("--json", "sim", "insert", "50")
    assert inserted.returncode == 1 and json.loads(inserted.stdout)["journaled"] == []
    assert json.loads(stack.kioskctl("--json", "audit").stdout)["sessions"] == []
    assert wallet_balance(stack) == before
    assert central_sql(stack, "SELECT COUNT(*) FROM orders")[0][0] == orders

    # The central clock put right (same port): back within the window on its own.
    port = int(stack.central_url.rsplit(":", 1)[1])
    stack.stop("central")
    stack.start_central(port)
    started = time.monotonic()
    wait_state(kiosk, lambda s: s.clock == "ok" and s.central == "up", "the clock back",
               timeout=30)
    recovered_s = time.monotonic() - started
    clock = _status(stack)["clock"]
    assert isinstance(clock, dict) and abs(clock["skew_s"]) < 2 and not clock["refused"]
    assert _status(stack)["devices"]["cash"]["reason"] != "offline"  # type: ignore[index]
    tap(stack)
    view = kiosk.post("/v1/topup/start")
    assert view["step"] == "inserting"
    assert stack.kioskctl("--json", "sim", "insert", "50").returncode == 0
    kiosk.post("/v1/topup/finish")
    snap = wait_state(kiosk, lambda s: s.session is not None and s.session.step == "done",
                      "the top-up done")
    assert wallet_balance(stack) == before + 5000
    print(f"recovered {recovered_s:.1f} s after the central clock was put right")


@pytest.mark.skipif(not os.environ.get("DISPLAY"),
                    reason="needs an X display: make test runs under xvfb-run")
def test_the_card_screen_says_the_clock_is_wrong(skewed: Stack, tmp_path: Path,
                                                  artifacts: Path) -> None:
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    ui = UiProbe(skewed.start_ui(probe_dir), probe_dir)
    ui.wait_for(lambda v: v.get("ui_screen") == "attract", timeout=60, what="the attract screen")
    skewed.kioskctl("sim", "tap", CARD)
    view = ui.wait_for(lambda v: v.get("ui_screen") == "home", what="the card's home screen")
    text = "\n".join(view["texts"])
    assert "本终端时钟不准" in text and "中心连接中断" not in text
    assert "¥86.50" in text  # the card itself is still read
    ui.screenshot(artifacts / "clock-skewed-home.png")
    skewed.kiosk_client.post("/v1/language", {"language": "en"})
    view = ui.wait_for(lambda v: v.get("language") == "en" and v.get("ui_screen") == "home",
                       what="the home screen in English")
    assert "This kiosk's clock is wrong" in "\n".join(view["texts"])
    assert view["overflow"] == [] and view["missing_glyphs"] == []
