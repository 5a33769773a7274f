"""Messages that cross the local API (kiosk.sock / admin.sock), as typed models.

One class per message (:class:`protocol.wire.Model`): the daemon's handlers
take the request models and return the reply models, the UI and ``kioskctl``
decode into the same classes (:mod:`protocol.localclient`), and the OpenAPI
document ``daemon/api/local-api.json`` is generated from them
(``python -m daemon.api.openapi --write``). Amounts are integer fen. Card
numbers never leave the daemon unmasked on the cardholder socket.

A request field whose *value* is refused names its catalogue code
(:data:`protocol.errors.LOCAL`) in ``Meta(extra={"code": ...})``; a wrong type
or a missing field is ``bad_request``. docs/local-api.md: adding a route.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, field

from protocol.central import Utility
from protocol.helpdoc import HelpSection
from protocol.wire import Model, to_json

__all__ = [
    "Announcement", "CardView", "ClockState", "Help", "Language", "Notice", "Notices",
    "RecordView", "Screen", "SessionView", "StateSnapshot", "ascii_digits", "is_cursor",
    "to_json",
]

Screen = Literal["attract", "reading", "card", "card_error", "maintenance", "topup", "bill",
                 "pending_load"]
Language = Literal["zh", "en"]
# skewed: this kiosk's clock is past the signature window against the central side's
# (or the central side refused its timestamp): no money moves (daemon.clockskew)
ClockState = Literal["ok", "skewed", "unknown"]


def _code(code: str, description: str = "", **constraints: Any) -> Meta:
    """A field's constraints, with the catalogue code its refused value gets."""
    return Meta(extra={"code": code}, description=description or None, **constraints)


# -- field types the requests share -----------------------------------------------------
Pin = Annotated[str, _code("bad_pin", "the payment password, 6 digits", pattern="^[0-9]{6}$")]
CardNo = Annotated[str, _code("bad_card_no", "the card number as printed on the card: "
                              "19 digits (T-Union) or 20 (City Union)",
                              pattern="^[0-9]{19,20}$")]
IdLast6 = Annotated[str, _code("bad_id_last6", "the last 6 characters of the holder's ID",
                               min_length=6, max_length=6)]
Cursor = Annotated[str, _code("bad_cursor", "next_cursor of the page before",
                              pattern="^[A-Za-z0-9_-]{1,64}$")]
Period = Literal["this_month", "last_month", "last_3_months", "last_30_days"]
FeedbackCategory = Literal["card", "top_up", "bill_payment", "kiosk_fault", "receipt",
                           "service", "other"]
OrderStep = Literal["created", "init", "mac2", "credit_sent", "credited", "completed",
                    "pending", "mac1", "debit_sent", "debited"]


# -- the state the screen draws ----------------------------------------------------------
class RecordView(Model, frozen=True):
    """One transaction, as the cardholder sees it."""

    when: str  # ISO 8601 local time
    kind: str  # "load", "purchase", "transit", "passbook_load", "other"
    amount_fen: int
    terminal_id: str
    source: Literal["card", "central"] = "card"


class CardView(Model, frozen=True):
    """The card on the reader, as read from the chip and the central side."""

    card_no_masked: str
    card_type: str  # ordinary / student / senior / ... ; "unknown" when not known
    balance_fen: int
    valid_from: str
    valid_until: str
    status: str  # active / lost / blacklisted / expired / blocked / unknown
    points: int | None = None
    pending_load_fen: int | None = None
    central: Literal["ok", "offline", "unknown_card", "pending"] = "pending"
    records: list[RecordView] = field(default_factory=list)
    # the card type's ride discount, from the central side: bus_percent, metro_percent
    # (off the fare), transfer_off_fen, transfer_window_min; None when not known
    discount: dict[str, int] | None = None
    # a T-Union card in overdraft: what it owes, read from the card (its balance is 0)
    overdraft_fen: int | None = None
    # a card of another city (互联互通): {code, name, name_zh}, and what it may do here
    # (balance, history, topup); both None for our own cards (every service)
    issuer_city: dict[str, str] | None = None
    services: list[str] | None = None
    # a replacement card: the lost card's balance to move (old_card_no_masked, status
    # held|available|in_progress|done, available_at, transferable_fen, amount_fen: what
    # moves on this tap, up to the e-purse cap); None for any other card
    transfer: dict[str, Any] | None = None
    # a blacklisted card: why (reason overdraft | fraud | other) and what an overdraft
    # owes (owed_fen); None for any other card
    blacklist: dict[str, Any] | None = None


class Notice(Model, frozen=True):
    """A message for the screen: a stable code plus both languages."""

    code: str
    message: str
    message_zh: str


