"""Shared by the cash tests: fast settings, a recording listener, small helpers."""

from __future__ import annotations

import queue
import time
from dataclasses import replace

from config.schema import CashSection
from hardware.cash import CashAcceptor, CashListener
from hardware.cash.events import (
    CashEvent,
    Fault,
    InhibitChanged,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)
from hardware.cash.sim import SimTiming

# Short timings keep the suite fast; small pulse counts too (¥100 is 6 pulses).
FAST_TABLE = {"1": 100, "2": 500, "3": 1000, "4": 2000, "5": 5000, "6": 10000}
FAST = CashSection(
    pulse_pin=17, inhibit_pin=27, jam_pin=22, cashbox_pin=23,
    pulse_min_ms=20, pulse_max_ms=60, train_gap_ms=100, pulse_table=FAST_TABLE,
)
FAST_SIM = SimTiming(pulse_ms=30, space_ms=30, inhibit_wait_s=2.0)


class Recorder(CashListener):
    """Keeps every event in order; tests wait for the ones they expect."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[CashEvent] = queue.SimpleQueue()
        self.seen: list[CashEvent] = []

    def on_note_stacked(self, event: NoteStacked) -> None:
        self.events.put(event)

    def on_unrecognised(self, event: UnrecognisedCash) -> None:
        self.events.put(event)

    def on_noise(self, event: Noise) -> None:
        self.events.put(event)

    def on_fault(self, event: Fault) -> None:
        self.events.put(event)

    def on_inhibit_changed(self, event: InhibitChanged) -> None:
        self.events.put(event)

    def drain(self) -> list[CashEvent]:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return self.seen

    def cash(self) -> list[NoteStacked | UnrecognisedCash]:
        return [e for e in self.drain() if isinstance(e, NoteStacked | UnrecognisedCash)]

    def wait_for_cash(self, n: int, timeout: float = 10.0) -> list[NoteStacked | UnrecognisedCash]:
        deadline = time.monotonic() + timeout
        while len(self.cash()) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.cash()


def open_for_cash(acceptor: CashAcceptor, headroom_fen: int = 100_000) -> None:
    acceptor.update(ready=True, online=True, session_accepting=True, headroom_fen=headroom_fen)


def settings(**changes: object) -> CashSection:
    return replace(FAST, **changes)  # type: ignore[arg-type]
