"""``make demo``: the whole kiosk on this machine.

With a display: central + ``kioskd --simulate`` + the UI, until Ctrl-C; tap
virtual cards with ``kioskctl sim tap`` (the README shows how). Without one
(or with ``--headless``): first the same processes under Xvfb, a scripted
walk-through, and screenshots plus receipt images in ``demo-out/``; then
central + kioskd stay up in ``var/demo/`` (no UI: there is no screen) until
Ctrl-C, so the README's ``kioskctl`` steps work. ``--exit`` (or ``DEMO_EXIT=1``)
ends after the walk-through instead — for tests and CI.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from central.seed import DEMO_PIN, load_demo_cards
from deploy.screenwalk import walk
from deploy.sessionkit import CARD as DEMO_CARD
from deploy.sessionkit import wallet_balance
from deploy.stack import Stack
from deploy.uiprobe import TouchProbe
from protocol.cardno import printed_card_no
from protocol.money import format_fen

logger = logging.getLogger(__name__)

XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]


def demo_cards(stack: Stack) -> list[dict[str, object]]:
    """The virtual cards as a cardholder would need them: number, what the central side
    says of each, its balance on the chip, the ID digits and whether the payment
    password (:data:`central.seed.DEMO_PIN`) is set — read from the seeded database."""
    stack.admin_client.get("/v1/sim/cards")  # the wallet file is written on first use
    numbers = [card.card_no for card in load_demo_cards()]
    conn = sqlite3.connect(stack.db)
    try:
        rows = conn.execute("SELECT card_no, aid, card_type, status, id_last6,"
                            " pin_hash IS NOT NULL"
                            f" FROM cards WHERE card_no IN ({', '.join('?' * len(numbers))})"
                            " ORDER BY card_no", numbers).fetchall()
    finally:
        conn.close()
    return [{"card_no": no, "printed_no": printed_card_no(no, aid), "card_type": kind,
             "status": status, "id_last6": id6, "pin": DEMO_PIN if has_pin else None,
             "balance_fen": wallet_balance(stack, no)}
            for no, aid, kind, status, id6, has_pin in rows]


def _short(path: Path) -> Path:
    """``path`` relative to the current directory when it is under it (as the README
    writes ``var/demo/...``)."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def _how_to(stack: Stack, *, ui: bool) -> str:
    cfg, sock = _short(stack.config), _short(stack.workdir / "run" / "kiosk.sock")
    lines = ["", "The simulated kiosk keeps running " + (
        "(central, kioskd --simulate and the UI)" if ui else
        "(central and kioskd --simulate; no UI: there is no display)")
        + f", its state in {_short(stack.workdir)}/.",
        "Press Ctrl-C here to stop it. In another terminal:",
        f"  .venv/bin/kioskctl --config {cfg} sim cards",
        f"  .venv/bin/kioskctl --config {cfg} sim tap {DEMO_CARD}",
        f"  .venv/bin/kioskctl --config {cfg} status",
        f"  curl -s --unix-socket {sock} localhost/v1/state    # what the screen shows",
        "",
        "Demo cards (the serial to tap, the number printed on the card; password = the"
        " payment password; ID = the last 6 of the holder's ID, for setting a password or"
        " reporting a loss):"]
    for c in demo_cards(stack):
        pin = f"password {c['pin']}" if c["pin"] else "no password yet (set one: /v1/pin/set)"
        lines.append(f"  {c['card_no']}  {c['printed_no']!s:<20}  {c['card_type']:<8} "
                     f"{c['status']:<11} "
                     f"{format_fen(int(str(c['balance_fen']))):>8}  ID {c['id_last6']}  {pin}")
    lines.append("README.md, 'Tapping a virtual card during the demo', has more to try.")
    return "\n".join(lines) + "\n"


def _stay_up(stack: Stack, *, ui: bool) -> int:
    """Keep the processes running until Ctrl-C (or one of them ends)."""
    if ui:
        stack.start_ui()
    sys.stdout.write(_how_to(stack, ui=ui))
    sys.stdout.flush()
    try:
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        sys.stdout.write("stopping the simulated kiosk\n")
        return 0
    ended = [name for name, p in stack.procs.items() if p.poll() is not None]
    sys.stdout.write(f"{', '.join(ended)} ended; see the logs in {stack.workdir}\n")
    return 1


def _run_stack(workdir: Path, body: Callable[[Stack], int]) -> int:
    with Stack(workdir, detach=True) as stack:
        stack.seed()
        url = stack.start_central()
        stack.start_kioskd()
        logger.info("central at %s, kioskd sockets in %s", url, stack.workdir / "run")
        return body(stack)


def _scripted(stack: Stack, out: Path) -> int:
    probe_dir = stack.workdir / "ui-probe"
    shutil.rmtree(probe_dir, ignore_errors=True)
    probe_dir.mkdir()
    ui = TouchProbe(stack.start_ui(probe_dir), probe_dir)
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
                           and v.get("card_central") == "ok", what="the card screen")
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
    ui.wait_for(lambda v: v["screen"] == "card" and v.get("card_central") == "ok"
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
    # Every screen, in both languages, by touch (deploy/screenwalk.py).
    shots += walk(stack, ui, out)[0]
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
    parser.add_argument("--exit", action="store_true",
                        default=os.environ.get("DEMO_EXIT", "") not in ("", "0"),
                        help="end after the walk-through instead of keeping the kiosk "
                        "running (also DEMO_EXIT=1)")
    parser.add_argument("--workdir", type=Path, default=Path("var/demo"))
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    args = parser.parse_args(argv)
    # force: python-escpos (imported with the receipt text helpers) configures logging
    # when imported, which would silence the walk-through's INFO lines.
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", force=True)
    if not args.headless and os.environ.get("DISPLAY"):
        return _run_stack(args.workdir, lambda stack: _stay_up(stack, ui=True))
    if os.environ.get("DISPLAY"):
        status = _walkthrough(args.workdir, args.out)
    else:
        # The walk-through runs inside a virtual X server; what stays up needs none.
        try:
            status = subprocess.call([*XVFB, sys.executable, "-m", "deploy.demo", "--headless",
                                      "--exit", "--workdir", str(args.workdir),
                                      "--out", str(args.out)])
        except KeyboardInterrupt:
            return 130
    if status != 0 or args.exit:
        return status
    return _run_stack(args.workdir, lambda stack: _stay_up(stack, ui=False))


def _walkthrough(workdir: Path, out: Path) -> int:
    """The scripted walk-through. It pays a bill and changes balances, so it starts
    from a fresh seed every time in its own directory (``var/demo`` keeps its state)."""
    out.mkdir(parents=True, exist_ok=True)
    workdir = workdir / "walkthrough"
    shutil.rmtree(workdir, ignore_errors=True)
    for old in out.glob("receipt-*.png"):
        old.unlink()
    return _run_stack(workdir, lambda stack: _scripted(stack, out.resolve()))


if __name__ == "__main__":
    sys.exit(main())
