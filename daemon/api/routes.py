"""The local API's routes: cardholder routes on kiosk.sock, and the operator
routes (plus, with ``--simulate``, the simulation controls) on admin.sock.

Handlers translate HTTP to calls on the daemon's parts and nothing more; the
decisions live in those parts. The OpenAPI document
``daemon/api/local-api.json`` (linked from docs/) is served at ``/openapi.json``
and tested against :func:`build_routers`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from daemon.api.http import ApiError, Request, Router, Stream
from daemon.cardflow import CardBusy
from daemon.events import Event, EventBus
from daemon.state import KioskState
from hardware.card.errors import CardError
from hardware.printer.text import printable
from protocol.errors import LOCAL
from protocol.local import ascii_digits, is_cursor, to_json

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
    status: Callable[[], dict[str, Any]]
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


def _period(r: Request) -> tuple[float, float]:
    """``?since=&until=`` as Unix times (default: everything)."""
    try:
        return float(r.query.get("since", "0")), float(r.query.get("until", "inf"))
    except ValueError:
        raise ApiError(400, "bad_period", "since/until are Unix times") from None


def _business_day(text: str | None) -> date:
    """``date`` (YYYY-MM-DD, default today) for the X and Z reports."""
    try:
        day = date.fromisoformat(text) if text is not None else date.today()
    except ValueError:
        raise ApiError(400, "bad_date", "date is YYYY-MM-DD") from None
    if day > date.today():
        raise ApiError(400, "bad_date", "a settlement is for a day that has begun")
    return day


def _session_routes(kiosk: Router, sessions: Any) -> None:
    """The cardholder's money intents; each answers with the session view."""
    kiosk.add("POST", "/v1/topup/start", lambda r: to_json(sessions.start_topup()),
              "Start a cash top-up for the card on screen (limits shown, acceptor enabled)")
    kiosk.add("POST", "/v1/topup/finish", lambda r: to_json(sessions.finish_topup()),
              "No more cash: load what was inserted onto the card")

    def cancel(_: Request) -> Any:
        sessions.cancel_topup()
        return {"cancelled": True}

    kiosk.add("POST", "/v1/topup/cancel", cancel, "Leave a top-up before any cash went in")
    kiosk.add("POST", "/v1/pending-load/complete", lambda r: to_json(sessions.complete_pending()),
              "Load onto the card on screen the amount the central side holds for it")
    kiosk.add("POST", "/v1/transfer", lambda r: to_json(sessions.transfer()),
              "Move the lost card's balance onto this replacement card (after the hold): a "
              "load of what fits under the e-purse cap; the rest stays transferable")

    def lookup(r: Request) -> Any:
        utility = r.field("utility", str)
        account = r.field("account_no", str)
        if utility not in ("water", "electricity", "gas"):
            raise ApiError(400, "bad_utility", "utility must be water, electricity or gas",
                           "缴费类型只能是水、电、燃气")
        if not ascii_digits(account, range(6, 21)):
            raise ApiError(400, "bad_account_no", "The account number is 6 to 20 digits.",
                           "户号为6至20位数字。")
        return to_json(sessions.find_bill(utility, account))

    kiosk.add("POST", "/v1/bills/lookup", lookup, "Find a utility bill for the card on screen")

    def pay(r: Request) -> Any:
        pin = r.field("pin", str, required=False)
        if pin is not None and not ascii_digits(pin, range(6, 7)):
            raise ApiError(400, "bad_pin", "The payment password is 6 digits.",
                           "支付密码为6位数字。")
        return to_json(sessions.pay_bill(pin))

    kiosk.add("POST", "/v1/bills/pay", pay,
              "Pay the bill on screen from the card's e-purse (payment password over the "
              "threshold; sent to the central side only as an encrypted PIN block)")


