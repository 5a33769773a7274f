"""Top-up with cash: limits before the first note, the journal's total after each.

Cash is journaled by :class:`~daemon.cashlog.CashRecorder` with the session's
id before this module hears of it, and the amount loaded is always the
journal's sum for the session, never a running total in memory::

    start (limits shown, acceptor enabled up to the headroom)
      → notes → finish (or the headroom reached, or idle with cash in)
      → acceptor inhibited, last train decoded → load order journaled
        (cash over the limits: only what fits; the rest owed, refund voucher)
      → card on the reader? loading : tap_card → the order runs (runner)
"""

from __future__ import annotations

import logging

from config.schema import LimitsSection
from daemon.cashlog import CashRecorder
from daemon.errors import KioskError, Refused
from daemon.sessions.machine import Machine, owes_overdraft
from daemon.sessions.ports import Acceptor
from daemon.sessions.runner import OrderRunner
from daemon.sessions.steps import Kind, Session, Step
from daemon.topup import Limits, headroom
from protocol.local import SessionView
from protocol.masking import mask_card_no

__all__ = ["TopUps"]

logger = logging.getLogger(__name__)


class TopUps:
    """The top-up intents, and the recorder's listener for the cash they take."""

    def __init__(self, machine: Machine, runner: OrderRunner, *, acceptor: Acceptor,
                 recorder: CashRecorder, limits: LimitsSection) -> None:
        self._m = machine
        self._runner = runner
        self._acceptor = acceptor
        self._recorder = recorder
        self._config_limits = limits
        recorder.on_cash = self._note

    def start(self) -> SessionView:
        m = self._m
        with m.lock:
            m.require_idle()
            card, central = m.card_for_money(repayment=True)
            limits = Limits.combine(self._config_limits, central.load_limits)
            room = headroom(limits, card.balance_fen, 0)
            if room < self._acceptor.smallest_fen:
                raise Refused("limit_reached",
                              "This card cannot take more today (limits or balance cap).",
                              "此卡今日已达充值上限或余额上限。",
                              details={"headroom_fen": room, **limits.to_json()})
            session = m.open(Kind.TOPUP, card, limits=limits)
            session.overdraft_fen = owes_overdraft(central)
            m.current = session
            self._recorder.session_id = session.id
            self._acceptor.update(session_accepting=True, headroom_fen=room)
            return m.show(session)

    def _note(self, session_id: str | None) -> None:
        """A note for ``session_id`` was journaled: new total, new headroom."""
        m = self._m
        with m.lock:
            session = m.current
            if session is None or session.id != session_id or session.step != Step.INSERTING:
                return
            session.last_activity = m.clock()
            assert session.limits is not None
            room = headroom(session.limits, session.balance_fen, m.inserted(session.id))
            self._acceptor.update(headroom_fen=room)
            m.show(session)
            full = room < self._acceptor.smallest_fen
        if full:
            # Not from here: this runs in the acceptor's dispatch, which finish()
            # waits on (the last train must be decoded first).
            logger.info("top-up %s reached its headroom: finishing", session_id)
            m.submit(self._finish_quietly)

    def _finish_quietly(self) -> None:
        try:
            self.finish()
        except KioskError as exc:  # the cardholder pressed "finish" first
            logger.debug("automatic finish not needed: %s", exc.code)

    def finish(self) -> SessionView:
        """No more cash: journal the load order and run it (cancelled if nothing went in)."""
        m = self._m
        with m.lock:
            session = m.require(Kind.TOPUP, Step.INSERTING)
            m.move(session, Step.FINISHING)
            self._acceptor.update(session_accepting=False)
        # The last train may still be decoding: it belongs to this session.
        self._acceptor.wait_idle(5.0)
        with m.lock:
            self._recorder.session_id = None
            amount = m.inserted(session.id)
            if amount == 0:
                m.move(session, Step.CANCELLED)
                m.state.reset()
                return SessionView("topup", session.step.value, mask_card_no(session.printed_no))
            self._journal_load(session, amount)
            m.move(session, Step.LOADING if self._runner.card_here(session) else Step.TAP_CARD)
            view = m.show(session)
        if session.owed_id is not None:
            m.submit(self._runner.refund_voucher, session)
        m.submit(self._runner.run, session.id)
        return view

    def cancel(self) -> None:
        """Leave a top-up before any cash went in."""
        m = self._m
        with m.lock:
            session = m.require(Kind.TOPUP, Step.INSERTING)
            if m.inserted(session.id) > 0:
                raise Refused("cash_inserted", "Cash is in: finish to load it.",
                              "已投入现金，请点击完成进行充值。")
            self._acceptor.update(session_accepting=False)
            self._recorder.session_id = None
            m.move(session, Step.CANCELLED)
            m.state.reset()

    def _journal_load(self, session: Session, amount: int) -> None:
        """The load order for the cash that fits within the limits, and a refused order
        for any excess, in one transaction. A pulse acceptor has one inhibit line: open,
        it takes any note it knows, so a note can go over the headroom."""
        assert session.limits is not None
        store = self._m.store
        # A card blacklisted for an overdraft: the cash repays the debt first (its own
        # order, which moves nothing on the card); only the rest is loaded.
        repaid = min(amount, session.overdraft_fen)
        amount -= repaid
        # Never 0: the top-up started only with room for the smallest piece.
        fits = min(amount, headroom(session.limits, session.balance_fen, 0))
        with self._m.journal.transaction() as db:
            if repaid:
                session.repay_id = session.order_id = store.insert(
                    db, kind="load", card_no=session.card_no, amount_fen=repaid,
                    session_id=session.id,
                    facts={"repayment": True, "owed_fen": session.overdraft_fen,
                           "balance_fen": session.balance_fen, "aid": session.aid})
            if fits:
                session.order_id = store.insert(
                    db, kind="load", card_no=session.card_no, amount_fen=fits,
                    session_id=session.id, facts={"balance_fen": session.balance_fen,
                                                  "aid": session.aid})
            if amount > fits:
                session.owed_id = store.insert(
                    db, kind="load", card_no=session.card_no, amount_fen=amount - fits,
                    session_id=session.id, facts={"limits": session.limits.to_json(),
                                                  "balance_fen": session.balance_fen,
                                                  "aid": session.aid},
                    refused={"code": "over_limit",
                             "message": "cash over the load limits, owed back"})
        if session.owed_id is not None:
            logger.warning("top-up %s: %d fen over the limits, owed back as %s",
                           session.id, amount - fits, session.owed_id)
