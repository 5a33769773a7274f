"""What the e2e tests share (kept in deploy/sessionkit.py, which the demo and the
reliability benchmarks use too)."""

import time
from pathlib import Path

from deploy.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance
from deploy.stack import Stack

__all__ = ["CARD", "QUICK_NOTES", "central_sql", "previews", "tap", "wait_state",
           "wallet_balance"]


def previews(stack: Stack, kind: str, timeout: float = 10) -> list[Path]:
    """The simulated printer's PNG previews of ``kind`` receipts, once there is one: a
    session's preview is drawn after its "done" answer (daemon/printing.py)."""
    deadline = time.monotonic() + timeout
    while True:
        found = sorted((stack.workdir / "state" / "receipts").glob(f"*-{kind}.png"))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)

# Fewer pulses per note than the default table (1 pulse a yuan), so that ¥100
# notes go in quickly; the notes and their values are the same.
QUICK_NOTES = ('\n[cash]\npulse_table = { "1" = 100, "2" = 500, "3" = 1000, "4" = 2000,'
               ' "5" = 5000, "6" = 10000 }\n')