def _account_routes(kiosk: Router, account: Any) -> None:
    """The cardholder's services that take no cash."""
    def history(r: Request) -> Any:
        cursor = r.query.get("cursor")
        if cursor is not None and not is_cursor(cursor):
            raise ApiError(400, "bad_cursor", "cursor: the next_cursor of the page before",
                           "翻页参数无效，请从第一页重新查询。")
        try:
            limit = int(r.query.get("limit", "20"))
        except ValueError:
            raise ApiError(400, "bad_limit", "limit is a number 1..100") from None
        if not 1 <= limit <= 100:
            raise ApiError(400, "bad_limit", "limit is a number 1..100")
        return account.history(cursor, limit)

    kiosk.add("GET", "/v1/history", history,
              "The card's history: its own records merged with the central side's, paged "
              "(a lost or blocked card: its own records only, with the reason as notice)")
    kiosk.add("POST", "/v1/statement", lambda r: account.statement(
        r.field("period", str), r.field("pin", str, required=False)),
        "Print a statement (this_month, last_month, last_30_days); a card with a payment "
        "password needs it (sent to the central side only as an encrypted PIN block)")
    kiosk.add("POST", "/v1/points/redeem",
              lambda r: to_json(account.redeem_points(r.field("points", int))),
              "Turn points into a load onto the card on the reader")
    kiosk.add("POST", "/v1/pin/set", lambda r: account.set_pin(
        r.field("new_pin", str), r.field("id_last6", str)),
        "Set the first payment password (with the last 6 of the holder's ID)")
    kiosk.add("POST", "/v1/pin/change", lambda r: account.change_pin(
        r.field("old_pin", str), r.field("new_pin", str)), "Change the payment password")
    kiosk.add("POST", "/v1/loss-report", lambda r: account.report_loss(
        r.field("card_no", str), r.field("pin", str, required=False),
        r.field("id_last6", str, required=False)),
        "Report a card lost (card number + payment password or ID last 6); prints the slip")
    kiosk.add("POST", "/v1/loss-report/cancel", lambda r: account.cancel_loss(
        r.field("pin", str, required=False), r.field("id_last6", str, required=False)),
        "Cancel the loss report of the card on the reader (it was found), with its payment "
        "password or the ID's last 6; prints the slip")
    kiosk.add("POST", "/v1/dispute", lambda r: account.dispute(
        r.field("transaction_id", int), r.field("report_loss", bool, required=False),
        r.field("pin", str, required=False), r.field("id_last6", str, required=False)),
        "\"I did not make this\": dispute a transaction of the card on screen (from its "
        "history); prints the slip; optionally reports the card lost at once")
    kiosk.add("POST", "/v1/feedback", lambda r: account.feedback(
        r.field("category", str), r.field("text", str), r.field("phone", str, required=False)),
        "File a complaint or feedback; prints the ticket")


