"""The cardholder's services that take no cash: history, statements, points,
the payment password, loss reports (and cancelling one), disputes and feedback.

Each is one request to the central side (plus, for statements, loss reports
and feedback, a printed slip). Payment passwords arrive from the screen, are
turned into PIN blocks at once and never logged, journaled or kept.

The central side decides who may see what (a lost card's history, the
password a statement needs, how many wrong answers lock a check); this module
tells the cardholder, in both languages, how many tries are left and when a
lock ends.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, get_args

from msgspec.structs import replace

from daemon.central import (
    CentralClient,
    CentralError,
    CentralMalformed,
    CentralRejected,
    central_path,
    reply_as,
)
from daemon.errors import BadInput, CentralRefusal, Refused, Unavailable
from daemon.history import merge
from daemon.printing import Printing
from daemon.receiptfacts import statement_entry
from daemon.sessions import Sessions
from daemon.state import KioskState
from hardware.printer.receipts import (
    DisputeSlip,
    FeedbackTicket,
    LossCancelled,
    LossReport,
    Statement,
)
from protocol import central as c
from protocol.cardno import serial_for_typed
from protocol.central import Dispute, PinResult, Redemption, TransactionPage, plain
from protocol.central import FeedbackTicket as CentralTicket
from protocol.central import LossCancelled as CentralLossCancelled
from protocol.central import LossReport as CentralLossReport
from protocol.central import Statement as CentralStatement
from protocol.local import CardView, Notice, ascii_digits, to_json
from protocol.wire import Model

__all__ = ["PERIODS", "Account", "period_dates"]

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

PERIODS = ("this_month", "last_month", "last_3_months", "last_30_days")
_HISTORY_REFUSED = ("card_lost", "card_blacklisted")
FEEDBACK_CATEGORIES: tuple[c.FeedbackCategory, ...] = get_args(c.FeedbackCategory)


def period_dates(period: str, today: date) -> tuple[date, date]:
    """The first and last day of a statement period."""
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if period == "last_3_months":
        return _months_before(today, 3) + timedelta(days=1), today
    if period == "last_30_days":
        return today - timedelta(days=29), today
    raise BadInput("bad_period", f"period must be one of {', '.join(PERIODS)}",
                   "请选择本月、上月、最近3个月或最近30天")


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day if it is shorter
    (31 May → 28 or 29 February)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def _printed(card: Any) -> str:
    """The card's number as printed on it, for a receipt (hardware.card.CardInfo)."""
    return str(getattr(card, "printed_no", card.card_no))


def _pin(value: Any, name: str) -> str:
    if not isinstance(value, str) or not ascii_digits(value, range(6, 7)):
        raise BadInput("bad_pin", "The payment password is 6 digits.", "支付密码为6位数字。",
                       details={"field": name})
    return value