class Announcement(Model, frozen=True):
    """A central notice (维护公告) on screen now, both languages. ``touches`` names the
    cardholder services it stops (a maintenance window: top-up, bills, points,
    pending loads); ``active`` is false for a window announced before it starts."""

    notice_id: int
    kind: Literal["announcement", "maintenance"]
    title: str
    title_zh: str
    body: str
    body_zh: str
    starts_at: str  # ISO 8601
    ends_at: str
    active: bool
    touches: list[str] = field(default_factory=list)


class SessionView(Model, frozen=True):
    """A money session on screen (``screen`` is its kind): what to draw for each step.
    top-up: inserting → tap_card → loading → done | pending; bill: found → paying →
    done | failed; pending_load: offered → loading → done | pending."""

    kind: Literal["topup", "bill", "pending_load"]
    step: str
    card_no_masked: str
    amount_fen: int = 0  # top-up: inserted so far; bill: amount due; pending load: its amount
    headroom_fen: int | None = None  # top-up: how much more may still go in
    limits: dict[str, int] = field(default_factory=dict)
    notes: list[list[int]] = field(default_factory=list)  # [value_fen, count], largest first
    reference: str | None = None  # the order's reference, printed on the receipt
    balance_after_fen: int | None = None
    receipt: Literal["printed", "not_printed"] | None = None  # not_printed: queued for reprint
    bill: dict[str, Any] | None = None
    pin_required: bool = False


class StateSnapshot(Model, frozen=True):
    """Everything the UI needs to draw the current screen (also the data of a ``state`` event).
    central: unauthorized means the central side answers but refuses this kiosk's
    signature (money is refused as when down). clock: skewed means this kiosk's clock
    is past the signature window against the central side's, or the central side
    refused its timestamp (no money moves); clock_skew_s: the central clock minus
    this kiosk's, whole seconds, moved in 5 s steps."""

    seq: int
    screen: Screen
    language: Language
    card: CardView | None = None
    notice: Notice | None = None
    devices: dict[str, str] = field(default_factory=dict)
    central: Literal["up", "down", "unauthorized", "unknown"] = "unknown"
    clock: ClockState = "unknown"  # skewed: no money moves
    clock_skew_s: int | None = None  # the central clock minus this kiosk's, whole seconds
    session: SessionView | None = None
    maintenance: str | None = None  # the operator's message while in maintenance
    notices: list[Announcement] = field(default_factory=list)  # central notices on now


# -- cardholder requests (kiosk.sock) ----------------------------------------------------
class SetLanguage(Model, frozen=True):
    language: Annotated[Language, _code("bad_language")]


class BillLookup(Model, frozen=True):
    utility: Annotated[Utility, _code("bad_utility")]
    account_no: Annotated[str, _code("bad_account_no", "the utility account, 6 to 20 digits",
                                     pattern="^[0-9]{6,20}$")]


class BillPay(Model, frozen=True):
    pin: Pin | None = None  # over the threshold; null or absent: none


class HistoryQuery(Model, frozen=True):
    cursor: Cursor | None = None
    limit: Annotated[int, _code("bad_limit", "items per page", ge=1, le=100)] = 20


class StatementRequest(Model, frozen=True):
    period: Annotated[Period, _code("bad_period")]
    pin: Pin | None = None  # for a card that has a payment password


class RedeemPoints(Model, frozen=True):
    points: Annotated[int, _code("bad_points", "points to turn into a load", ge=1)]


class SetPin(Model, frozen=True):
    new_pin: Pin
    id_last6: IdLast6


class ChangePin(Model, frozen=True):
    old_pin: Pin
    new_pin: Pin


class LossReportRequest(Model, frozen=True):
    """The card number, with the payment password or the ID's last 6 (one of them)."""

    card_no: CardNo
    pin: Pin | None = None
    id_last6: IdLast6 | None = None


class LossCancelRequest(Model, frozen=True):
    """Cancel the loss report of the card on the reader: its payment password or the ID's
    last 6 (one of them)."""

    pin: Pin | None = None
    id_last6: IdLast6 | None = None


class DisputeRequest(Model, frozen=True):
    """"I did not make this": a transaction of the card on screen (its history line's
    ``details.transaction_id``); report_loss with pin or id_last6 (one of them) reports
    the card lost in the same request."""

    transaction_id: Annotated[int, _code("bad_transaction", "the centre's transaction id, "
                                         "from the history", ge=1)]
    report_loss: bool = False
    pin: Pin | None = None
    id_last6: IdLast6 | None = None


