"""What a cardholder does at a simulated kiosk, over kiosk.sock — tap, top up with
notes, pay a utility bill, finish a pending load — with the simulator's controls
on admin.sock (put the card down, insert a note). Shared by the reliability
benchmarks (bench/crashloop.py, bench/soak.py).

Every call may meet a daemon that was just killed: :class:`DaemonUnavailable`
(or a :class:`LocalApiError`, or a wait that times out) goes to the caller.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from central.seed import DEMO_PIN
from config.schema import CashSection
from deploy.sessionkit import central_sql, wait_state
from deploy.stack import Stack
from hardware.cash.sim import SimTiming
from protocol.local import StateSnapshot
from protocol.localclient import LocalApiError

__all__ = ["CASH_NOTES", "Cardholder", "Cash", "new_bill", "note_seconds", "plan_notes"]

# ¥1 coin, ¥5, ¥10, ¥20, ¥50 (a ¥100 note is 100 pulses, about 7 s: left out for pace)
CASH_NOTES = (100, 500, 1000, 2000, 5000)
ENDED = ("done", "pending", "failed", "cancelled")


@dataclass
class Cash:
    """Cash the harness pushed into the acceptor: every note it started inserting,
    and those the daemon answered were journaled."""

    sent_fen: int = 0
    acked_fen: int = 0


class Cardholder:
    """One person at the kiosk of ``stack``."""

    def __init__(self, stack: Stack, cash: Cash | None = None, *, timeout: float = 30) -> None:
        self.stack = stack
        self.cash = cash or Cash()
        self.timeout = timeout

    def tap(self, card_no: str) -> StateSnapshot:
        """Put the card on the reader (afresh) and wait for its card screen."""
        admin = self.stack.admin_client
        admin.post("/v1/sim/remove")
        admin.post("/v1/sim/tap", {"card_no": card_no})
        return wait_state(self.stack.kiosk_client,
                          lambda s: s.screen == "card" and s.card is not None
                          and s.card.central == "ok", "the card screen", self.timeout)

    def leave(self) -> None:
        """Back to the start and the card off the reader (a session that is still
        busy is left to finish: the daemon says so with a 409)."""
        try:
            self.stack.kiosk_client.post("/v1/session/end")
        except LocalApiError as exc:
            if exc.code != "session_busy":
                raise
        self.stack.admin_client.post("/v1/sim/remove")

    def _until_ended(self, what: str) -> StateSnapshot:
        return wait_state(self.stack.kiosk_client,
                          lambda s: s.session is not None and s.session.step in ENDED,
                          what, self.timeout)

    def top_up(self, card_no: str, notes: list[int]) -> str:
        """Tap, start a top-up, insert ``notes`` (fen; those beyond the headroom the
        kiosk shows are kept back), finish; the session's last step."""
        self.tap(card_no)
        kiosk = self.stack.kiosk_client
        room = int(kiosk.post("/v1/topup/start")["headroom_fen"])
        for fen in notes:
            if fen > room:
                continue
            room -= fen
            self.cash.sent_fen += fen
            answer = self.stack.admin_client.post("/v1/sim/insert", {"amount_fen": fen},
                                                  timeout=60)
            self.cash.acked_fen += sum(int(row["value_fen"]) for row in answer["journaled"]
                                       if row["kind"] == "note")
        try:
            kiosk.post("/v1/topup/finish")
        except LocalApiError as exc:
            if exc.code != "wrong_step":  # the headroom was reached: it finished by itself
                raise
        step = self._until_ended("the top-up ended").session.step  # type: ignore[union-attr]
        self.leave()
        return step

    def pay_bill(self, card_no: str, account_no: str, amount_fen: int,
                 threshold_fen: int = 20000) -> str:
        """Tap, look the bill up, pay it (with the payment password above the threshold)."""
        self.tap(card_no)
        kiosk = self.stack.kiosk_client
        kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": account_no})
        kiosk.post("/v1/bills/pay", {"pin": DEMO_PIN} if amount_fen > threshold_fen else {})
        step = self._until_ended("the bill payment ended").session.step  # type: ignore[union-attr]
        self.leave()
        return step

    def complete_pending(self, card_no: str) -> str:
        """Tap and finish the first load the central side holds for the card."""
        snap = self.tap(card_no)
        if not (snap.card and snap.card.pending_load_fen):
            self.leave()
            return "none"
        self.stack.kiosk_client.post("/v1/pending-load/complete")
        step = self._until_ended("the pending load ended").session.step  # type: ignore[union-attr]
        self.leave()
        return step


def plan_notes(room: int, count: int, rng: random.Random,
               choice: tuple[int, ...] = CASH_NOTES) -> list[int]:
    """Up to ``count`` notes drawn from ``choice`` that together fit ``room`` fen."""
    notes: list[int] = []
    for _ in range(count):
        fits = [fen for fen in choice if fen <= room]
        if not fits:
            break
        notes.append(rng.choice(fits))
        room -= notes[-1]
    return notes


def note_seconds(notes: list[int]) -> float:
    """How long the simulated acceptor takes to pulse ``notes`` with the default
    settings: each pulse and space, and the gap that ends the train. (Its quiet
    time between two notes mostly passes while the next request is on its way.)"""
    cash, timing = CashSection(), SimTiming()
    pulses = {fen: int(count) for count, fen in cash.pulse_table.items()}
    gap_s = cash.train_gap_ms / 1000
    return sum(pulses[fen] * (timing.pulse_ms + timing.space_ms) / 1000 + gap_s
               for fen in notes)


def new_bill(stack: Stack, amount_fen: int, rng: random.Random) -> str:
    """An unpaid water bill at the central side for a new account; its account number."""
    account_no = f"9{rng.randrange(10**10):010d}"
    now = int(time.time())
    central_sql(stack, "INSERT INTO bills VALUES (?, 'water', ?, 'Shenzhen Water',"
                " '深圳市水务集团', '测试', '2026-01', ?, '2099-12-31', 'unpaid', NULL, NULL)",
                f"BWBENCH{account_no}{now}", account_no, amount_fen)
    return account_no
