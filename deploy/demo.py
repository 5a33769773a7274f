"""``make demo``: the whole kiosk on this machine.

With a display: central + ``kioskd --simulate`` + the UI, until Ctrl-C; tap
virtual cards with ``kioskctl sim tap`` (the README shows how). Without one
(or with ``--headless``): the same processes under Xvfb, a scripted
walk-through, and screenshots plus receipt images in ``demo-out/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from deploy.stack import Stack
from deploy.uiprobe import UiProbe

logger = logging.getLogger(__name__)

DEMO_CARD = "31044403000000100017"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]


def _interactive(stack: Stack) -> int:
    stack.start_ui()
    cfg = stack.config
    sys.stdout.write(
        "\nThe kiosk is running. In another terminal, tap a virtual card:\n"
        f"  .venv/bin/kioskctl --config {cfg} sim tap {DEMO_CARD}\n"
        f"  .venv/bin/kioskctl --config {cfg} sim cards\n"
        "Ctrl-C stops everything.\n")
    try:
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    return 0


def _scripted(stack: Stack, out: Path) -> int:
    probe_dir = stack.workdir / "ui-probe"
    shutil.rmtree(probe_dir, ignore_errors=True)
    probe_dir.mkdir()
    ui = UiProbe(stack.start_ui(probe_dir), probe_dir)
    kiosk = stack.kiosk_client
    admin = stack.admin_client
    kiosk.post("/v1/session/end")
    shots = []
    for lang in ("zh", "en"):
        kiosk.post("/v1/language", {"language": lang})
        ui.wait_for(lambda v, lang=lang: v["screen"] == "attract" and v["language"] == lang)
        shots.append(ui.screenshot(out / f"attract-{lang}.png"))
    admin.post("/v1/sim/tap", {"card_no": DEMO_CARD})
    for lang in ("en", "zh"):
        kiosk.post("/v1/language", {"language": lang})
        view = ui.wait_for(lambda v, lang=lang: v["screen"] == "card" and v["language"] == lang
                           and v.get("central") != "pending", what="the card screen")
        shots.append(ui.screenshot(out / f"card-{lang}.png"))
        logger.info("card screen (%s): %s", lang, " | ".join(view["texts"][:12]))
    # A top-up of ¥50 in three notes, then a water bill of ¥37.20, in Chinese.
    kiosk.post("/v1/language", {"language": "zh"})
    kiosk.post("/v1/topup/start")
    for yuan_fen in (2000, 2000, 1000):
        admin.post("/v1/sim/insert", {"amount_fen": yuan_fen}, timeout=30)
    ui.wait_for(lambda v: v.get("session_step") == "inserting" and "¥50.00" in v["texts"],
                what="¥50 inserted")
    shots.append(ui.screenshot(out / "topup-inserted-zh.png"))
    kiosk.post("/v1/topup/finish")
    ui.wait_for(lambda v: v.get("session_step") == "done", timeout=30, what="the top-up done")
    shots.append(ui.screenshot(out / "topup-done-zh.png"))
    kiosk.post("/v1/session/end")
    admin.post("/v1/sim/remove")
    admin.post("/v1/sim/tap", {"card_no": DEMO_CARD})
    ui.wait_for(lambda v: v["screen"] == "card" and v.get("central") == "up"
                and "¥136.50" in v["texts"], what="the card screen after the top-up")
    kiosk.post("/v1/language", {"language": "en"})
    kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    ui.wait_for(lambda v: v.get("session_step") == "found" and v["language"] == "en",
                what="the water bill")
    shots.append(ui.screenshot(out / "bill-found-en.png"))
    kiosk.post("/v1/bills/pay", {})
    ui.wait_for(lambda v: v.get("session_step") == "done", timeout=30, what="the bill paid")
    shots.append(ui.screenshot(out / "bill-done-en.png"))
    kiosk.post("/v1/session/end")
    admin.post("/v1/sim/remove")
    receipts = sorted((stack.workdir / "state" / "receipts").glob("*.png"))
    for png in receipts:
        shutil.copy(png, out / f"receipt-{png.name}")
    for path in shots + [out / f"receipt-{p.name}" for p in receipts]:
        sys.stdout.write(f"wrote {path}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.splitlines()[0])
    parser.add_argument("--headless", action="store_true",
                        help="scripted walk-through with screenshots, even with a display")
    parser.add_argument("--workdir", type=Path, default=Path("var/demo"))
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    headless = args.headless or not os.environ.get("DISPLAY")
    if headless and not os.environ.get("DISPLAY"):
        # Re-run this script inside a virtual X server.
        cmd = [*XVFB, sys.executable, "-m", "deploy.demo", "--headless",
               "--workdir", str(args.workdir), "--out", str(args.out)]
        return subprocess.call(cmd)
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = args.workdir
    if headless:
        # The walk-through pays a bill and changes balances: it starts from a fresh
        # seed every time, in its own directory (the interactive demo keeps its state).
        workdir = args.workdir / "walkthrough"
        shutil.rmtree(workdir, ignore_errors=True)
        for old in args.out.glob("receipt-*.png"):
            old.unlink()
    with Stack(workdir) as stack:
        stack.seed()
        url = stack.start_central()
        stack.start_kioskd()
        logger.info("central at %s, kioskd sockets in %s", url, stack.workdir / "run")
        return _scripted(stack, args.out.resolve()) if headless else _interactive(stack)


if __name__ == "__main__":
    sys.exit(main())
