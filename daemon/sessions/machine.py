"""The session state machine's core: the one session on screen, the card it is
for, and :meth:`Machine.move` — the only place a step changes.

A session is journaled as open (``sessions`` table) before anything happens
in it, and its end when it enters a result step (:data:`steps.ENDS`); every
move is logged. The parts of :mod:`daemon.sessions` share one Machine and
its lock; the screen follows each move through :class:`KioskState`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from msgspec.structs import replace

from daemon.cardflow import CentralCard
from daemon.clockskew import MAX_SKEW_S
from daemon.errors import CardNotUsable, Refused, Unavailable
from daemon.journal import Journal
from daemon.orders import OrderStore
from daemon.sessions.ports import CardOnReader, Worker
from daemon.sessions.steps import ENDS, FIRST, IllegalMove, Kind, Session, Step, check_move
from daemon.state import KioskState
from daemon.topup import Limits, headroom
from daemon.vouchers import session_notes
from protocol.errors import LOCAL
from protocol.local import SessionView
from protocol.masking import mask_card_no

__all__ = ["CARD_CHECK_WAIT_S", "Machine", "clock_skewed", "offline", "owes_overdraft"]

logger = logging.getLogger(__name__)

#: How long a service asked for while the card screen still says "checking with the
#: card centre" waits for the centre's answer before it is refused ``card_checking``
#: (the look-up normally answers well within this; docs/decisions.md).
CARD_CHECK_WAIT_S = 3.0


class Machine:
    """The current session and its moves, under one lock shared by the session parts."""

    def __init__(self, state: KioskState, journal: Journal, store: OrderStore, worker: Worker,
                 *, pin_threshold_fen: int, clock: Callable[[], float] = time.monotonic,
                 hotline: str = "", check_wait_s: float = CARD_CHECK_WAIT_S) -> None:
        self.state = state
        self.journal = journal
        self.store = store
        self.clock = clock
        self.lock = threading.RLock()
        self.current: Session | None = None
        self._worker = worker
        self._pin_threshold = pin_threshold_fen
        self.hotline = hotline  # named by every refusal of a blocked card
        self._card: CardOnReader | None = None  # the last card read, and its central view
        self._central_card: CentralCard | None = None
        # The chip's half of the tap is on screen, the centre's not yet (card_checking).
        self._checking = False
        self._check_wait_s = check_wait_s
        self._card_seen = threading.Condition(self.lock)

    # -- sessions ---------------------------------------------------------------------
    def open(self, kind: Kind, card: CardOnReader, *, limits: Limits | None = None,
             bill: dict[str, Any] | None = None) -> Session:
        """A new session for ``card`` in its kind's first step, journaled as open
        before anything happens in it (the caller makes it current when it is set up)."""
        session = Session(f"S{uuid.uuid4().hex[:12].upper()}", kind, card.card_no,
                          card.balance_fen, FIRST[kind], limits=limits, bill=bill,
                          last_activity=self.clock(), aid=getattr(card, "aid", None))
        with self.journal.transaction() as db:
            db.execute("INSERT INTO sessions (id, kind, card_no, aid, state, started_at)"
                       " VALUES (?, ?, ?, ?, 'open', ?)",
                       (session.id, kind.value, card.card_no, session.aid, time.time()))
        logger.info("session %s (%s) opened in %s", session.id, kind, session.step)
        return session

    def move(self, session: Session, to: Step) -> None:
        """The one way a step changes: checked against the table (IllegalMove, logged,
        for a move it does not list), logged, and an end journaled (once). Each step's
        idle time counts from entering it; a cancelled session leaves the screen now."""
        try:
            check_move(session.kind, session.step, to)
        except IllegalMove:
            logger.error("session %s: refused move %s -> %s", session.id, session.step, to)
            raise
        logger.info("session %s (%s): %s -> %s", session.id, session.kind, session.step, to)
        session.step = to
        session.last_activity = self.clock()
        if to in ENDS and not session.closed:
            session.closed = True
            with self.journal.transaction() as db:
                db.execute("UPDATE sessions SET state = ?, ended_at = ? WHERE id = ?",
                           (ENDS[to], time.time(), session.id))
        if to == Step.CANCELLED and self.current is session:
            self.current = None

    def require(self, kind: Kind, step: Step) -> Session:
        """The current session, if it is of ``kind`` and waits in ``step``."""
        session = self.current
        if session is None or session.kind != kind or session.step != step:
            raise Refused("wrong_step", f"No {kind} session waiting for that.",
                          "当前步骤不能执行该操作。")
        return session

    def require_idle(self) -> None:
        if self.current is not None:
            raise Refused("session_busy", "Another transaction is in progress.",
                          "当前有未完成的业务。")

    def submit(self, job: Callable[..., object], *args: Any) -> None:
        """Run ``job(*args)`` on the session worker; a failure is logged, never lost."""
        def run() -> None:
            try:
                job(*args)
            except Exception:
                logger.exception("session job %s failed", getattr(job, "__name__", job))

        self._worker.submit(run)

    # -- the screen -------------------------------------------------------------------
    def inserted(self, session_id: str) -> int:
        """The cash journaled for the session: the only total that counts."""
        rows = self.journal.query("SELECT COALESCE(SUM(value_fen), 0) AS fen FROM cash"
                                  " WHERE session_id = ? AND kind = 'note'", (session_id,))
        return int(rows[0]["fen"])

    def show(self, session: Session, **extra: Any) -> SessionView:
        """Put the session on screen (and clear any notice); returns what was shown."""
        topup = session.kind == Kind.TOPUP
        inserted = self.inserted(session.id) if topup else 0
        bill = session.bill
        amount = inserted if topup else (
            int(bill["amount_due_fen"]) if bill else
            (self.store.get(session.order_id).amount_fen if session.order_id else 0))
        view = SessionView(
            session.kind.value, session.step.value, mask_card_no(session.printed_no),
            amount_fen=amount,
            headroom_fen=(headroom(session.limits, session.balance_fen, inserted)
                          if session.limits else None),
            limits=session.limits.to_json() if session.limits else {},
            notes=[[v, n] for v, n in session_notes(self.journal, session.id)] if topup else [],
            reference=session.order_id, bill=bill,
            pin_required=bool(bill and bill["amount_due_fen"] > self._pin_threshold))
        view = replace(view, **extra)
        self.state.update(screen=view.kind, session=view, notice=None)
        return view

    # -- the card on screen -----------------------------------------------------------
    def card_checking(self, card: CardOnReader) -> None:
        """``card`` is on screen from the chip's answers; the centre's are coming."""
        with self.lock:
            self._card, self._central_card, self._checking = card, None, True

    def card_read(self, card: CardOnReader, central: CentralCard | None) -> None:
        with self.lock:
            self._card, self._central_card, self._checking = card, central, False
            self._card_seen.notify_all()

    def card_for_money(self, *, repayment: bool = False) -> tuple[CardOnReader, CentralCard]:
        """The card on screen, if a money service may start for it now (``repayment``: a
        cash top-up, which a card blacklisted for an overdraft may take to repay it)."""
        snap = self.state.snapshot()
        if snap.maintenance:
            raise Unavailable("maintenance", "The kiosk is being serviced.",
                              "终端维护中，暂停服务。", details={"message": snap.maintenance})
        if snap.clock == "skewed":  # even if the central side still answers
            raise clock_skewed()
        card, central = self._card_on_screen()
        if central.status == "active" or (repayment and owes_overdraft(central)):
            return card, central
        reason, owed = central.blacklist or (None, 0)
        raise CardNotUsable(central.status, reason=reason, owed_fen=owed, hotline=self.hotline)

    def card_on_screen(self, *, need_active: bool = True) -> tuple[CardOnReader, CentralCard]:
        """The card the cardholder tapped and its central view, for services that move
        no cash (history, statements, payment password, points)."""
        with self.lock:
            self.require_idle()
            return self.card_for_money() if need_active else self._card_on_screen()

    def _card_on_screen(self) -> tuple[CardOnReader, CentralCard]:
        snap = self.state.snapshot()
        if self._checking and snap.screen == "card":
            # Pressed while the screen says "checking with the card centre": the
            # cardholder means this card, so wait for the centre's half (the lock is
            # let go meanwhile), then go on as if pressed a moment later.
            with self.lock:
                if not self._card_seen.wait_for(lambda: not self._checking,
                                                self._check_wait_s):
                    raise Refused("card_checking", "Still checking your card with the card "
                                  "centre. One moment, then try again.",
                                  "正在向一卡通中心核验您的卡，请稍候再试。")
                self.require_idle()  # another request may have started one meanwhile
            snap = self.state.snapshot()
        if snap.screen != "card" or self._card is None:
            raise Refused("no_card", "Tap your card first.", "请先刷卡。")
        if snap.card is not None and snap.card.issuer_city is not None \
                and self._central_card is None:  # not offline: the centre does not know it
            city = snap.card.issuer_city
            raise Refused("other_city_card",
                          f"This card of {city['name']} can show its balance and history "
                          "here; other services at its own city's outlets.",
                          f"{city['name_zh']}的卡在本机可查询余额和交易记录，其他业务请到发卡城市办理。")
        if snap.central != "up" or self._central_card is None:
            raise clock_skewed() if snap.clock == "skewed" else offline()
        return self._card, self._central_card


def owes_overdraft(central: CentralCard) -> int:
    """What a card blacklisted for an overdraft owes (0 for any other card)."""
    if central.status == "blacklisted" and central.blacklist is not None \
            and central.blacklist[0] == "overdraft":
        return central.blacklist[1]
    return 0


def offline() -> Unavailable:
    """The card centre cannot be reached: no money moves, the card can still be read."""
    return Unavailable("central_offline",
                       "Top-up and payments are unavailable right now: no connection to the "
                       "card centre. Your card can still be read.",
                       "暂时无法连接一卡通中心，充值和缴费暂停；仍可查询卡内余额。")


def clock_skewed() -> Unavailable:
    """This kiosk's clock is past the signature window against the central side's
    (:mod:`daemon.clockskew`): no money moves until it is back."""
    entry = LOCAL["clock_skew"]
    return Unavailable("clock_skew", entry.message, entry.message_zh,
                       details={"window_s": MAX_SKEW_S})
