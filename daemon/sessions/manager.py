"""The session manager: what the local API's intents and the card flow call.

One session at a time. The kiosk.sock intents land here and go to the part
that owns them (:mod:`~daemon.sessions.topups`, :mod:`~daemon.sessions.bills`,
:mod:`~daemon.sessions.pending`); orders run on one worker thread
(:mod:`~daemon.sessions.runner`); every step change goes through
:meth:`Machine.move <daemon.sessions.machine.Machine.move>`. This module keeps
what spans them: the card flow's hooks, the idle timeouts (:meth:`Sessions.tick`)
and ending a session.

Idle timeouts, each counted from the step's start (or the last note or tap)::

    inserting, idle_s        → finish (cash in) or cancel (none)
    tap_card, card_wait_s    → holding → the load held with a voucher, a bill given up
    a result, or a bill found, idle_s → end: back to the attract screen
    the card screen with no session, idle_s → the attract screen

A touch on the screen (:meth:`Sessions.still_here`, the UI's keep-alive) starts
the idle time again, except while the card or the money is awaited.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from config.schema import LimitsSection
from daemon.cardflow import CentralCard
from daemon.cashlog import CashRecorder
from daemon.errors import Refused
from daemon.journal import Journal
from daemon.maintwindow import CentralWindows
from daemon.orders import OrderStore
from daemon.printing import Printing
from daemon.sessions.bills import Bills
from daemon.sessions.machine import CARD_CHECK_WAIT_S, Machine
from daemon.sessions.maintenance import Maintenance
from daemon.sessions.pending import PendingLoads
from daemon.sessions.ports import Acceptor, CardOnReader, CentralApi, Loads, Purchases, Worker
from daemon.sessions.runner import OrderRunner
from daemon.sessions.steps import ENDS, Step
from daemon.sessions.topups import TopUps
from daemon.state import KioskState
from protocol.central import Utility
from protocol.local import Notice, SessionView

__all__ = ["Sessions"]

logger = logging.getLogger(__name__)

# The steps whose idle time a touch on the screen starts again (:meth:`Sessions.still_here`).
_WAITS_ON_PERSON = frozenset({Step.INSERTING, Step.FOUND})


class Sessions:
    """The session manager; also CardFlow's :class:`~daemon.cardflow.SessionHooks`.

    ``worker`` runs the money work (default: one thread); ``clock`` is the
    monotonic clock the idle times use; ``tick_every_s`` None starts no ticker
    (the caller calls :meth:`tick`)."""

    def __init__(self, *, state: KioskState, journal: Journal, store: OrderStore,
                 loads: Loads, purchases: Purchases, acceptor: Acceptor,
                 recorder: CashRecorder, printing: Printing, central: CentralApi,
                 limits: LimitsSection, pin_threshold_fen: int, card_wait_s: float = 30.0,
                 idle_s: float = 60.0, pin_block: Callable[[str, str], str] | None = None,
                 report: Callable[[str, dict[str, Any]], object] | None = None,
                 worker: Worker | None = None, clock: Callable[[], float] = time.monotonic,
                 tick_every_s: float | None = 1.0, hotline: str = "",
                 check_wait_s: float = CARD_CHECK_WAIT_S) -> None:
        report = report or (lambda kind, data: None)
        self._worker = worker or ThreadPoolExecutor(1, thread_name_prefix="session")
        self._m = Machine(state, journal, store, self._worker,
                          pin_threshold_fen=pin_threshold_fen, clock=clock, hotline=hotline,
                          check_wait_s=check_wait_s)
        self._runner = OrderRunner(self._m, loads=loads, purchases=purchases,
                                   printing=printing, report=report)
        self._topups = TopUps(self._m, self._runner, acceptor=acceptor, recorder=recorder,
                              limits=limits)
        self._bills = Bills(self._m, self._runner, central=central, purchases=purchases,
                            pin_threshold_fen=pin_threshold_fen, pin_block=pin_block)
        self._pending = PendingLoads(self._m, self._runner, central=central)
        self._maintenance = Maintenance(self._m, report)
        self._card_wait_s = card_wait_s
        self._idle_s = idle_s
        self._seen_seq, self._seen_at = -1, clock()
        self._stop = threading.Event()
        if tick_every_s is not None:
            threading.Thread(target=self._tick_loop, args=(tick_every_s,), name="session-idle",
                             daemon=True).start()

    # -- the intents ------------------------------------------------------------------
    def start_topup(self) -> SessionView:
        return self._topups.start()

    def finish_topup(self) -> SessionView:
        return self._topups.finish()

    def cancel_topup(self) -> None:
        self._topups.cancel()

    def complete_pending(self, which: tuple[str, int] | None = None,
                         source: str = "pending") -> SessionView:
        return self._pending.complete(which, source)

    def transfer(self) -> SessionView:
        return self._pending.transfer()

    def find_bill(self, utility: Utility, account_no: str) -> SessionView:
        return self._bills.find(utility, account_no)

    def pay_bill(self, pin: str | None) -> SessionView:
        return self._bills.pay(pin)

    def card_on_screen(self, *, need_active: bool = True) -> tuple[CardOnReader, CentralCard]:
        """The card on screen and its central view, for services that move no cash."""
        return self._m.card_on_screen(need_active=need_active)

    def maintenance(self, message: str | None) -> None:
        """Maintenance on (with the operator's message) or off. A session in progress
        finishes; no new one starts; the screen says why."""
        self._maintenance.set(message)

    def central_maintenance(self, windows: CentralWindows) -> None:
        """The central maintenance windows, from a heartbeat answer; :meth:`tick`
        starts and ends them on time between answers."""
        self._maintenance.central_windows(windows)

    def end(self) -> None:
        """The cardholder is done (or walked away): back to the attract screen."""
        m = self._m
        with m.lock:
            session = m.current
            if session is not None and session.step not in ENDS and session.step != Step.FOUND:
                raise Refused("session_busy", "A transaction is still in progress.",
                              "业务尚未完成。")
            if session is not None and session.step == Step.FOUND:
                m.move(session, Step.CANCELLED)  # the bill was left unpaid
            m.current = None
            m.state.reset()

    def still_here(self) -> None:
        """The cardholder is using the screen where the daemon cannot see it (typing on a
        keypad, picking a period): the idle time of the card screen, or of a session
        step that waits on them, starts again. Waiting for the card to come back, or
        for money to move, is not theirs to hold off."""
        m = self._m
        with m.lock:
            now = m.clock()
            self._seen_at = now
            session = m.current
            if session is not None and (session.step in _WAITS_ON_PERSON
                                        or session.step in ENDS):
                session.last_activity = now

    # -- CardFlow hooks ---------------------------------------------------------------
    def busy(self) -> bool:
        with self._m.lock:
            return self._m.current is not None

    def card_checking(self, card: CardOnReader) -> None:
        self._m.card_checking(card)

    def card_shown(self, card: CardOnReader, central: CentralCard | None) -> None:
        self._m.card_read(card, central)
        # A lost answer from an earlier order for this card is settled now, from its log.
        for order in self._m.store.unfinished():
            if order.card_no == card.card_no and order.state in ("credit_sent", "debit_sent"):
                self._m.submit(self._runner.settle, order.id)

    def tapped(self, card: CardOnReader) -> None:
        m = self._m
        with m.lock:
            session = m.current
            if session is None:
                return
            session.last_activity = m.clock()
            if card.card_no != session.card_no:
                m.state.update(notice=Notice(
                    "another_card", "Please finish the current transaction with the first card.",
                    "请先用原来的卡完成当前业务。"))
                return
            waiting = session.step == Step.TAP_CARD
        if waiting:
            m.submit(self._runner.run, session.id)

    # -- idle -------------------------------------------------------------------------
    def _tick_loop(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            try:
                self.tick(self._m.clock())
            except Exception:
                logger.exception("session idle check failed")

    def tick(self, now: float) -> None:
        """Idle timeouts: a session left alone is finished, never dropped; a card
        screen nobody touches goes back to the attract screen. A central maintenance
        window starts or ends when its time comes."""
        self._maintenance.follow(now)
        m = self._m
        with m.lock:
            session = m.current
            if session is None:
                self._idle_screen(now)
                return
            if now - session.last_activity < self._idle_s:
                return
            step = session.step
        if step == Step.INSERTING:
            logger.info("top-up %s idle: finishing", session.id)
            if m.inserted(session.id):
                self._topups.finish()
            else:
                self._topups.cancel()
        elif step == Step.TAP_CARD and now - session.last_activity >= self._card_wait_s:
            logger.info("session %s: the card did not come back", session.id)
            with m.lock:
                if session.step != Step.TAP_CARD:
                    return
                m.move(session, Step.HOLDING)  # once: the ticker comes back every second
            m.submit(self._runner.hold, session, "walked_away")
        elif step in ENDS or step == Step.FOUND:  # a result, or a bill left unpaid
            self.end()

    def _idle_screen(self, now: float) -> None:
        snap = self._m.state.snapshot()
        if snap.seq != self._seen_seq:
            self._seen_seq, self._seen_at = snap.seq, now
        elif snap.screen in ("card", "card_error") and now - self._seen_at >= self._idle_s:
            logger.info("%s screen idle for %.0f s: back to the start", snap.screen,
                        now - self._seen_at)
            self._m.state.reset()

    def close(self) -> None:
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=False)
