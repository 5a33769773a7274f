"""The local API's routes: cardholder routes on kiosk.sock, and the operator
routes (plus, with ``--simulate``, the simulation controls) on admin.sock.

Handlers translate HTTP to calls on the daemon's parts and nothing more; the
decisions live in those parts. Each route names its request and reply models
(:mod:`protocol.local`) and the catalogue codes it refuses with; the OpenAPI
document ``daemon/api/local-api.json`` (linked from docs/) is generated from
them (``python -m daemon.api.openapi --write``), served at ``/openapi.json``
and drift-tested. docs/local-api.md: adding a route.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgspec

from daemon.api.http import ApiError, Request, Router, Stream
from daemon.cardflow import CardBusy
from daemon.events import Event, EventBus
from daemon.screenshot import MAX_PNG_BYTES, MAX_SIDE, ScreenshotDesk
from daemon.state import KioskState
from hardware.card.errors import CardError
from hardware.printer.text import printable
from protocol import local as m
from protocol.errors import LOCAL
from protocol.wire import Model, to_json

__all__ = ["OPENAPI_PATH", "Services", "Simulator", "build_routers"]

OPENAPI_PATH = Path(__file__).with_name("local-api.json")  # docs/local-api.json links here
KEEPALIVE_S = 10.0


class Simulator(Protocol):
    """The simulation controls kioskd offers on admin.sock with --simulate."""

    def tap(self, card_no: str) -> object: ...
    def remove(self) -> None: ...
    def cards(self) -> list[str]: ...


@dataclass
class Services:
    """The parts of the daemon the routes reach."""

    state: KioskState
    bus: EventBus
    status: Callable[[], m.Status]
    read_card: Callable[[float], dict[str, Any] | None]
    simulator: Simulator | None = None
    printer_test: Callable[[], dict[str, Any]] | None = None
    cash_insert: Callable[[int, bool], dict[str, Any]] | None = None
    sessions: Any = None  # daemon.sessions.Sessions
    account: Any = None  # daemon.account.Account
    cashbox: Callable[[], dict[str, Any]] | None = None
    collect: Callable[[str], dict[str, Any]] | None = None
    printing: Any = None  # daemon.printing.Printing
    settle: Callable[[date], dict[str, Any]] | None = None  # the Z report: closes the day
    x_report: Callable[[date], dict[str, Any]] | None = None  # a view of the day so far
    crash_after: Callable[[str | None], None] | None = None
    audit: Callable[[float, float], dict[str, Any]] | None = None
    export: Callable[[float, float], dict[str, Any]] | None = None
    screenshots: ScreenshotDesk | None = None
    notices: Any = None  # daemon.notices.NoticeBoard
    help: Callable[[], m.Help] | None = None  # daemon.helpdesk.HelpDesk.document


T = TypeVar("T", bound=Model)


def _as(model: type[T], value: Any) -> T:
    """A part's plain answer as its reply model (a mismatch is our bug: 500, never sent)."""
    return msgspec.convert(to_json(value), model)


def _sse(event: Event) -> bytes:
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()


def _event_stream(svc: Services, request: Request) -> Stream:
    raw_last = request.headers.get("last-event-id")
    try:
        last = int(raw_last) if raw_last else None
    except ValueError:
        raise ApiError(400, "bad_last_event_id", "Last-Event-ID must be a number") from None
    sub = svc.bus.subscribe()
    missed = svc.bus.since(last) if last is not None else None

    def chunks() -> Iterator[bytes]:
        try:
            if missed is None:
                # A fresh client, or one the buffer no longer covers: start from a snapshot.
                snap = Event(svc.bus.last_id, "state", to_json(svc.state.snapshot()))
                yield _sse(snap)
            else:
                yield from (_sse(e) for e in missed)
            yield b": connected\n\n"
            while not sub.overflowed:
                event = sub.get(timeout=KEEPALIVE_S)
                yield _sse(event) if event is not None else b": keepalive\n\n"
        finally:
            sub.close()

    return Stream(chunks())


