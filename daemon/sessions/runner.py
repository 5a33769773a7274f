"""A session's order, driven on the session worker to where it ends.

:meth:`OrderRunner.run` drives the order as far as it goes and moves the
session on from what stopped it::

    the order completed       → done (receipt)
    the card is not there     → tap_card (the cardholder is asked for it)
    the centre or card said no → failed (a bill), or the load held: failed
                                 (refused, refund voucher) | pending (voucher)
    a wrong payment password  → found again (a bill: the tries left on screen),
                                 failed once the centre locks it
    the centre is unreachable → pending (a load, voucher) | cancelled (a bill)

Cash that went in is never dropped: a load that cannot finish now is held at
the central side (or, offline, in the journal) with a voucher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from daemon.central import CentralError, CentralRejected
from daemon.errors import CentralRefusal
from daemon.flow import NeedsCard
from daemon.loadflow import is_transfer
from daemon.orders import Order
from daemon.printing import Printing
from daemon.sessions.machine import Machine
from daemon.sessions.ports import Loads, Purchases
from daemon.sessions.receipts import receipt_facts
from daemon.sessions.steps import Kind, Session, Step
from daemon.vouchers import session_notes, voucher
from hardware.card.errors import CardError
from protocol.local import Notice
from protocol.money import format_fen

__all__ = ["OrderRunner"]

logger = logging.getLogger(__name__)


def repaid_notice(repay: Order) -> Notice:
    """What the screen says after a repayment: lifted, or what is still owed."""
    left = int(repay.facts.get("owed_after_fen", 0))
    if left == 0:
        return Notice("overdraft_repaid",
                      f"Overdraft of {format_fen(repay.amount_fen)} repaid: the card is off the "
                      "blacklist and works again.",
                      f"已偿还透支{format_fen(repay.amount_fen)}，此卡已移出黑名单，恢复使用。")
    return Notice("overdraft_part_repaid",
                  f"{format_fen(repay.amount_fen)} repaid; {format_fen(left)} is still owed and "
                  "the card stays blocked until it is repaid.",
                  f"已偿还{format_fen(repay.amount_fen)}，尚欠{format_fen(left)}，还清前此卡仍暂停使用。")


class OrderRunner:
    """Runs sessions' orders; every method here runs on the session worker."""

    def __init__(self, machine: Machine, *, loads: Loads, purchases: Purchases,
                 printing: Printing, report: Callable[[str, dict[str, Any]], object]) -> None:
        self._m = machine
        self._loads = loads
        self._purchases = purchases
        self._printing = printing
        self._report = report

    def run(self, session_id: str) -> None:
        """Drive the current session's order, if ``session_id`` is still current."""
        m = self._m
        with m.lock:
            session = m.current
            if session is None or session.id != session_id or session.order_id is None \
                    or session.step == Step.HOLDING:  # too late: it is being held
                return
            order = m.store.get(session.order_id)
            if order.final:
                return
            flow: Loads | Purchases = self._loads if order.kind == "load" else self._purchases
            driving = Step.LOADING if order.kind == "load" else Step.PAYING
            if session.step != driving:
                m.move(session, driving)
            m.show(session)
        try:
            if session.repay_id is not None and session.repay_id != order.id:
                # The overdraft is repaid first: the centre lifts the blacklist entry,
                # and only then takes the load of the rest.
                repay = m.store.get(session.repay_id)
                if not repay.final:
                    self._loads.drive(repay)
            order = flow.drive(order)
        except NeedsCard:
            self._wait_for_card(session)
            return
        except (CentralRejected, CardError) as exc:
            self._failed(session, exc)
            return
        except CentralError as exc:
            logger.warning("order %s: central unreachable (%s)", session.order_id, exc)
            self.hold(session, "offline")
            return
        self._finished(session, order)

    def card_here(self, session: Session) -> bool:
        """Whether the session's order's card is on the reader now."""
        return session.order_id is not None and \
            self._loads.card_here(self._m.store.get(session.order_id))

    def _wait_for_card(self, session: Session) -> None:
        with self._m.lock:
            if self._m.current is not session:
                return
            self._m.move(session, Step.TAP_CARD)
            self._m.show(session)

    def _finished(self, session: Session, order: Order) -> None:
        m = self._m
        with m.lock:
            repay = m.store.get(session.repay_id) if session.repay_id else None
            kind, facts = receipt_facts(session, order, session_notes(m.journal, session.id),
                                        datetime.now(), repayment=repay)
            language = m.state.snapshot().language
        printed = self._printing.receipt(kind, facts, language, preview_later=True)
        if not printed["printed"]:
            self._report("receipt_failed", {"reference": order.id, "error": printed["error"]})
        with m.lock:
            m.move(session, Step.DONE)  # after printing: the receipt is part of it
            m.show(session, balance_after_fen=int(order.facts["balance_after_fen"]),
                   receipt="printed" if printed["printed"] else "not_printed")
            if repay is not None and repay.state == "completed":
                m.state.update(notice=repaid_notice(repay))
            self._refund_notice(session)
        self._printing.write_previews()  # the simulated printer's picture, after the answer

    def hold(self, session: Session, reason: str) -> None:
        """The load waits at the central side (or, offline, in the journal) for its
        card; a purchase, which moved no value, is given up."""
        m = self._m
        with m.lock:
            if session.order_id is None:
                return
            order = m.store.get(session.order_id)
            if order.kind == "purchase":
                try:
                    self._purchases.give_up(order, reason)
                except CentralError:
                    logger.warning("purchase %s: cancel deferred (%s)", order.id, reason)
                m.move(session, Step.CANCELLED)
                m.state.reset()
                return
            if order.state != "new":  # "new": the central side never heard of it; recovery does
                order = self._loads.hold(order, reason)
            refused = order.state == "refused"  # the cash is owed: a refund voucher
            language = m.state.snapshot().language
            # An overdraft repayment the centre refused before the load of the rest:
            # its cash is owed too, on its own voucher (as any owed cash).
            repay = m.store.get(session.repay_id) \
                if session.repay_id not in (None, order.id) else None
        if is_transfer(order):
            self._transfer_held(session, order)
            return
        if repay is not None and repay.state == "refused":
            voucher(self._printing, m.store, repay, str(repay.facts.get("code", reason)),
                    language)
        printed = voucher(self._printing, m.store, order, reason, language)
        with m.lock:
            m.move(session, Step.FAILED if refused else Step.PENDING)
            m.show(session, receipt="printed" if printed["printed"] else "not_printed")
            if refused:
                m.state.update(notice=Notice(
                    str(order.facts.get("code", "refused")),
                    "The card centre did not accept this top-up. Keep the voucher: staff "
                    "will refund your cash.",
                    "中心未接受本次充值，请保留凭条，工作人员将退还现金。"))
            elif repay is not None and repay.state == "refused":
                owed = format_fen(repay.amount_fen)
                m.state.update(notice=Notice(
                    "repayment_refused",
                    f"The card centre did not accept the overdraft repayment: keep the "
                    f"refund voucher, staff will refund {owed}.",
                    f"中心未接受透支还款，请保留退款凭证，工作人员将退还 {owed}。"))
            else:
                self._refund_notice(session)

    def _transfer_held(self, session: Session, order: Order) -> None:
        """A transfer moves no cash, so no voucher: refused, the old balance stays where it
        was; held, the centre keeps it for this card's next tap (at any kiosk)."""
        m = self._m
        with m.lock:
            refused = order.state == "refused"
            m.move(session, Step.FAILED if refused else Step.PENDING)
            m.show(session)
            m.state.update(notice=Notice(
                str(order.facts.get("code", "refused")), str(order.facts.get("message", "")),
                str(order.facts.get("message_zh", ""))) if refused else Notice(
                "transfer_pending",
                "The transfer was not finished: the card centre keeps it for this card. Tap "
                "the card again, here or at any kiosk, to finish it.",
                "余额转移未完成，中心为此卡保留该笔金额，请在本机或任一自助终端再次刷卡完成。"))

    def _failed(self, session: Session, exc: CentralRejected | CardError) -> None:
        if isinstance(exc, CentralRejected):
            # Worded as the account services word it: the tries left, or when a lock ends.
            told = CentralRefusal.of(exc, self._printing.zone)
            code, message, message_zh = told.code, told.message, told.message_zh
            tries = told.details.get("tries_left")
        else:
            code, message = getattr(exc, "code", "failed"), getattr(exc, "message", str(exc))
            message_zh, tries = getattr(exc, "message_zh", "业务未能完成。"), None
        logger.warning("session %s: %s (%s)", session.id, code, message)
        m = self._m
        with m.lock:
            if session.kind == Kind.BILL:
                order = m.store.get(session.order_id) if session.order_id else None
                if order is not None:
                    try:
                        self._purchases.give_up(order, str(code))
                    except CentralError:
                        logger.warning("purchase %s: cancel deferred", order.id)
                if code == "pin_wrong" and isinstance(tries, int) and tries > 0:
                    # Nothing was debited: the bill stays on screen for another try, until
                    # the centre locks the password (pin_locked, which fails the session).
                    session.order_id = None
                    m.move(session, Step.FOUND)
                else:
                    m.move(session, Step.FAILED)
                m.show(session)
                m.state.update(notice=Notice(str(code), str(message), str(message_zh)))
                return
        self.hold(session, str(code))  # cash is in: never drop it

    def settle(self, order_id: str) -> None:
        """An earlier order's lost answer, settled from the card's log at its next tap:
        a load is finished (the cash is in), a payment confirmed or cancelled."""
        order = self._m.store.get(order_id)
        try:
            if order.kind == "load":
                self._loads.drive(order)
            else:
                self._purchases.settle(order)
        except (NeedsCard, CentralError, CardError) as exc:
            logger.info("order %s not settled on this tap: %s", order_id, exc)

    def refund_voucher(self, session: Session) -> None:
        """The refund voucher for a top-up's cash over the limits."""
        assert session.owed_id is not None
        voucher(self._printing, self._m.store, self._m.store.get(session.owed_id),
                "over_limit", self._m.state.snapshot().language)

    def _refund_notice(self, session: Session) -> None:
        """Tell the cardholder about cash over the limits, on the session's last screen."""
        if session.owed_id is None:
            return
        owed = format_fen(self._m.store.get(session.owed_id).amount_fen)
        self._m.state.update(notice=Notice(
            "over_limit",
            f"{owed} was over the card's load limit and was not loaded. Keep the refund "
            "voucher: staff will refund it.",
            f"{owed} 超出充值限额，未充入卡内。请保留退款凭证，工作人员将退还现金。"))
