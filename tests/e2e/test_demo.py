"""``make demo``'s headless walk-through, run as the Makefile runs it: every
screenshot and both receipts written, and the screens say what the card holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"),
                                reason="needs an X display: make test runs under xvfb-run")

ROOT = Path(__file__).resolve().parents[2]
# Every screen issue 10 names, in both languages (deploy/screenwalk.py).
UI_SCREENS = ["attract", "reading", "home", "history", "statement", "statement_printed",
              "topup_limits", "topup_inserting", "topup_put_card_back", "topup_loading",
              "topup_done", "topup_pending", "topup_refused", "bill_utility", "bill_account",
              "bill_found", "pin_entry", "bill_paying", "bill_done", "points", "points_done",
              "pin_change", "pin_set", "loss_report", "loss_report_done", "feedback",
              "feedback_done", "help", "not_our_card", "card_lost", "card_blacklisted",
              "card_expired", "card_blocked", "read_failed", "maintenance", "out_of_service",
              "idle_countdown"]
SCREENS = ["attract-zh", "attract-en", "card-zh", "card-en", "topup-inserted-zh",
           "topup-done-zh", "bill-found-en", "bill-done-en"]


@pytest.mark.timeout(480)  # every screen × 2 languages × 3 sizes: ~2.5 min here
def test_the_walkthrough_writes_every_screen_and_both_receipts(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    done = subprocess.run([sys.executable, "-m", "deploy.demo", "--headless",
                           "--workdir", str(tmp_path / "var"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=480)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "card screen (zh): 城市一卡通自助服务 | English | 余额 | ¥86.50" in done.stderr
    assert "card screen (en): CityCard Self-Service | 中文 | Balance | ¥86.50" in done.stderr
    for name in SCREENS:
        with Image.open(out / f"{name}.png") as img:
            assert img.size == (1280, 800), name
            colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 20, name
    for name in UI_SCREENS:
        for lang in ("zh", "en"):
            with Image.open(out / f"ui-{name}-{lang}.png") as img:
                assert img.size == (1280, 800), name
    # Each screen laid out at 800×480, 1024×600 and 1280×800: no text clipped, outside
    # its box or the window, no word broken, no glyph missing.
    assert json.loads((out / "ui-layout.json").read_text("utf-8")) == {}
    receipts = {p.name.split("-")[-1] for p in out.glob("receipt-*.png")}
    assert {"bill_payment.png", "topup.png"} <= receipts