def _openapi(_: Request) -> Any:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def _business_day(text: str | None) -> date:
    """``date`` (YYYY-MM-DD, default today) for the X and Z reports."""
    try:
        day = date.fromisoformat(text) if text is not None else date.today()
    except ValueError:
        raise ApiError(400, "bad_date", "date is YYYY-MM-DD") from None
    if day > date.today():
        raise ApiError(400, "bad_date", "a settlement is for a day that has begun")
    return day


# Codes many routes share: what any money intent may meet on the way.
_CARD_STATE = ("no_card", "card_checking", "other_city_card", "card_lost", "card_blacklisted",
               "card_expired")
_MONEY = (*_CARD_STATE, "session_busy", "wrong_step", "maintenance", "central_offline",
          "central_malformed", "clock_skew")
_TRIES = ("pin_wrong", "pin_locked", "pin_not_set")
_SESSION = "The session as now on screen"


def _session_routes(kiosk: Router, sessions: Any) -> None:
    """The cardholder's money intents; each answers with the session view."""
    kiosk.add("POST", "/v1/topup/start", lambda r: sessions.start_topup(),
              "Start a cash top-up for the card on screen (limits shown, acceptor enabled)",
              reply=m.SessionView, reply_doc=_SESSION, errors=(*_MONEY, "limit_reached"))
    kiosk.add("POST", "/v1/topup/finish", lambda r: sessions.finish_topup(),
              "No more cash: load what was inserted onto the card",
              reply=m.SessionView, reply_doc=_SESSION, errors=_MONEY)

    def cancel(_: Request) -> m.Cancelled:
        sessions.cancel_topup()
        return m.Cancelled(cancelled=True)

    kiosk.add("POST", "/v1/topup/cancel", cancel, "Leave a top-up before any cash went in",
              reply=m.Cancelled, errors=("wrong_step", "cash_inserted", "load_in_progress"))

    def still_here(_: Request) -> m.Ok:
        sessions.still_here()
        return m.Ok(ok=True)

    kiosk.add("POST", "/v1/still-here", still_here,
              "The cardholder is using the screen (the UI's keep-alive while they type or "
              "choose): the idle time of the card screen or of the session starts again",
              reply=m.Ok)
    kiosk.add("POST", "/v1/pending-load/complete", lambda r: sessions.complete_pending(),
              "Load onto the card on screen the amount the central side holds for it",
              reply=m.SessionView, reply_doc=_SESSION,
              errors=(*_MONEY, "no_pending_load", "load_in_progress"))
    kiosk.add("POST", "/v1/transfer", lambda r: sessions.transfer(),
              "Move the lost card's balance onto this replacement card (after the hold): a "
              "load of what fits under the e-purse cap; the rest stays transferable",
              reply=m.SessionView, reply_doc="The pending_load session that loads it",
              errors=(*_MONEY, "transfer_none", "transfer_not_yet", "transfer_done",
                      "limit_reached", "load_in_progress"),
              description="transfer_not_yet: details.available_at (the hold's end). A "
              "transfer left unfinished (a crash, a tear) is finished as that same order.")

    def lookup(_: Request, body: m.BillLookup) -> m.SessionView:
        return sessions.find_bill(body.utility, body.account_no)  # type: ignore[no-any-return]

    kiosk.add("POST", "/v1/bills/lookup", lookup, "Find a utility bill for the card on screen",
              body=m.BillLookup, reply=m.SessionView, reply_doc=_SESSION,
              errors=(*_MONEY, "bill_already_paid"), relays=("bill_not_found",))

    def pay(_: Request, body: m.BillPay) -> m.SessionView:
        return sessions.pay_bill(body.pin)  # type: ignore[no-any-return]

    kiosk.add("POST", "/v1/bills/pay", pay,
              "Pay the bill on screen from the card's e-purse (payment password over the "
              "threshold; sent to the central side only as an encrypted PIN block)",
              body=m.BillPay, reply=m.SessionView, reply_doc=_SESSION,
              errors=(*_MONEY, "pin_required"),
              relays=(*_TRIES, "insufficient_balance", "amount_mismatch", "bill_already_paid",
                      "order_state"))