def build_routers(svc: Services) -> tuple[Router, Router]:
    """The routers for kiosk.sock and admin.sock."""
    kiosk = Router()
    kiosk.add("GET", "/openapi.json", _openapi, "This API's OpenAPI document")
    kiosk.add("GET", "/v1/state", lambda r: to_json(svc.state.snapshot()),
              "The current screen state")
    kiosk.add("GET", "/v1/events", lambda r: _event_stream(svc, r),
              "Server-Sent Events; resume with Last-Event-ID")

    def set_language(r: Request) -> Any:
        language = r.field("language", str)
        if language not in ("zh", "en"):
            raise ApiError(400, "bad_language", "language must be 'zh' or 'en'",
                           "语言只能是 zh 或 en")
        return to_json(svc.state.update(language=language))

    kiosk.add("POST", "/v1/language", set_language, "Switch the screen language")
    def end_session(_: Request) -> Any:
        if svc.sessions is not None:
            svc.sessions.end()
            return to_json(svc.state.snapshot())
        return to_json(svc.state.reset())

    kiosk.add("POST", "/v1/session/end", end_session,
              "End the cardholder session and return to the attract screen")
    if svc.sessions is not None:
        _session_routes(kiosk, svc.sessions)
    if svc.account is not None:
        _account_routes(kiosk, svc.account)

    admin = Router(kiosk.routes)
    admin.add("GET", "/v1/admin/status", lambda r: svc.status(), "Devices, link and versions")
    if svc.audit is not None:
        audit = svc.audit

        def run_audit(r: Request) -> Any:
            since, until = _period(r)
            return audit(since, until)

        admin.add("GET", "/v1/admin/audit", run_audit,
                  "Cash in = credited + pending, per top-up session and in total")
    if svc.export is not None:
        export = svc.export

        def run_export(r: Request) -> Any:
            since, until = _period(r)
            return export(since, until)

        admin.add("GET", "/v1/admin/export", run_export,
                  "The journal for a period: sessions, cash, orders with steps, receipts")

    def read_card(r: Request) -> Any:
        timeout = r.field("timeout_s", int, required=False)
        timeout = 10 if timeout is None else timeout
        if not 1 <= timeout <= 120:
            raise ApiError(400, "bad_timeout", "timeout_s must be 1..120")
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

    admin.add("POST", "/v1/admin/card/read", read_card,
              "Read the card in the field now (or, if none, wait for a tap) and return the "
              "parsed card")

    if svc.sessions is not None:
        sessions = svc.sessions

        def maintenance(r: Request) -> Any:
            on = r.field("on", bool)
            message = r.field("message", str, required=False)
            sessions.maintenance((message or "Under maintenance / 维护中") if on else None)
            return to_json(svc.state.snapshot())

        admin.add("POST", "/v1/admin/maintenance", maintenance,
                  "Maintenance on (with a message for the screen) or off; a session in "
                  "progress finishes, no new one starts")

    if svc.cashbox is not None and svc.collect is not None:
        cashbox, collect = svc.cashbox, svc.collect

        def collect_route(r: Request) -> Any:
            operator = r.field("operator", str)
            if not operator.strip() or len(operator) > 40:
                raise ApiError(400, "bad_operator", "operator: your name or staff id (1-40)",
                               "操作员：请填写姓名或工号（1至40个字符）")
            if printable(operator) != operator:  # it goes on the slip and to the centre
                raise ApiError(400, "bad_operator",
                               "operator: no control characters (line breaks, tabs, …)",
                               "操作员：不能包含控制字符（换行、制表符等）")
            return collect(operator.strip())

        admin.add("GET", "/v1/admin/cashbox", lambda r: cashbox(),
                  "Cashbox counters: long (since install) and short (in the box now)")
        admin.add("POST", "/v1/admin/cashbox/collect", collect_route,
                  "The box was emptied: reset the short counters and tell the central side "
                  "(one journal transaction), then print the slip")

    if svc.printing is not None:
        printing = svc.printing

        def receipts(r: Request) -> Any:
            unprinted = r.query.get("unprinted", "0")
            if unprinted not in ("0", "1"):
                raise ApiError(400, "bad_request", "unprinted is 0 or 1", "unprinted 只能是 0 或 1")
            return {"receipts": printing.journaled(unprinted_only=unprinted == "1")}

        def reprint(r: Request) -> Any:
            row = r.field("id", str)
            try:
                return printing.reprint(row)
            except KeyError:
                raise ApiError(404, "receipt_unknown", f"no journaled receipt {row}") from None
            except ValueError as exc:
                raise ApiError(409, "receipt_not_reprintable", str(exc)) from None

        admin.add("GET", "/v1/admin/receipts", receipts,
                  "The newest journaled receipts (?unprinted=1: those that never printed)")
        admin.add("POST", "/v1/admin/receipts/reprint", reprint,
                  "Print a journaled receipt again, from the facts it was first printed with, "
                  "marked as a reprint")

    if svc.x_report is not None:
        x_report = svc.x_report
        admin.add("GET", "/v1/admin/settlement",
                  lambda r: x_report(_business_day(r.query.get("date"))),
                  "The X report: a day's figures so far (default today); nothing is printed, "
                  "numbered or sent")
    if svc.settle is not None:
        settle = svc.settle
        admin.add("POST", "/v1/admin/settlement",
                  lambda r: settle(_business_day(r.field("date", str, required=False))),
                  "Close a business day (default today): the Z report, numbered once, "
                  "printed and sent to the central side; a second close reprints it")

    if svc.printer_test is not None:
        printer_test = svc.printer_test
        admin.add("POST", "/v1/admin/printer/test", lambda r: printer_test(),
                  "Print the printer test page")

    if svc.cash_insert is not None:
        cash_insert = svc.cash_insert

        def insert(r: Request) -> Any:
            amount = r.field("amount_fen", int)
            force = bool(r.field("force", bool, required=False))
            try:
                return cash_insert(amount, force)
            except ValueError as exc:  # not in the pulse table
                raise ApiError(400, "bad_amount", str(exc), "模拟器不支持此面额") from None

        admin.add("POST", "/v1/sim/insert", insert,
                  "Insert a note or coin: real pulses on the simulated acceptor's pins")

    if svc.crash_after is not None:
        crash_after = svc.crash_after

        def crash(r: Request) -> Any:
            step = r.field("after_step", str, required=False)
            crash_after(step)
            return {"armed": step}

        admin.add("POST", "/v1/sim/crash", crash,
                  "Kill kioskd (SIGKILL) right after the next order step of this name is "
                  "journaled; null disarms. For crash tests.")

    sim = svc.simulator
    if sim is not None:
        def tap(r: Request) -> Any:
            card_no = r.field("card_no", str)
            if card_no not in sim.cards():
                raise ApiError(404, "unknown_sim_card", f"no virtual card {card_no}",
                               details={"cards": sim.cards()})
            sim.tap(card_no)
            return {"tapped": card_no, "at": time.time()}

        def remove(_: Request) -> Any:
            sim.remove()
            return {"removed": True}

        admin.add("GET", "/v1/sim/cards", lambda r: {"cards": sim.cards()},
                  "The virtual cards in the wallet")
        admin.add("POST", "/v1/sim/tap", tap, "Put a virtual card on the reader")
        admin.add("POST", "/v1/sim/remove", remove, "Take the card off the reader")
    return kiosk, admin