class Account:
    def __init__(self, *, sessions: Sessions, central: CentralClient, printing: Printing,
                 state: KioskState, terminal_id: str,
                 pin_block: Callable[[str, str], str]) -> None:
        self._sessions = sessions
        self._central = central
        self._printing = printing
        self._state = state
        self._terminal = terminal_id
        self._pin_block = pin_block

    def _call(self, reply: type[M], method: str, path: str,
              body: c.CentralRequest | None = None, key: str | None = None) -> M:
        """The centre's answer as ``reply``; its refusal, or central_malformed/offline."""
        try:
            return reply_as(reply, self._central.request(method, path, body,
                                                         idempotency_key=key))
        except CentralRejected as exc:
            raise CentralRefusal.of(exc, self._printing.zone) from None
        except CentralMalformed:
            raise Unavailable("central_malformed", "The card centre's answer could not be read.",
                              "一卡通中心的应答无法读取。") from None
        except CentralError:
            raise Unavailable("central_offline",
                              "No connection to the card centre right now.",
                              "暂时无法连接一卡通中心。") from None

    def _language(self) -> str:
        return self._state.snapshot().language

    # -- history and statements ----------------------------------------------------------
    def history(self, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
        """One page: on the first, the card's own records merged in. The chip's log is
        readable by whoever holds the card; the centre's history is not given for a card
        reported lost or blocked, and then the first page is the chip's log with the
        centre's reason as ``notice``."""
        snap = self._state.snapshot()
        shown = snap.card if snap.screen == "card" else None
        if shown is not None and shown.issuer_city is not None and shown.central != "ok":
            return self._own_log_only(shown, cursor)
        card, _ = self._sessions.card_on_screen(need_active=False)
        notice: Notice | None = None
        try:
            query = c.HistoryQuery(limit=limit, cursor=cursor or None)
            page = self._call(TransactionPage, "GET", central_path(
                "/v1/cards/{card_no}/transactions", query, card_no=card.card_no))
        except CentralRefusal as exc:
            if cursor is not None or exc.code not in _HISTORY_REFUSED:
                raise
            page = TransactionPage(items=[])
            notice = Notice(exc.code, exc.message, exc.message_zh)
        snap = self._state.snapshot()
        records = snap.card.records if snap.card is not None and cursor is None else []
        entries = merge(records, [plain(i) for i in page.items])
        return {"items": [dataclasses.asdict(e) for e in entries],
                "next_cursor": page.next_cursor,
                "notice": to_json(notice)}

    def _own_log_only(self, shown: CardView, cursor: str | None) -> dict[str, Any]:
        """A card of another city the central side does not know: its chip's log."""
        city = shown.issuer_city or {}
        notice = Notice("other_city_card",
                        f"A card of {city.get('name', '')}: its own records, from the chip.",
                        f"{city.get('name_zh', '')}发行的卡：以下为卡内交易记录。")
        entries = merge(shown.records, []) if cursor is None else []
        return {"items": [dataclasses.asdict(e) for e in entries], "next_cursor": None,
                "notice": to_json(notice)}

    def statement(self, period: str, pin: Any = None) -> dict[str, Any]:
        """Print a statement. The centre asks for the payment password of a card that has
        one (``pin_required``) and refuses a lost or blocked card's."""
        card, _ = self._sessions.card_on_screen(need_active=False)
        start, end = period_dates(period, self._printing.now().date())  # the kiosk's zone
        body = c.StatementRequest(from_=start.isoformat(), to=end.isoformat(), pin_block=(
            self._pin_block(_pin(pin, "pin"), card.card_no) if pin is not None else None))
        data = self._call(CentralStatement, "POST", central_path(
            "/v1/cards/{card_no}/statement", card_no=card.card_no), body)
        entries = tuple(statement_entry(plain(i)) for i in data.items)
        reference = f"ST{datetime.now().strftime('%y%m%d%H%M%S')}{uuid.uuid4().hex[:4].upper()}"
        facts = Statement(reference, datetime.now(), _printed(card), start, end,
                          data.opening_balance_fen, data.closing_balance_fen, entries)
        printed = self._printing.receipt("statement", facts, self._language())
        return {"reference": reference, "from": start.isoformat(), "to": end.isoformat(),
                "opening_balance_fen": facts.opening_balance_fen,
                "closing_balance_fen": facts.closing_balance_fen, "count": len(entries),
                "totals": data.totals, "printed": printed["printed"]}

    # -- points ---------------------------------------------------------------------------
    def redeem_points(self, points: int) -> Any:
        """Points into a load order at the central side, then loaded onto the card now."""
        card, _ = self._sessions.card_on_screen()
        if points <= 0:
            raise BadInput("bad_points", "Choose how many points to redeem.",
                           "请选择兑换的积分数。")
        reply = self._call(Redemption, "POST", central_path(
            "/v1/cards/{card_no}/points/redeem", card_no=card.card_no),
            c.RedeemPoints(points=points, terminal_id=self._terminal),
            key=f"redeem-{uuid.uuid4().hex}")
        return self._sessions.complete_pending((reply.order.order_id, reply.order.amount_fen),
                                               source="points")

    # -- payment password --------------------------------------------------------------------
    def set_pin(self, new_pin: Any, id_last6: Any) -> dict[str, Any]:
        card, _ = self._sessions.card_on_screen()
        if not isinstance(id_last6, str) or len(id_last6) != 6:
            raise BadInput("bad_id_last6", "Enter the last 6 characters of your ID.",
                           "请输入身份证后6位。")
        reply = self._call(PinResult, "POST", central_path("/v1/cards/{card_no}/pin/set",
                                                           card_no=card.card_no),
                           c.PinSet(new_pin_block=self._pin_block(_pin(new_pin, "new_pin"),
                                                                  card.card_no),
                                    id_last6=id_last6.upper()))
        return {"pin_set": reply.pin_set}

    def change_pin(self, old_pin: Any, new_pin: Any) -> dict[str, Any]:
        card, _ = self._sessions.card_on_screen()
        reply = self._call(PinResult, "POST", central_path("/v1/cards/{card_no}/pin/change",
                                                           card_no=card.card_no),
                           c.PinChange(
                               old_pin_block=self._pin_block(_pin(old_pin, "old_pin"),
                                                             card.card_no),
                               new_pin_block=self._pin_block(_pin(new_pin, "new_pin"),
                                                             card.card_no)))
        return {"pin_set": reply.pin_set}

    # -- loss report and feedback ------------------------------------------------------------
    def report_loss(self, card_no: Any, pin: Any = None, id_last6: Any = None) -> dict[str, Any]:
        """挂失: the card number is typed in (the card is lost), with the payment
        password or the last 6 of the holder's ID. Prints the loss-report slip."""
        if not isinstance(card_no, str) or not ascii_digits(card_no, range(19, 21)):
            raise BadInput("bad_card_no", "Enter the card number as printed on the card "
                           "(19 or 20 digits).", "请输入卡面印刷的卡号（19位或20位数字）。")
        typed, card_no = card_no, serial_for_typed(card_no)  # the centre knows serials
        if (pin is None) == (id_last6 is None):
            raise BadInput("pin_or_id", "Give the payment password or the ID's last 6.",
                           "请输入支付密码或身份证后6位（二选一）。")
        body = (c.LossReportRequest(pin_block=self._pin_block(_pin(pin, "pin"), card_no))
                if pin is not None else c.LossReportRequest(id_last6=str(id_last6).upper()))
        reply = self._call(CentralLossReport, "POST", central_path(
            "/v1/cards/{card_no}/loss-report", card_no=card_no), body,
            key=f"loss-{uuid.uuid4().hex}")
        facts = LossReport(reply.report_no, datetime.now(), typed)
        printed = self._printing.receipt("loss_report", facts, self._language())
        return {"report_no": reply.report_no, "status": reply.status,
                "message": reply.message, "message_zh": reply.message_zh,
                "printed": printed["printed"]}

    def cancel_loss(self, pin: Any = None, id_last6: Any = None) -> dict[str, Any]:
        """解挂: the lost card itself is on the reader (it was found), with its payment
        password or the last 6 of the holder's ID. Prints the slip."""
        card, central = self._sessions.card_on_screen(need_active=False)
        if (pin is None) == (id_last6 is None):
            raise BadInput("pin_or_id", "Give the payment password or the ID's last 6.",
                           "请输入支付密码或身份证后6位（二选一）。")
        if central.status != "lost":
            raise Refused("card_not_lost", "This card has no loss report to cancel.",
                          "此卡未挂失，无需解挂。", details={"status": central.status})
        body = (c.LossReportRequest(pin_block=self._pin_block(_pin(pin, "pin"), card.card_no))
                if pin is not None else c.LossReportRequest(id_last6=str(id_last6).upper()))
        reply = self._call(CentralLossCancelled, "POST", central_path(
            "/v1/cards/{card_no}/loss-report/cancel", card_no=card.card_no), body,
            key=f"unloss-{uuid.uuid4().hex}")
        central.status = "active"  # the card on screen may take money services now
        self._card_status("active")
        report_no = reply.report_no or \
            f"UL{datetime.now():%y%m%d%H%M%S}{uuid.uuid4().hex[:4].upper()}"
        facts = LossCancelled(report_no, datetime.now(), _printed(card))
        printed = self._printing.receipt("loss_cancel", facts, self._language())
        return {"report_no": report_no, "status": "active", "message": reply.message,
                "message_zh": reply.message_zh, "printed": printed["printed"]}

    def _card_status(self, status: str) -> None:
        """The card on screen's status as the centre now has it (the screen follows)."""
        snap = self._state.snapshot()
        if snap.card is not None:
            self._state.update(card=replace(snap.card, status=status))

    # -- disputes -------------------------------------------------------------------------
    def dispute(self, transaction_id: Any, report_loss: Any = False, pin: Any = None,
                id_last6: Any = None) -> dict[str, Any]:
        """"I did not make this" on a transaction of the card on screen (its history's
        ``transaction_id``): a ticket at the centre and a slip with the ticket number
        and the hotline. ``report_loss`` with the payment password or the ID's last 6
        reports the card lost in the same request (both or neither); without it the
        answer offers the loss report (``offer_loss_report``)."""
        card, central = self._sessions.card_on_screen(need_active=False)
        if not isinstance(transaction_id, int) or isinstance(transaction_id, bool) \
                or transaction_id <= 0:
            raise BadInput("bad_transaction", "Choose a transaction from the history.",
                           "请从交易记录中选择一笔交易。")
        body = c.DisputeCreate(transaction_id=transaction_id)
        if report_loss:
            if (pin is None) == (id_last6 is None):
                raise BadInput("pin_or_id", "Give the payment password or the ID's last 6.",
                               "请输入支付密码或身份证后6位（二选一）。")
            body = (c.DisputeCreate(transaction_id=transaction_id,
                                    pin_block=self._pin_block(_pin(pin, "pin"), card.card_no))
                    if pin is not None else
                    c.DisputeCreate(transaction_id=transaction_id,
                                    id_last6=str(id_last6).upper()))
        reply = self._call(Dispute, "POST", central_path(
            "/v1/cards/{card_no}/disputes", card_no=card.card_no), body,
            key=f"dispute-{uuid.uuid4().hex}")
        loss_no = reply.loss_report_no
        if loss_no:
            central.status = "lost"
            self._card_status("lost")
        tx = reply.transaction
        try:
            occurred: datetime | None = datetime.fromisoformat(tx.occurred_at)
        except ValueError:
            # The ticket is filed: the cardholder gets its number and the slip, the
            # slip without the transaction's time rather than no slip at all.
            logger.warning("dispute %s: the centre's occurred_at %r is not ISO 8601",
                           reply.ticket_no, tx.occurred_at[:40])
            occurred = None
        reference = f"#{tx.id}" + (f" {tx.order_id}" if tx.order_id else "")
        facts = DisputeSlip(reply.ticket_no, datetime.now(), _printed(card), reference,
                            occurred, tx.amount_fen, loss_report_no=loss_no)
        printed = self._printing.receipt("dispute", facts, self._language())
        return {"ticket_no": reply.ticket_no, "transaction_id": tx.id,
                "loss_report_no": loss_no,
                "offer_loss_report": loss_no is None and central.status == "active",
                "printed": printed["printed"]}

    def feedback(self, category: Any, text: Any, phone: Any = None) -> dict[str, Any]:
        if category not in FEEDBACK_CATEGORIES:
            raise BadInput("bad_category", "Choose a category.", "请选择问题类别。",
                           details={"categories": list(FEEDBACK_CATEGORIES)})
        if not isinstance(text, str) or not 1 <= len(text.strip()) <= 500:
            raise BadInput("bad_text", "Write 1 to 500 characters.", "请填写1至500字。")
        snap = self._state.snapshot()
        card_no = (self._sessions.card_on_screen(need_active=False)[0].card_no
                   if snap.card is not None else None)
        body = c.Feedback(category=category, text=text.strip(), phone=phone or None,
                          card_no=card_no)
        reply = self._call(CentralTicket, "POST", "/v1/feedback", body,
                           key=f"fb-{uuid.uuid4().hex}")
        facts = FeedbackTicket(reply.ticket_no, datetime.now(), category,
                               phone if isinstance(phone, str) else None)
        printed = self._printing.receipt("feedback", facts, self._language())
        return {"ticket_no": reply.ticket_no, "printed": printed["printed"]}