def _account_routes(kiosk: Router, account: Any) -> None:
    """The cardholder's services that take no cash."""
    def history(_: Request, q: m.HistoryQuery) -> m.HistoryPage:
        return _as(m.HistoryPage, account.history(q.cursor, q.limit))

    kiosk.add("GET", "/v1/history", history,
              "The card's history: its own records merged with the central side's, paged "
              "(a lost or blocked card: its own records only, with the reason as notice)",
              query=m.HistoryQuery, reply=m.HistoryPage,
              errors=("no_card", "card_checking", "other_city_card", "central_offline",
                      "central_malformed", "clock_skew"))

    def statement(_: Request, body: m.StatementRequest) -> m.StatementPrinted:
        return _as(m.StatementPrinted, account.statement(body.period, body.pin))

    kiosk.add("POST", "/v1/statement", statement,
              "Print a statement (this_month, last_month, last_3_months, last_30_days); a card "
              "with a payment password needs it (sent to the central side only as an encrypted "
              "PIN block)",
              body=m.StatementRequest, reply=m.StatementPrinted,
              errors=("no_card", "card_checking", "other_city_card", "card_lost",
                      "card_blacklisted", "central_offline", "clock_skew"),
              relays=("pin_required", *_TRIES),
              description="card_lost, card_blacklisted: no statement for a card reported lost "
              "or blocked. pin_wrong: details.tries_left (the message says how many); "
              "pin_locked: details.locked_until, retry_after_s, tries_left 0 (the message "
              "says when to try again).")

    def redeem(_: Request, body: m.RedeemPoints) -> m.SessionView:
        return account.redeem_points(body.points)  # type: ignore[no-any-return]

    kiosk.add("POST", "/v1/points/redeem", redeem,
              "Turn points into a load onto the card on the reader", body=m.RedeemPoints,
              reply=m.SessionView, reply_doc="The pending_load session that loads it",
              errors=_MONEY, relays=("points_insufficient", "limit_single", "limit_daily",
                                     "balance_cap"))

    def set_pin(_: Request, body: m.SetPin) -> m.PinResult:
        return _as(m.PinResult, account.set_pin(body.new_pin, body.id_last6))

    kiosk.add("POST", "/v1/pin/set", set_pin,
              "Set the first payment password (with the last 6 of the holder's ID)",
              body=m.SetPin, reply=m.PinResult,
              errors=(*_CARD_STATE, "central_offline", "clock_skew"),
              relays=("identity_mismatch", "identity_locked", "pin_already_set", "pin_weak",
                      "pin_block_invalid"),
              description="identity_mismatch: details.tries_left (the message says how many); "
              "identity_locked: details.locked_until, retry_after_s, tries_left 0.")

    def change_pin(_: Request, body: m.ChangePin) -> m.PinResult:
        return _as(m.PinResult, account.change_pin(body.old_pin, body.new_pin))

    kiosk.add("POST", "/v1/pin/change", change_pin, "Change the payment password",
              body=m.ChangePin, reply=m.PinResult,
              errors=(*_CARD_STATE, "central_offline", "clock_skew"),
              relays=(*_TRIES, "pin_weak", "pin_block_invalid"),
              description="pin_wrong: details.tries_left (the message says how many); "
              "pin_locked: details.locked_until, retry_after_s, tries_left 0.")

    def loss_report(_: Request, body: m.LossReportRequest) -> m.LossReportFiled:
        return _as(m.LossReportFiled,
                   account.report_loss(body.card_no, body.pin, body.id_last6))

    kiosk.add("POST", "/v1/loss-report", loss_report,
              "Report a card lost (card number + payment password or ID last 6); prints the slip",
              body=m.LossReportRequest, reply=m.LossReportFiled,
              errors=("pin_or_id", "central_offline"),
              relays=("card_unknown", "card_lost", "card_blacklisted", "pin_not_set",
                      "identity_mismatch", "pin_wrong", "identity_locked", "pin_locked"),
              description="card_lost, card_blacklisted only after a right proof. "
              "identity_mismatch, pin_wrong: details.tries_left (a number the central side "
              "does not know gets the same answer); identity_locked, pin_locked: "
              "details.locked_until, retry_after_s, tries_left 0.")

    def cancel_loss(_: Request, body: m.LossCancelRequest) -> m.LossCancelled:
        return _as(m.LossCancelled, account.cancel_loss(body.pin, body.id_last6))

    kiosk.add("POST", "/v1/loss-report/cancel", cancel_loss,
              "Cancel the loss report of the card on the reader (it was found), with its "
              "payment password or the ID's last 6; prints the slip",
              body=m.LossCancelRequest, reply=m.LossCancelled,
              errors=("no_card", "card_checking", "other_city_card", "session_busy", "pin_or_id",
                      "card_not_lost", "central_offline", "central_malformed", "clock_skew"),
              relays=("card_replaced", "card_blacklisted", "pin_not_set", "identity_mismatch",
                      "pin_wrong", "identity_locked", "pin_locked", "pin_block_invalid"),
              description="card_not_lost: details.status. card_replaced: a replacement card "
              "was issued, the loss report stays. identity_mismatch, pin_wrong: "
              "details.tries_left; identity_locked, pin_locked: details.locked_until, "
              "retry_after_s, tries_left 0.")

    def dispute(_: Request, body: m.DisputeRequest) -> m.DisputeFiled:
        return _as(m.DisputeFiled, account.dispute(body.transaction_id, body.report_loss,
                                                   body.pin, body.id_last6))

    kiosk.add("POST", "/v1/dispute", dispute,
              "\"I did not make this\": dispute a transaction of the card on screen (from its "
              "history); prints the slip; optionally reports the card lost at once",
              body=m.DisputeRequest, reply=m.DisputeFiled,
              errors=("no_card", "card_checking", "other_city_card", "session_busy",
                      "bad_transaction", "pin_or_id", "central_offline", "central_malformed",
                      "clock_skew"),
              relays=("transaction_unknown", "dispute_exists", "card_lost", "card_blacklisted",
                      "pin_not_set", "identity_mismatch", "pin_wrong", "identity_locked",
                      "pin_locked", "pin_block_invalid"),
              description="transaction_unknown: not a transaction of this card. "
              "dispute_exists: details.ticket_no. With report_loss (and pin or id_last6) the "
              "card is reported lost too, both or neither; without it offer_loss_report says "
              "whether to offer one.")

    def feedback(_: Request, body: m.FeedbackRequest) -> m.FeedbackFiled:
        return _as(m.FeedbackFiled, account.feedback(body.category, body.text, body.phone))

    kiosk.add("POST", "/v1/feedback", feedback,
              "File a complaint or feedback; prints the ticket", body=m.FeedbackRequest,
              reply=m.FeedbackFiled, errors=("central_offline", "clock_skew"))