class FeedbackRequest(Model, frozen=True):
    category: Annotated[FeedbackCategory, _code("bad_category")]
    text: Annotated[str, _code("bad_text", "1 to 500 characters", min_length=1, max_length=500)]
    phone: str | None = None  # null or absent: no phone


# -- cardholder replies ------------------------------------------------------------------
class Ok(Model, frozen=True):
    """Taken; nothing to say back."""

    ok: bool


class Cancelled(Model, frozen=True):
    """The top-up was left; nothing was inserted."""

    cancelled: bool


class Notices(Model, frozen=True):
    """The central notices on screen now (as in the state's ``notices``)."""

    notices: list[Announcement]


class Help(Model, frozen=True):
    """The guides in both languages with the hotline filled in; source: central (the
    central side's, or the copy kept of it) or default (the packaged one)."""

    version: str
    source: Literal["central", "default"]
    hotline: str
    sections: list[HelpSection]


class HistoryEntry(Model, frozen=True):
    """One line of the merged history; amount_fen is signed (a load is positive)."""

    kind: str
    when: str
    amount_fen: int
    source: Literal["card", "central", "both"]
    details: dict[str, Any] = field(default_factory=dict)


class HistoryPage(Model, frozen=True):
    """Newest first. notice: null, or the reason (card_lost, card_blacklisted) when the
    central side gives no history for the card and the page is the chip's own log. The
    central history needs no payment password: it is shown, not printed."""

    items: list[HistoryEntry]
    next_cursor: str | None = None
    notice: Notice | None = None


class StatementPrinted(Model, frozen=True):
    """The statement as printed: its reference, period, opening and closing balance, count and
    totals."""

    reference: str
    from_: str = field(name="from")
    to: str
    opening_balance_fen: int
    closing_balance_fen: int
    count: int
    totals: dict[str, int]
    printed: bool


class PinResult(Model, frozen=True):
    """Whether the card now has a payment password."""

    pin_set: bool


class LossReportFiled(Model, frozen=True):
    """The loss report: its number, the card's status (lost), the centre's messages and whether
    the slip printed."""

    report_no: str
    status: str
    message: str
    message_zh: str
    printed: bool


class LossCancelled(Model, frozen=True):
    """The loss report cancelled: its number, the card's status (active), the centre's
    messages and whether the slip printed."""

    report_no: str
    status: str
    message: str
    message_zh: str
    printed: bool


class DisputeFiled(Model, frozen=True):
    """The dispute's ticket, the transaction it names, the loss report filed with it (or
    null), whether to offer one now (the card is still active) and whether the slip
    printed."""

    ticket_no: str
    transaction_id: int
    loss_report_no: str | None
    offer_loss_report: bool
    printed: bool


class FeedbackFiled(Model, frozen=True):
    """The ticket number, and whether the ticket printed."""

    ticket_no: str
    printed: bool


# -- remote support: the UI's screenshot (kiosk.sock answers what admin.sock asks) -------
class ScreenshotAnswer(Model, frozen=True):
    """The UI's answer to a ``screenshot`` event (daemon.screenshot)."""

    request_id: str  # the event's; good once, while the request waits
    png_base64: str  # the PNG of the UI's window, base64 (bad_screenshot if it is not one)


class Received(Model, frozen=True):
    """The answer was taken: the operator's request gets the PNG."""

    received: bool


# -- operator and simulator requests (admin.sock) ---------------------------------------
Wait = Annotated[int, _code("bad_timeout", "seconds to wait, 1 to 120 (default 10)", ge=1,
                            le=120)]


class CardRead(Model, frozen=True):
    timeout_s: Wait | None = None  # for a tap


class ScreenshotTake(Model, frozen=True):
    timeout_s: Wait | None = None  # for the UI's answer


class Maintenance(Model, frozen=True):
    on: bool
    message: str | None = None  # null or absent: the default message


class Collect(Model, frozen=True):
    operator: Annotated[str, _code(
        "bad_operator", "your name or staff id, printed on the slip; no control characters "
        "(line breaks, tabs, zero-width or bidi marks)", min_length=1, max_length=40)]


class TimeRange(Model, frozen=True):
    """A period as Unix times (default: everything)."""

    since: Annotated[float, _code("bad_period", "Unix time")] = 0.0
    until: Annotated[float, _code("bad_period", "Unix time")] = float("inf")


class ReceiptsQuery(Model, frozen=True):
    unprinted: Annotated[Literal["0", "1"], _code("bad_request", "1: only those never printed")] \
        = "0"


class Reprint(Model, frozen=True):
    id: str


class BusinessDay(Model, frozen=True):
    date: Annotated[str, _code("bad_date", "YYYY-MM-DD, not in the future")] | None = None


