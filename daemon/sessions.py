"""Cardholder money sessions: top-up with cash, bill payment, finishing a pending load.

One session at a time. The kiosk.sock intents land here; the money flows run
on one worker thread and the screen follows through :class:`KioskState`.
Cash is journaled by :class:`~daemon.cashlog.CashRecorder` with this
session's id before this module hears of it, and the amount loaded is
always the journal's sum for the session, never a running total in memory.

Top-up::

    start (limits shown, acceptor enabled up to the headroom)
      → notes → finish (or cap reached, or idle with cash in)
      → acceptor inhibited, last train decoded → load order journaled
        (cash over the limits: only what fits; the rest owed, refund voucher)
      → card on the reader? load : wait for it (tap_card) → load
      → done (receipt) | pending at the central side (voucher)

Finishing a pending load drives the journal's own order for that central order
when this kiosk has one (the top-up that took the cash), so the audit credits
that top-up; a load paid for elsewhere (another kiosk, points) gets its own.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from daemon.api.http import ApiError
from daemon.cardflow import CentralCard
from daemon.cashlog import CashRecorder
from daemon.central import CentralClient, CentralError, CentralRejected, central_path
from daemon.flow import NeedsCard
from daemon.journal import Journal
from daemon.loadflow import LoadFlow
from daemon.maintwindow import CentralWindows
from daemon.orders import Order, OrderStore
from daemon.printing import Printing
from daemon.purchaseflow import PurchaseFlow
from daemon.state import KioskState
from daemon.topup import Limits, headroom
from daemon.vouchers import session_notes, voucher
from hardware.card.errors import CardError
from hardware.printer.receipts import BillPayment, TopUp
from protocol.local import Notice, SessionView
from protocol.masking import mask_card_no
from protocol.money import format_fen

__all__ = ["CENTRAL_MAINTENANCE", "Sessions"]

CENTRAL_MAINTENANCE = "系统维护中，请稍后再试 / System maintenance — please try again later"

logger = logging.getLogger(__name__)


@dataclass
class _Session:
    id: str
    kind: str  # topup | bill | pending_load
    card_no: str
    balance_fen: int
    step: str
    limits: Limits | None = None
    order_id: str | None = None
    owed_id: str | None = None  # cash over the limits, owed back (a refused order)
    bill: dict[str, Any] | None = None
    closed: bool = False
    last_activity: float = field(default_factory=time.monotonic)


class Sessions:
    """The session manager; also CardFlow's :class:`~daemon.cardflow.SessionHooks`."""

    def __init__(self, *, state: KioskState, journal: Journal, store: OrderStore,
                 loads: LoadFlow, purchases: PurchaseFlow, acceptor: Any,
                 recorder: CashRecorder, printing: Printing, central: CentralClient,
                 limits: Any, pin_threshold_fen: int, card_wait_s: float = 30.0,
                 idle_s: float = 60.0, pin_block: Callable[[str, str], str] | None = None,
                 report: Callable[[str, dict[str, Any]], object] | None = None) -> None:
        self._state = state
        self._journal = journal
        self._store = store
        self._loads = loads
        self._purchases = purchases
        self._acceptor = acceptor
        self._recorder = recorder
        self._printing = printing
        self._central = central
        self._config_limits = limits
        self._pin_threshold = pin_threshold_fen
        self._card_wait_s = card_wait_s
        self._idle_s = idle_s
        self._pin_block = pin_block
        self._report = report or (lambda kind, data: None)
        self._lock = threading.RLock()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="session")
        self._current: _Session | None = None
        self._card: Any = None  # the last card read, and its central view
        self._central_card: CentralCard | None = None
        self._seen_seq, self._seen_at = -1, time.monotonic()
        self._central_window = False
        self._windows = CentralWindows()
        self._dismissed_until = 0.0  # a central window the operator ended, until its end
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="session-idle", daemon=True)
        self._ticker.start()

    # -- CardFlow hooks -----------------------------------------------------------------
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None

    def card_shown(self, card: Any, central: CentralCard | None) -> None:
        with self._lock:
            self._card, self._central_card = card, central
        # A lost answer from an earlier order for this card is settled now, from its log.
        for order in self._store.unfinished():
            if order.card_no == card.card_no and order.state in ("credit_sent", "debit_sent"):
                self._worker.submit(self._settle, order.id)

    def tapped(self, card: Any) -> None:
        with self._lock:
            session = self._current
            if session is None:
                return
            session.last_activity = time.monotonic()
            if card.card_no != session.card_no:
                self._state.update(notice=Notice(
                    "another_card", "Please finish the current transaction with the first card.",
                    "请先用原来的卡完成当前业务。"))
                return
            waiting = session.step == "tap_card"
        if waiting:
            self._worker.submit(self._run_order, session.id)

    # -- top-up ----------------------------------------------------------------------------
    def start_topup(self) -> SessionView:
        with self._lock:
            self._require_idle()
            card, central = self._require_card()
            limits = Limits.combine(self._config_limits, central.load_limits)
            room = headroom(limits, card.balance_fen, 0)
            smallest = self._acceptor.smallest_fen
            if room < smallest:
                raise ApiError(409, "limit_reached",
                               "This card cannot take more today (limits or balance cap).",
                               "此卡今日已达充值上限或余额上限。",
                               details={"headroom_fen": room, **limits.to_json()})
            session = self._open("topup", card, "inserting", limits=limits)
            self._current = session
            self._recorder.session_id = session.id
            self._recorder.on_cash = self._note
            self._acceptor.update(session_accepting=True, headroom_fen=room)
            return self._show(session)

    def _note(self, session_id: str | None) -> None:
        """A note for ``session_id`` was journaled: new total, new headroom."""
        with self._lock:
            session = self._current
            if session is None or session.id != session_id or session.step != "inserting":
                return
            session.last_activity = time.monotonic()
            inserted = self._inserted(session.id)
            assert session.limits is not None
            room = headroom(session.limits, session.balance_fen, inserted)
            self._acceptor.update(headroom_fen=room)
            self._show(session)
            full = room < self._acceptor.smallest_fen
        if full:
            # Not from here: this runs in the acceptor's dispatch, which finish_topup
            # waits on (the last train must be decoded first).
            logger.info("top-up %s reached its headroom: finishing", session_id)
            self._worker.submit(self._finish_quietly)

    def _finish_quietly(self) -> None:
        try:
            self.finish_topup()
        except ApiError as exc:  # the cardholder pressed "finish" first
            logger.debug("automatic finish not needed: %s", exc.body["code"])

    def finish_topup(self) -> SessionView:
        with self._lock:
            session = self._require("topup", "inserting")
            session.step = "finishing"
            self._acceptor.update(session_accepting=False)
        # The last train may still be decoding: it belongs to this session.
        self._acceptor.wait_idle(5.0)
        with self._lock:
            self._recorder.session_id = None
            amount = self._inserted(session.id)
            if amount == 0:
                self._close(session, "cancelled")
                self._state.reset()
                return SessionView("topup", "cancelled", mask_card_no(session.card_no))
            self._journal_load(session, amount)
            session.step = "tap_card" if self._card_absent(session) else "loading"
            view = self._show(session)
        if session.owed_id is not None:
            self._worker.submit(self._refund_voucher, session)
        self._worker.submit(self._run_order, session.id)
        return view

    def _journal_load(self, session: _Session, amount: int) -> None:
        """The load order for the cash that fits within the limits, and a refused order
        for any excess, in one transaction. A pulse acceptor has one inhibit line: open,
        it takes any note it knows, so a note can go over the headroom."""
        assert session.limits is not None
        # Never 0: the top-up started only with room for the smallest piece.
        fits = min(amount, headroom(session.limits, session.balance_fen, 0))
        with self._journal.transaction() as db:
            session.order_id = self._store.insert(
                db, kind="load", card_no=session.card_no, amount_fen=fits,
                session_id=session.id, facts={"balance_fen": session.balance_fen})
            if amount > fits:
                session.owed_id = self._store.insert(
                    db, kind="load", card_no=session.card_no, amount_fen=amount - fits,
                    session_id=session.id, facts={"limits": session.limits.to_json(),
                                                  "balance_fen": session.balance_fen},
                    refused={"code": "over_limit",
                             "message": "cash over the load limits, owed back"})
        if session.owed_id is not None:
            logger.warning("top-up %s: %d fen over the limits, owed back as %s",
                           session.id, amount - fits, session.owed_id)

    def _refund_voucher(self, session: _Session) -> dict[str, Any]:
        assert session.owed_id is not None
        return voucher(self._printing, self._store, self._store.get(session.owed_id),
                       "over_limit", self._state.snapshot().language)

    def _refund_notice(self, session: _Session) -> None:
        """Tell the cardholder about cash over the limits, on the session's last screen."""
        if session.owed_id is None:
            return
        owed = format_fen(self._store.get(session.owed_id).amount_fen)
        self._state.update(notice=Notice(
            "over_limit",
            f"{owed} was over the card's load limit and was not loaded. Keep the refund "
            "voucher: staff will refund it.",
            f"{owed} 超出充值限额，未充入卡内。请保留退款凭证，工作人员将退还现金。"))

    def cancel_topup(self) -> None:
        with self._lock:
            session = self._require("topup", "inserting")
            if self._inserted(session.id) > 0:
                raise ApiError(409, "cash_inserted", "Cash is in: finish to load it.",
                               "已投入现金，请点击完成进行充值。")
            self._acceptor.update(session_accepting=False)
            self._recorder.session_id = None
            self._close(session, "cancelled")
            self._state.reset()

    def _inserted(self, session_id: str) -> int:
        rows = self._journal.query("SELECT COALESCE(SUM(value_fen), 0) AS fen FROM cash"
                                   " WHERE session_id = ? AND kind = 'note'", (session_id,))
        return int(rows[0]["fen"])

    def _notes(self, session_id: str) -> list[list[int]]:
        return [[value, n] for value, n in session_notes(self._journal, session_id)]

    # -- pending loads ---------------------------------------------------------------------
    def complete_pending(self, which: tuple[str, int] | None = None,
                         source: str = "pending") -> SessionView:
        """Finish a load the central side holds for the card on the reader (the first
        pending one, or ``which`` = (central order id, amount), e.g. from points)."""
        with self._lock:
            self._require_idle()
            card, central = self._require_card()
            if which is None and not central.pending_loads:
                raise ApiError(409, "no_pending_load", "This card has no load waiting.",
                               "此卡没有待圈存的金额。")
            central_ref, amount = which or central.pending_loads[0]
        try:
            remote = self._central.request(
                "GET", central_path("/v1/load-orders/{ref}", ref=central_ref))
        except CentralError:
            raise _offline() from None
        if not isinstance(remote, dict):
            raise ApiError(502, "central_malformed", "The pending load could not be read.",
                           "待圈存记录读取失败。")
        with self._lock:
            known = self._store.by_central_ref(central_ref)
            if known is not None and (known.state != "pending" or known.card_no != card.card_no
                                      or known.amount_fen != amount):
                # Not held: recovery or the card's log is finishing it right now.
                raise ApiError(409, "load_in_progress",
                               "This load is being finished. Please try again in a moment.",
                               "该笔圈存正在处理中，请稍后再试。")
            session = self._open("pending_load", card, "loading")
            if known is not None:
                # One central order, one journal row: the top-up's own order goes on, so
                # the audit credits the top-up that took the cash; recovery leaves it to
                # this session while it is open (driven_by).
                order = self._store.advance(known, "created", driven_by=session.id,
                                            completes=central_ref)
            else:
                order = self._store.create(kind="load", card_no=card.card_no,
                                           amount_fen=amount, session_id=session.id,
                                           facts={"completes": central_ref, "source": source})
                order = self._store.advance(order, "created", central_ref=central_ref,
                                            terminal_id=str(remote.get("terminal_id")))
            if remote.get("status") == "mac2_issued" and remote.get("host_date"):
                # An earlier CREDIT may have reached the card: its log decides first.
                self._store.advance(order, "credit_sent", host_date=remote["host_date"],
                                    host_time=remote["host_time"])
            session.order_id = order.id
            self._current = session
            view = self._show(session)
        self._worker.submit(self._run_order, session.id)
        return view

    # -- bills -----------------------------------------------------------------------------
    def find_bill(self, utility: str, account_no: str) -> SessionView:
        with self._lock:
            self._require_idle()
            card, _ = self._require_card()
        try:
            bill = self._central.request(
                "GET", central_path("/v1/bills", {"utility": utility, "account_no": account_no}))
        except CentralRejected as exc:
            raise ApiError(exc.status, exc.code, exc.message, exc.message_zh) from None
        except CentralError:
            raise _offline() from None
        if not isinstance(bill, dict) or not isinstance(bill.get("amount_due_fen"), int):
            raise ApiError(502, "central_malformed", "The bill could not be read.",
                           "账单读取失败。")
        if bill.get("status") == "paid":
            raise ApiError(409, "bill_already_paid", "This bill is already paid.", "该账单已缴清。")
        with self._lock:
            session = self._open("bill", card, "found", bill=bill)
            self._current = session
            return self._show(session)

    def pay_bill(self, pin: str | None) -> SessionView:
        with self._lock:
            session = self._require("bill", "found")
            assert session.bill is not None
            amount = int(session.bill["amount_due_fen"])
            if amount > self._pin_threshold and not pin:
                raise ApiError(400, "pin_required", "Enter your payment password.",
                               "请输入支付密码。")
            if pin is not None and (not pin.isdigit() or len(pin) != 6):
                raise ApiError(400, "bad_pin", "The payment password is 6 digits.",
                               "支付密码为6位数字。")
            order = self._store.create(kind="purchase", card_no=session.card_no,
                                       amount_fen=amount, session_id=session.id,
                                       facts={"bill_id": session.bill["bill_id"]})
            if pin and self._pin_block is not None:
                self._purchases.with_pin_block(order, self._pin_block(pin, session.card_no))
            session.order_id = order.id
            session.step = "paying"
            view = self._show(session)
        self._worker.submit(self._run_order, session.id)
        return view

    # -- the worker ------------------------------------------------------------------------
    def _run_order(self, session_id: str) -> None:
        with self._lock:
            session = self._current
            if session is None or session.id != session_id or session.order_id is None:
                return
            order = self._store.get(session.order_id)
            if order.final:
                return
            flow = self._loads if order.kind == "load" else self._purchases
            session.step = "loading" if order.kind == "load" else "paying"
            self._show(session)
        try:
            order = flow.drive(order)
        except NeedsCard:
            self._wait_for_card(session)
            return
        except (CentralRejected, CardError) as exc:
            self._failed(session, exc)
            return
        except CentralError as exc:
            logger.warning("order %s: central unreachable (%s)", session.order_id, exc)
            self._hold(session, "offline")
            return
        self._finished(session, order)

    def _wait_for_card(self, session: _Session) -> None:
        with self._lock:
            if self._current is not session:
                return
            session.step = "tap_card"
            session.last_activity = time.monotonic()
            self._show(session)

    def _finished(self, session: _Session, order: Order) -> None:
        when = datetime.now()
        with self._lock:
            session.step = "done"
            if order.kind == "load":
                notes = session_notes(self._journal, session.id)
                facts: Any = TopUp(order.id, when, order.card_no, order.amount_fen,
                                   int(order.facts.get("balance_before_fen", session.balance_fen)),
                                   int(order.facts["balance_after_fen"]),
                                   # (cash over the limits is on the refund voucher instead)
                                   notes=notes if sum(v * n for v, n in notes)
                                   == order.amount_fen else (),
                                   tac=order.facts.get("tac"))
                kind = "topup"
            else:
                bill = session.bill or {}
                facts = BillPayment(order.id, when, order.card_no, str(bill.get("utility", "")),
                                    str(bill.get("payee", "")), str(bill.get("account_no", "")),
                                    str(bill.get("holder_name_masked", "")),
                                    str(bill.get("period", "")), order.amount_fen,
                                    int(order.facts["balance_after_fen"]),
                                    payee_zh=str(bill.get("payee_zh", "")))
                kind = "bill_payment"
            language = self._state.snapshot().language
        printed = self._printing.receipt(kind, facts, language)
        if not printed["printed"]:
            self._report("receipt_failed", {"reference": order.id, "error": printed["error"]})
        with self._lock:
            self._close(session, "completed")
            self._show(session, balance_after_fen=int(order.facts["balance_after_fen"]),
                       receipt="printed" if printed["printed"] else "not_printed")
            self._refund_notice(session)

    def _hold(self, session: _Session, reason: str) -> None:
        """The load waits at the central side (or, offline, in the journal) for its card."""
        with self._lock:
            if session.order_id is None:
                return
            order = self._store.get(session.order_id)
            if order.kind == "purchase":
                try:
                    self._purchases.give_up(order, reason)
                except CentralError:
                    logger.warning("purchase %s: cancel deferred (%s)", order.id, reason)
                self._close(session, "cancelled")
                self._state.reset()
                return
            if order.state != "new":  # "new": the central side never heard of it; recovery does
                order = self._loads.hold(order, reason)
            refused = order.state == "refused"  # the cash is owed: a refund voucher
            session.step = "failed" if refused else "pending"
            language = self._state.snapshot().language
        printed = voucher(self._printing, self._store, order, reason, language)
        with self._lock:
            self._close(session, "failed" if refused else "pending")
            self._show(session, receipt="printed" if printed["printed"] else "not_printed")
            if refused:
                self._state.update(notice=Notice(
                    str(order.facts.get("code", "refused")),
                    "The card centre did not accept this top-up. Keep the voucher: staff "
                    "will refund your cash.",
                    "中心未接受本次充值，请保留凭条，工作人员将退还现金。"))
            else:
                self._refund_notice(session)

    def _failed(self, session: _Session, exc: Exception) -> None:
        code = getattr(exc, "code", "failed")
        message = getattr(exc, "message", str(exc))
        message_zh = getattr(exc, "message_zh", "业务未能完成。")
        logger.warning("session %s: %s (%s)", session.id, code, message)
        with self._lock:
            if session.kind == "bill":
                order = self._store.get(session.order_id) if session.order_id else None
                if order is not None:
                    try:
                        self._purchases.give_up(order, str(code))
                    except CentralError:
                        logger.warning("purchase %s: cancel deferred", order.id)
                session.step = "failed"
                self._close(session, "failed")
                self._show(session)
                self._state.update(notice=Notice(str(code), str(message), str(message_zh)))
                return
        self._hold(session, str(code))  # cash is in: never drop it

    def _settle(self, order_id: str) -> None:
        """An earlier order's lost answer, settled from the card's log at its next tap:
        a load is finished (the cash is in), a payment confirmed or cancelled."""
        order = self._store.get(order_id)
        try:
            if order.kind == "load":
                self._loads.drive(order)
            else:
                self._purchases.settle(order)
        except (NeedsCard, CentralError, CardError) as exc:
            logger.info("order %s not settled on this tap: %s", order_id, exc)

    # -- idle --------------------------------------------------------------------------------
    def _tick_loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.tick(time.monotonic())
            except Exception:
                logger.exception("session idle check failed")

    def tick(self, now: float) -> None:
        """Idle timeouts: a session left alone is finished, never dropped; a card
        screen nobody touches goes back to the attract screen. A central maintenance
        window starts or ends when its time comes."""
        self._follow_central_window(now)
        with self._lock:
            session = self._current
            if session is None:
                self._idle_screen(now)
                return
            if now - session.last_activity < self._idle_s:
                return
            step = session.step
        if session.kind == "topup" and step == "inserting":
            logger.info("top-up %s idle: finishing", session.id)
            if self._inserted(session.id):
                self.finish_topup()
            else:
                self.cancel_topup()
        elif step == "tap_card" and now - session.last_activity >= self._card_wait_s:
            logger.info("session %s: the card did not come back", session.id)
            with self._lock:
                if session.step != "tap_card":
                    return
                session.step = "holding"  # once: the ticker comes back every second
            self._worker.submit(self._hold, session, "walked_away")
        elif step in ("done", "pending", "failed", "found", "cancelled"):
            self.end()

    def _idle_screen(self, now: float) -> None:
        snap = self._state.snapshot()
        if snap.seq != self._seen_seq:
            self._seen_seq, self._seen_at = snap.seq, now
        elif snap.screen in ("card", "card_error") and now - self._seen_at >= self._idle_s:
            logger.info("%s screen idle for %.0f s: back to the start", snap.screen,
                        now - self._seen_at)
            self._state.reset()

    def end(self) -> None:
        """The cardholder is done (or walked away): back to the attract screen."""
        with self._lock:
            session = self._current
            if session is not None and session.step in ("inserting", "finishing", "loading",
                                                        "paying", "tap_card", "holding"):
                raise ApiError(409, "session_busy", "A transaction is still in progress.",
                               "业务尚未完成。")
            if session is not None:
                self._close(session, "cancelled" if session.step == "found" else "closed")
            self._current = None
            self._state.reset()

    def close(self) -> None:
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=False)

    # -- helpers -----------------------------------------------------------------------------
    def central_maintenance(self, windows: CentralWindows) -> None:
        """The central maintenance windows, from a heartbeat answer; :meth:`tick`
        starts and ends them on time between answers."""
        now = time.monotonic()
        with self._lock:
            self._windows = windows
            if not windows.on(now):
                self._dismissed_until = 0.0  # what the operator ended is over
        self._follow_central_window(now)

    def _follow_central_window(self, now: float) -> None:
        """Central maintenance on or off as the windows say at ``now``. The operator's
        own maintenance, if on, is left alone either way."""
        with self._lock:
            on = self._windows.on(now) and now >= self._dismissed_until
            current = self._state.snapshot().maintenance
            if on and current is None:
                self._central_window = True
                self.maintenance(CENTRAL_MAINTENANCE)
            elif not on and self._central_window:
                self._central_window = False
                if current == CENTRAL_MAINTENANCE:
                    self.maintenance(None)

    def maintenance(self, message: str | None) -> None:
        """Maintenance on (with the operator's message) or off. A session in progress
        finishes; no new one starts; the screen says why."""
        with self._lock:
            if message is None:
                # The operator's "off" also ends a central window now on, for the
                # rest of that window; a later window still applies.
                now = time.monotonic()
                self._dismissed_until = self._windows.end_of_current(now) or 0.0
            if message != CENTRAL_MAINTENANCE:
                self._central_window = False  # the operator has taken over
            self._state.update(maintenance=message)
            if self._current is None:
                self._state.reset()
        logger.warning("maintenance %s%s", "on: " if message else "off",
                       message or "")
        self._report("maintenance", {"on": message is not None, "message": message or ""})

    def _require_idle(self) -> None:
        if self._current is not None:
            raise ApiError(409, "session_busy", "Another transaction is in progress.",
                           "当前有未完成的业务。")

    def card_on_screen(self, *, need_active: bool = True) -> tuple[Any, CentralCard]:
        """The card the cardholder tapped and its central view, for services that move
        no cash (history, statements, payment password, points)."""
        with self._lock:
            self._require_idle()
            if need_active:
                return self._require_card()
            snap = self._state.snapshot()
            if snap.screen != "card" or self._card is None:
                raise ApiError(409, "no_card", "Tap your card first.", "请先刷卡。")
            if snap.central != "up" or self._central_card is None:
                raise _offline()
            return self._card, self._central_card

    def _require_card(self) -> tuple[Any, CentralCard]:
        snap = self._state.snapshot()
        if snap.maintenance:
            raise ApiError(503, "maintenance", "The kiosk is being serviced.",
                           "终端维护中，暂停服务。", details={"message": snap.maintenance})
        if snap.screen != "card" or self._card is None:
            raise ApiError(409, "no_card", "Tap your card first.", "请先刷卡。")
        if snap.central != "up" or self._central_card is None:
            raise _offline()
        if self._central_card.status != "active":
            raise ApiError(409, f"card_{self._central_card.status}",
                           "This card cannot be used for this service.",
                           "此卡不能办理该业务。")
        return self._card, self._central_card

    def _require(self, kind: str, step: str) -> _Session:
        session = self._current
        if session is None or session.kind != kind or session.step != step:
            raise ApiError(409, "wrong_step", f"No {kind} session waiting for that.",
                           "当前步骤不能执行该操作。")
        return session

    def _card_absent(self, session: _Session) -> bool:
        return self._loads.card_here(self._store.get(session.order_id)) is False \
            if session.order_id else True

    def _open(self, kind: str, card: Any, step: str, **extra: Any) -> _Session:
        """A new session for ``card``, journaled as open before anything happens in it."""
        session = _Session(f"S{uuid.uuid4().hex[:12].upper()}", kind, card.card_no,
                           card.balance_fen, step, **extra)
        with self._journal.transaction() as db:
            db.execute("INSERT INTO sessions (id, kind, card_no, state, started_at)"
                       " VALUES (?, ?, ?, 'open', ?)",
                       (session.id, kind, card.card_no, time.time()))
        return session

    def _close(self, session: _Session, state: str) -> None:
        """Record how the session ended (once); a cancelled one leaves the screen now."""
        if not session.closed:
            session.closed = True
            with self._journal.transaction() as db:
                db.execute("UPDATE sessions SET state = ?, ended_at = ? WHERE id = ?",
                           (state, time.time(), session.id))
        session.last_activity = time.monotonic()  # the result screen gets its own idle time
        if state == "cancelled" and self._current is session:
            self._current = None

    def _show(self, session: _Session, **extra: Any) -> SessionView:
        inserted = self._inserted(session.id) if session.kind == "topup" else 0
        amount = inserted if session.kind == "topup" else (
            int(session.bill["amount_due_fen"]) if session.bill else
            (self._store.get(session.order_id).amount_fen if session.order_id else 0))
        pin_required = bool(session.bill and session.bill["amount_due_fen"] > self._pin_threshold)
        view = SessionView(
            session.kind, session.step, mask_card_no(session.card_no),  # type: ignore[arg-type]
            amount_fen=amount,
            headroom_fen=(headroom(session.limits, session.balance_fen, inserted)
                          if session.limits else None),
            limits=session.limits.to_json() if session.limits else {},
            notes=self._notes(session.id) if session.kind == "topup" else [],
            reference=session.order_id, bill=session.bill, pin_required=pin_required)
        view = replace(view, **extra)
        self._state.update(screen=session.kind, session=view,  # type: ignore[arg-type]
                           notice=None)
        return view


def _offline() -> ApiError:
    return ApiError(503, "central_offline",
                    "Top-up and payments are unavailable right now: no connection to the "
                    "card centre. Your card can still be read.",
                    "暂时无法连接一卡通中心，充值和缴费暂停；仍可查询卡内余额。")