def _screenshot_answer_route(kiosk: Router, desk: ScreenshotDesk) -> None:
    """The UI's answer on kiosk.sock to what the operator asked on admin.sock
    (:func:`_admin_routes`): the PNG of its window."""
    def answer(_: Request, body: m.ScreenshotAnswer) -> m.Received:
        try:
            png = base64.b64decode(body.png_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "bad_screenshot", "png_base64 is not base64",
                           "png_base64 不是 base64 编码") from None
        desk.deliver(body.request_id, png)
        return m.Received(received=True)

    kiosk.add("POST", "/v1/screenshot", answer,
              "The UI's answer to a screenshot event: the PNG of its window",
              body=m.ScreenshotAnswer, reply=m.Received,
              errors=("bad_screenshot", "screenshot_unknown"),
              description="Only the request now waiting may be answered, once (otherwise "
              "409 screenshot_unknown); png_base64 must be a PNG of at most "
              f"{MAX_PNG_BYTES // 2**20} MiB and {MAX_SIDE} pixels a side (otherwise 400 "
              "bad_screenshot; a larger body is 413 too_large).",
              # base64 of the largest PNG, and the JSON around it
              max_body=MAX_PNG_BYTES * 4 // 3 + 4096)


def build_routers(svc: Services) -> tuple[Router, Router]:
    """The routers for kiosk.sock and admin.sock."""
    kiosk = Router()
    kiosk.add("GET", "/openapi.json", _openapi, "This API's OpenAPI document",
              reply_doc="This document")
    kiosk.add("GET", "/v1/state", lambda r: svc.state.snapshot(), "The current screen state",
              reply=m.StateSnapshot, reply_doc="A snapshot")
    kiosk.add("GET", "/v1/events", lambda r: _event_stream(svc, r),
              "Server-Sent Events; resume with Last-Event-ID", errors=("bad_last_event_id",))

    def set_language(_: Request, body: m.SetLanguage) -> m.StateSnapshot:
        return svc.state.update(language=body.language)

    kiosk.add("POST", "/v1/language", set_language, "Switch the screen language",
              body=m.SetLanguage, reply=m.StateSnapshot, reply_doc="The new state")

    def end_session(_: Request) -> m.StateSnapshot:
        if svc.sessions is not None:
            svc.sessions.end()
            return svc.state.snapshot()
        return svc.state.reset()

    kiosk.add("POST", "/v1/session/end", end_session,
              "End the cardholder session and return to the attract screen",
              reply=m.StateSnapshot, reply_doc="The new state")
    if svc.notices is not None:
        board = svc.notices

        def notices(_: Request) -> m.Notices:
            return m.Notices(notices=board.current())

        kiosk.add("GET", "/v1/notices", notices,
                  "The central notices on screen now (维护公告): announcements between their "
                  "start and end, maintenance windows from a day before they start",
                  reply=m.Notices)
    if svc.help is not None:
        help_document = svc.help

        def guides(_: Request) -> m.Help:
            return help_document()

        kiosk.add("GET", "/v1/help", guides,
                  "Help and emergency guides (应急处理指南), both languages: the central "
                  "side's, or the packaged default until it has answered", reply=m.Help)
    if svc.sessions is not None:
        _session_routes(kiosk, svc.sessions)
    if svc.account is not None:
        _account_routes(kiosk, svc.account)
    if svc.screenshots is not None:
        _screenshot_answer_route(kiosk, svc.screenshots)

    admin = Router(kiosk.routes)
    _admin_routes(admin, svc)
    _sim_routes(admin, svc)
    return kiosk, admin


def _admin_routes(admin: Router, svc: Services) -> None:
    """The operator's routes (admin.sock)."""
    def add(method: str, pattern: str, handler: Any, summary: str, **spec: Any) -> None:
        admin.add(method, pattern, handler, summary, socket="admin", **spec)

    if svc.screenshots is not None:
        desk = svc.screenshots

        def screenshot(_: Request, body: m.ScreenshotTake) -> m.Screenshot:
            shot = desk.take(float(10 if body.timeout_s is None else body.timeout_s))
            return m.Screenshot(png_base64=base64.b64encode(shot.png).decode("ascii"),
                                width=shot.width, height=shot.height, bytes=len(shot.png),
                                taken_at=shot.taken_at)

        add("POST", "/v1/admin/screenshot", screenshot,
            "A PNG of what the cardholder sees, taken by the running UI",
            body=m.ScreenshotTake, reply=m.Screenshot, errors=("ui_no_answer",),
            description="kioskd publishes a screenshot event; the UI following the event "
            "stream answers with its window on POST /v1/screenshot. 504 ui_no_answer: no UI "
            "answered within timeout_s (none connected, or hung). One at a time.")
    add("GET", "/v1/admin/status", lambda r: svc.status(),
        "Devices, link and versions", reply=m.Status)
    if svc.audit is not None:
        audit = svc.audit
        add("GET", "/v1/admin/audit",
            lambda r, q: _as(m.Audit, audit(q.since, q.until)),
            "Cash in = credited + pending, per top-up session and in total",
            query=m.TimeRange, reply=m.Audit)
    if svc.export is not None:
        export = svc.export
        add("GET", "/v1/admin/export", lambda r, q: export(q.since, q.until),
            "The journal for a period: sessions, cash, orders with steps, receipts",
            query=m.TimeRange,
            reply_doc="sessions, cash, orders (with steps), receipts; card numbers masked")

    def read_card(_: Request, body: m.CardRead) -> Any:
        timeout = 10 if body.timeout_s is None else body.timeout_s
        try:
            card = svc.read_card(float(timeout))
        except CardBusy:
            raise ApiError(409, "card_busy", "A cardholder session is using the card; read "
                           "it when the session has ended",
                           "顾客正在办理业务，请稍后读卡") from None
        except CardError as exc:  # the card layer's codes are the catalogue's, status too
            raise ApiError(LOCAL[exc.code].status, exc.code, exc.message,
                           exc.message_zh) from None
        if card is None:
            raise ApiError(408, "no_card", f"no card was read within {timeout} s",
                           f"{timeout} 秒内未读到卡")
        return card

    add("POST", "/v1/admin/card/read", read_card,
        "Read the card in the field now (or, if none, wait for a tap) and return the "
        "parsed card", body=m.CardRead, reply_doc="The card as parsed from the chip",
        errors=("no_card:408", "card_busy", "card_error", "reader_unavailable", "card_removed",
                "card_not_supported", "card_protocol", "card_blocked", "card_security",
                "card_conditions", "card_mac_invalid", "card_counter_exhausted"),
        description="The card is read from the chip at the time of the call, never taken "
        "from an earlier tap: a card taken off the reader is not returned, and one left on "
        "it is read again. 408 no_card: none in the field within timeout_s; 409 card_busy: "
        "a cardholder session is using the card; 422/503: the card layer's error (503: the "
        "reader is unavailable).")

    if svc.sessions is not None:
        sessions = svc.sessions

        def maintenance(_: Request, body: m.Maintenance) -> m.StateSnapshot:
            sessions.maintenance((body.message or "Under maintenance / 维护中")
                                 if body.on else None)
            return svc.state.snapshot()

        add("POST", "/v1/admin/maintenance", maintenance,
            "Maintenance on (with a message for the screen) or off; a session in "
            "progress finishes, no new one starts",
            body=m.Maintenance, reply=m.StateSnapshot, reply_doc="The new state")

    if svc.cashbox is not None and svc.collect is not None:
        cashbox, collect = svc.cashbox, svc.collect

        def collect_route(_: Request, body: m.Collect) -> Any:
            operator = body.operator
            if not operator.strip():
                raise ApiError(400, "bad_operator", "operator: your name or staff id (1-40)",
                               "操作员：请填写姓名或工号（1至40个字符）")
            if printable(operator) != operator:  # it goes on the slip and to the centre
                raise ApiError(400, "bad_operator",
                               "operator: no control characters (line breaks, tabs, …)",
                               "操作员：不能包含控制字符（换行、制表符等）")
            return collect(operator.strip())

        add("GET", "/v1/admin/cashbox", lambda r: cashbox(),
            "Cashbox counters: long (since install) and short (in the box now)",
            reply_doc="long and short counters (notes by value in fen, unidentified), their "
            "totals in fen, last_collection_at")
        add("POST", "/v1/admin/cashbox/collect", collect_route,
            "The box was emptied: reset the short counters and tell the central side "
            "(one journal transaction), then print the slip", body=m.Collect,
            reply_doc="reference, collected_fen, pieces, unidentified, notes, printed (false: "
            "the slip did not print; the collection stands and was reported; kioskctl reprint)")

    if svc.printing is not None:
        printing = svc.printing

        def receipts(_: Request, q: m.ReceiptsQuery) -> m.Receipts:
            return _as(m.Receipts,
                       {"receipts": printing.journaled(unprinted_only=q.unprinted == "1")})

        def reprint(_: Request, body: m.Reprint) -> m.PrintResult:
            try:
                return _as(m.PrintResult, printing.reprint(body.id))
            except KeyError:
                raise ApiError(404, "receipt_unknown", f"no journaled receipt {body.id}") \
                    from None
            except ValueError as exc:
                raise ApiError(409, "receipt_not_reprintable", str(exc)) from None

        add("GET", "/v1/admin/receipts", receipts,
            "The newest journaled receipts (?unprinted=1: those that never printed)",
            query=m.ReceiptsQuery, reply=m.Receipts)
        add("POST", "/v1/admin/receipts/reprint", reprint,
            "Print a journaled receipt again, from the facts it was first printed with, "
            "marked as a reprint", body=m.Reprint,
            errors=("receipt_unknown", "receipt_not_reprintable"), reply=m.PrintResult)

    if svc.x_report is not None:
        x_report = svc.x_report
        add("GET", "/v1/admin/settlement", lambda r, q: x_report(_business_day(q.date)),
            "The X report: a day's figures so far (default today); nothing is printed, "
            "numbered or sent", query=m.BusinessDay, errors=("bad_date",),
            description="Cash and top-up loads are the audit's figures (GET /v1/admin/audit) "
            "for the top-up sessions started that day; bills and points loads are the orders "
            "created that day. Side-effect free.",
            reply_doc='report ("X"), business_date, cash_fen, cash_counts, loads_credited/'
            "loads_pending/loads_owed/bills/points_loads/transfer_loads as [count, fen], "
            "unattributed_fen, difference_fen, holds, unrecognised, generated_at, closed "
            "(null, or the Z that closed the day: reference, z_number, closed_at)")
    if svc.settle is not None:
        settle = svc.settle
        add("POST", "/v1/admin/settlement", lambda r, body: settle(_business_day(body.date)),
            "Close a business day (default today): the Z report, numbered once, "
            "printed and sent to the central side; a second close reprints it",
            body=m.BusinessDay, errors=("bad_date",),
            description="The first close of a day numbers its Z report, prints it and queues "
            "a settlement event. Closing the same day again makes no new number and sends "
            "nothing: the Z as closed is reprinted and answered with already_closed=true "
            "(changed_since_close says whether the day's figures moved since).",
            reply_doc='the X report\'s figures (report "Z"), plus reference, z_number, '
            "printed, already_closed, changed_since_close")

    if svc.printer_test is not None:
        printer_test = svc.printer_test
        add("POST", "/v1/admin/printer/test", lambda r: _as(m.PrintResult, printer_test()),
            "Print the printer test page",
            description="Journals the receipt, prints the test page and answers with the "
            "printer's status. A simulated printer also keeps a PNG preview under "
            "<state_dir>/receipts/.", reply=m.PrintResult)


def _sim_routes(admin: Router, svc: Services) -> None:
    """The simulation controls (admin.sock, kioskd --simulate)."""
    def add(method: str, pattern: str, handler: Any, summary: str, **spec: Any) -> None:
        admin.add(method, pattern, handler, summary, socket="admin", **spec)

    if svc.cash_insert is not None:
        cash_insert = svc.cash_insert

        def insert(_: Request, body: m.SimInsert) -> m.SimInserted:
            try:
                return _as(m.SimInserted, cash_insert(body.amount_fen, bool(body.force)))
            except ValueError as exc:  # not in the pulse table
                raise ApiError(400, "bad_amount", str(exc), "模拟器不支持此面额") from None

        add("POST", "/v1/sim/insert", insert,
            "Insert a note or coin: real pulses on the simulated acceptor's pins",
            body=m.SimInsert,
            description="The simulated acceptor refuses cash while inhibited "
            "(accepted=false), as a real one does. force=true drives the pulses anyway, "
            "modelling an acceptor that ignores its inhibit line; the note is then journaled "
            "as unsolicited cash.", reply=m.SimInserted)

    if svc.crash_after is not None:
        crash_after = svc.crash_after

        def crash(_: Request, body: m.SimCrash) -> m.Armed:
            crash_after(body.after_step)
            return m.Armed(armed=body.after_step)

        add("POST", "/v1/sim/crash", crash,
            "Kill kioskd (SIGKILL) right after the next order step of this name is "
            "journaled; null disarms. For crash tests.", body=m.SimCrash, reply=m.Armed)

    sim = svc.simulator
    if sim is not None:
        def tap(_: Request, body: m.SimTap) -> m.Tapped:
            if body.card_no not in sim.cards():
                raise ApiError(404, "unknown_sim_card", f"no virtual card {body.card_no}",
                               details={"cards": sim.cards()})
            sim.tap(body.card_no)
            return m.Tapped(tapped=body.card_no, at=time.time())

        def remove(_: Request) -> m.Removed:
            sim.remove()
            return m.Removed(removed=True)

        add("GET", "/v1/sim/cards", lambda r: m.SimCards(cards=sim.cards()),
            "The virtual cards in the wallet", reply=m.SimCards)
        add("POST", "/v1/sim/tap", tap, "Put a virtual card on the reader", body=m.SimTap,
            reply=m.Tapped, errors=("unknown_sim_card",))
        add("POST", "/v1/sim/remove", remove, "Take the card off the reader", reply=m.Removed)