class SimInsert(Model, frozen=True):
    amount_fen: Annotated[int, _code("bad_amount", "a note or coin the simulator has", ge=1)]
    force: bool | None = None


class SimCrash(Model, frozen=True):
    after_step: OrderStep | None = None  # null disarms


class SimTap(Model, frozen=True):
    card_no: str


# -- operator and simulator replies ------------------------------------------------------
class CentralLink(Model, frozen=True):
    url: str
    link: Literal["up", "down", "unauthorized", "unknown"]
    last_ok_at: float | None = None
    last_error: str | None = None


class Clock(Model, frozen=True):
    """This kiosk's clock against the central side's, measured from the heartbeat's
    server_time and a refusal's details.server_time. skew_s: the central side's clock
    minus this kiosk's (positive: the kiosk is behind; null: not measured yet). skewed:
    past the signature window (window_s), or the central side's last answer refused
    this kiosk's timestamp (refused): money is refused with 503 clock_skew until it
    is back."""

    state: ClockState
    skew_s: float | None
    measured_at: float | None  # this kiosk's Unix time when measured
    refused: bool
    window_s: int  # the signature window, seconds either way


class Outbox(Model, frozen=True):
    """Events waiting for the central side (depth) and those it refused (parked)."""

    depth: int
    parked: list[dict[str, Any]] = field(default_factory=list)


class Status(Model, frozen=True):
    """Devices, link and versions. devices: reader (state, path, taps), printer (name,
    paper, status, printed), cash (inhibited, reason, faults, cashbox counters).
    maintenance: the message while out of service (the operator's or the central window's)."""

    kiosk_id: str
    version: str
    simulate: bool
    uptime_s: float
    screen: str
    maintenance: str | None
    devices: dict[str, Any]
    central: CentralLink
    clock: Clock
    config: str | None
    outbox: Outbox


class Audit(Model, frozen=True):
    """Cash in = credited + pending, per top-up session and in total; holds=false where
    cash in differs from credited + pending."""

    since: float
    until: float | None  # null: up to now
    sessions: list[dict[str, Any]]
    totals: dict[str, int]
    cash_counts: dict[str, int]  # notes and coins by value in fen
    holds: bool
    # outside the cash equation, [count, fen] by credited/pending/refused: balance
    # transfers (no cash) and overdraft repayments (cash of top-ups, also in the equation)
    transfers: dict[str, list[int]] = field(default_factory=dict)
    repayments: dict[str, list[int]] = field(default_factory=dict)


class PrintResult(Model, frozen=True):
    """Printed, or not (printed=false with the error); preview: the PNG a simulated
    printer keeps."""

    reference: str
    printed: bool
    bytes: int | None = None
    status: dict[str, Any] | None = None
    preview: str | None = None
    error: str | None = None


class JournaledReceipt(Model, frozen=True):
    id: str
    kind: str
    created_at: float
    printed_at: float | None = None  # null: never printed
    last_error: str | None = None


class Receipts(Model, frozen=True):
    """The newest journaled receipts."""

    receipts: list[JournaledReceipt]


class SimInserted(Model, frozen=True):
    """What the simulated acceptor did and what the journal recorded."""

    amount_fen: int
    accepted: bool
    journaled: list[dict[str, Any]]
    completed: bool | None = None
    inhibited: bool | None = None
    inhibit_reason: str | None = None


class SimCards(Model, frozen=True):
    """The virtual cards in the wallet."""

    cards: list[str]


class Tapped(Model, frozen=True):
    """The virtual card put on the reader, and when."""

    tapped: str
    at: float


class Removed(Model, frozen=True):
    """The card was taken off the reader."""

    removed: bool


class Screenshot(Model, frozen=True):
    """What the cardholder sees, taken by the running UI: its window as a PNG."""

    png_base64: str
    width: int
    height: int
    bytes: int  # of the PNG
    taken_at: float  # Unix time, when kioskd received it


class Armed(Model, frozen=True):
    """The order step kioskd will be killed after (null: disarmed)."""

    armed: OrderStep | None


def ascii_digits(text: str, lengths: range) -> bool:
    """``text`` is ASCII digits only, and as long as one of ``lengths``.

    ``str.isdigit()`` alone also takes full-width (``１２３``) and other Unicode
    digits, which the card centre does not know and a URL would carry raw."""
    return text.isascii() and text.isdigit() and len(text) in lengths


CURSOR_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def is_cursor(text: str) -> bool:
    """A history cursor as the central side issues them (1-64 of ``A-Za-z0-9_-``)."""
    return 1 <= len(text) <= 64 and set(text) <= CURSOR_CHARS
