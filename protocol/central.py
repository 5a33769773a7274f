"""Requests and replies of the central API, as the kiosk sends and reads them
(docs/central-api.yaml).

kioskd decodes every central answer that matters into one of these
(:func:`protocol.wire.decode_reply`; ``daemon.central.reply_as``): a reply of
the wrong type, without a field the kiosk acts on, with a negative amount or
a MAC that is not 4 bytes of hex is *malformed* — an error the session
handles (``central_malformed``), never money. Amounts are integer fen and
never negative here, except a transaction's signed ``amount_fen``.

The field names and types are central-api.yaml's. A field the kiosk acts on is
required; one it only shows or ignores has a default, so an older or newer
central side that leaves it out is still read — the reference server
(``central/``, issue 14) sends them all. Models of one order at different
steps (:class:`OrderCreated`, :class:`Mac2Issued`, …) are the same
``LoadOrder`` answer read for what that step needs.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, field

from protocol.helpdoc import HelpDocument, HelpSection
from protocol.wire import Model

__all__ = [
    "MAX_AMOUNT_FEN",
    "AmountAsked",
    "BalanceRead",
    "Bill",
    "BillQuery",
    "Blacklist",
    "CardInfo",
    "CardNo",
    "CardRecord",
    "CardTransfer",
    "CentralNotice",
    "CentralNotices",
    "CentralQuery",
    "CentralRequest",
    "Day",
    "Discount",
    "Dispute",
    "DisputeCreate",
    "DisputedTransaction",
    "EventBatch",
    "EventKind",
    "Feedback",
    "FeedbackCategory",
    "FeedbackTicket",
    "Heartbeat",
    "HelpDocument",
    "HelpSection",
    "HistoryQuery",
    "IdLast6",
    "InitForLoad",
    "InitForPurchase",
    "KioskEvent",
    "LoadCancel",
    "LoadConfirm",
    "LoadInitAnswer",
    "LoadLimits",
    "LoadOrder",
    "LoadOrderCreate",
    "LossCancelled",
    "LossReport",
    "LossReportRequest",
    "Mac1Issued",
    "Mac2Issued",
    "OrderConfirmed",
    "OrderCreated",
    "PendingLoad",
    "PinBlock",
    "PinChange",
    "PinResult",
    "PinSet",
    "PinVerify",
    "PurchaseCancel",
    "PurchaseConfirm",
    "PurchaseInitAnswer",
    "PurchaseOrderCreate",
    "RedeemPoints",
    "RedeemedLoad",
    "Redemption",
    "Repayment",
    "RepaymentCreate",
    "ServerClock",
    "Statement",
    "StatementRequest",
    "Transaction",
    "TransactionPage",
    "TransferCreate",
    "TransferCreated",
    "Utility",
    "one_of",
    "plain",
]

Fen = Annotated[int, Meta(ge=0, description="fen, never negative")]
Amount = Annotated[int, Meta(ge=1, description="fen, at least 1")]
# A pattern is a search, where "$" also matches before a final newline: each fixed-size
# field carries its length too, so "1A2B3C4D\n" is refused.
Mac = Annotated[str, Meta(pattern="^[0-9A-Fa-f]{8}$", min_length=8, max_length=8,
                          description="4 bytes, hex")]
HostDate = Annotated[str, Meta(pattern="^[0-9]{8}$", min_length=8, max_length=8,
                               description="YYYYMMDD (BCD on the card)")]
HostTime = Annotated[str, Meta(pattern="^[0-9]{6}$", min_length=6, max_length=6,
                               description="hhmmss (BCD on the card)")]
OrderId = Annotated[str, Meta(min_length=1, max_length=64)]
TerminalId = Annotated[str, Meta(pattern="^[0-9A-Fa-f]{12}$", min_length=12, max_length=12,
                                 description="6 bytes, hex: the terminal number on the card")]


# -- cards ---------------------------------------------------------------------------------
class PendingLoad(Model, frozen=True):
    """A load held by the central side for this card, waiting for the card."""

    order_id: OrderId
    amount_fen: Fen
    status: str = "created"
    source: str = "cash"
    created_at: str | None = None
    terminal_id: str | None = None


class LoadLimits(Model, frozen=True):
    single_max_fen: Fen
    daily_remaining_fen: Fen
    purse_cap_fen: Fen
    daily_max_fen: Fen | None = None
    daily_used_fen: Fen | None = None


class Discount(Model, frozen=True):
    """The card type's ride discount (percent off the fare) and the transfer discount
    off a second ride within the window."""

    bus_percent: Annotated[int, Meta(ge=0, le=100)]
    metro_percent: Annotated[int, Meta(ge=0, le=100)]
    transfer_off_fen: Fen
    transfer_window_min: Annotated[int, Meta(ge=0)]


class CardTransfer(Model, frozen=True):
    """A replacement card's balance transfer from the lost card it replaces: held until
    ``available_at``, then ``transferable_fen`` may move (central/routes/lifecycle.py)."""

    old_card_no: Annotated[str, Meta(min_length=1)]
    status: Literal["held", "available", "in_progress", "done"]
    available_at: Annotated[str, Meta(min_length=1)]  # ISO 8601
    transferable_fen: Fen
    # the old card's AID, which says how its number is printed (absent: an older centre)
    old_aid: str | None = None
    confirmed_balance_fen: Fen | None = None
    late_fen: Fen | None = None
    transferred_fen: Fen | None = None


class Blacklist(Model, frozen=True):
    """Why a blacklisted card is (overdraft | fraud | other; another reason reads as
    other) and what an overdraft owes."""

    reason: Annotated[str, Meta(min_length=1)]
    owed_fen: Fen


class CardInfo(Model, frozen=True):
    """``GET /v1/cards/{card_no}``: the central side's view of a card."""

    status: str
    card_type: str
    points: Fen
    discount: Discount | None = None  # absent from an older central side
    pending_loads: list[PendingLoad] = field(default_factory=list)
    load_limits: LoadLimits | None = None
    card_no: str | None = None
    holder_name_masked: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    pin_set: bool | None = None
    pin_locked_until: str | None = None
    transfer: CardTransfer | None = None  # a replacement card only
    blacklist: Blacklist | None = None  # a blacklisted card only


# -- load and purchase orders, read at each step ------------------------------------------
class OrderCreated(Model, frozen=True):
    """``POST /v1/load-orders`` or ``/v1/purchase-orders``: the order the centre made."""

    order_id: OrderId
    terminal_id: TerminalId


class TransferCreated(OrderCreated, frozen=True):
    """``POST /v1/cards/{card_no}/transfer``: the load order of source transfer, and what
    stays transferable after it."""

    transferable_left_fen: Fen


class Mac2Issued(Model, frozen=True):
    """``POST /v1/load-orders/{id}/mac2``: what CREDIT FOR LOAD needs."""

    mac2: Mac
    host_date: HostDate
    host_time: HostTime


class Mac1Issued(Model, frozen=True):
    """``POST /v1/purchase-orders/{id}/mac1``: what DEBIT FOR PURCHASE needs."""

    mac1: Mac
    host_date: HostDate
    host_time: HostTime
    terminal_seq: Annotated[int, Meta(ge=0, le=0xFFFFFFFF)]


class OrderConfirmed(Model, frozen=True):
    """``POST …/confirm``: ``completed`` with the balance the card now holds."""

    status: str
    balance_after_fen: Fen | None = None


class LoadOrder(Model, frozen=True):
    """``GET /v1/load-orders/{id}`` (a pending load about to be completed)."""

    order_id: OrderId
    amount_fen: Amount
    status: Literal["created", "mac2_issued", "completed", "cancelled"]
    terminal_id: TerminalId
    host_date: HostDate | None = None
    host_time: HostTime | None = None
    mac2: Mac | None = None
    source: str | None = None
    card_no: str | None = None


class RedeemedLoad(Model, frozen=True):
    order_id: OrderId
    amount_fen: Amount


class Redemption(Model, frozen=True):
    """``POST /v1/cards/{card_no}/points/redeem``: the load order the points became."""

    order: RedeemedLoad
    points_left: Fen | None = None


# -- bills -------------------------------------------------------------------------------
class Bill(Model, frozen=True):
    """``GET /v1/bills``: a utility bill (shown, then paid from the card)."""

    bill_id: Annotated[str, Meta(min_length=1)]
    amount_due_fen: Fen
    status: Literal["unpaid", "paid"] = "unpaid"
    utility: str | None = None
    account_no: str | None = None
    payee: str | None = None
    payee_zh: str | None = None
    holder_name_masked: str | None = None
    period: str | None = None
    due_date: str | None = None
    pin_required: bool | None = None


# -- history and statements --------------------------------------------------------------
class Transaction(Model, frozen=True):
    """One central transaction; ``amount_fen`` is the signed change of the e-purse."""

    kind: str
    occurred_at: str
    amount_fen: int
    id: int | None = None
    balance_after_fen: int | None = None
    fare_fen: Fen | None = None
    ride_discount_fen: Fen | None = None
    transfer_discount_fen: Fen | None = None
    mode: str | None = None
    line: str | None = None
    station: str | None = None
    merchant: str | None = None
    description: str | None = None
    points_delta: int | None = None
    terminal_id: str | None = None
    order_id: str | None = None


class TransactionPage(Model, frozen=True):
    items: list[Transaction]
    next_cursor: str | None = None


class Statement(Model, frozen=True):
    opening_balance_fen: int
    closing_balance_fen: int
    items: list[Transaction]
    totals: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


# -- notices and help (fetched with the heartbeat) -----------------------------------------
Text = Annotated[str, Meta(min_length=1)]


class CentralNotice(Model, frozen=True):
    """One entry of ``GET /v1/notices``: an announcement or a maintenance window
    (times ISO 8601, the central side's)."""

    notice_id: int
    kind: Literal["announcement", "maintenance"]
    title: Text
    title_zh: Text
    body: Text
    body_zh: Text
    starts_at: str
    ends_at: str
    active: bool | None = None


class CentralNotices(Model, frozen=True):
    """``GET /v1/notices``. The entries are read one by one (:class:`CentralNotice`):
    a malformed one is left out, not the list."""

    notices: list[Any]


# ``GET /v1/help`` is :class:`protocol.helpdoc.HelpDocument` (its one shape, shared with
# the packaged default), read with :func:`protocol.helpdoc.parse_help`.


# -- account services --------------------------------------------------------------------
class PinResult(Model, frozen=True):
    pin_set: bool


class LossReport(Model, frozen=True):
    report_no: Annotated[str, Meta(min_length=1)]
    status: str
    message: str
    message_zh: str


class FeedbackTicket(Model, frozen=True):
    ticket_no: Annotated[str, Meta(min_length=1)]


# -- the central side's clock --------------------------------------------------------------
class ServerClock(Model, frozen=True):
    """The central side's clock in an answer that carries it: the heartbeat's answer
    (``HeartbeatAck``, otherwise read as a dict) and the ``details`` of a ``401
    unauthorized``. Read on its own (``daemon.clockskew.server_time_of``): a
    malformed ``server_time`` measures nothing and refuses nothing."""

    server_time: Annotated[int, Meta(gt=0, description="Unix seconds: the server's clock")]


class LossCancelled(Model, frozen=True):
    """``POST /v1/cards/{card_no}/loss-report/cancel``: the card works again."""

    message: str
    message_zh: str
    status: str = "active"
    report_no: str | None = None
    cancelled_at: str | None = None


class DisputedTransaction(Model, frozen=True):
    id: Annotated[int, Meta(ge=1)]
    occurred_at: str
    amount_fen: int  # signed, as in the history
    kind: str | None = None
    order_id: str | None = None
    terminal_id: str | None = None


class Dispute(Model, frozen=True):
    """``POST /v1/cards/{card_no}/disputes``: the ticket, the transaction it names and the
    loss report filed with it (None when not asked for)."""

    ticket_no: Annotated[str, Meta(min_length=1)]
    transaction: DisputedTransaction
    loss_report_no: Annotated[str, Meta(min_length=1)] | None = None
    created_at: str | None = None


class Repayment(Model, frozen=True):
    """``POST /v1/cards/{card_no}/repayments``: what is still owed after it, and whether
    the blacklist entry was lifted (nothing owed)."""

    repayment_id: Annotated[str, Meta(min_length=1)]
    owed_fen: Fen
    lifted: bool
    amount_fen: Fen | None = None
    owed_before_fen: Fen | None = None
    status: str | None = None


def plain(model: Model) -> dict[str, Any]:
    """A decoded reply as the dict the kiosk's older readers take (fields left out: None)."""
    return {f: getattr(model, f) for f in model.__struct_fields__}


# -- what kioskd sends ---------------------------------------------------------------------
# These are the server's request schemas too: central/schemas.py generates the published
# components from them and the server validates every body against those (issue 14). So
# a request field carries every constraint the server enforces. The kiosk only encodes
# them (msgspec checks ``Meta`` when decoding), so a constraint here never stops kioskd
# from sending; the server's 400 does.
MAX_AMOUNT_FEN = 10_000_000  # 100,000 yuan: the most any request may name

CardNo = Annotated[str, Meta(pattern="^[0-9]{20}$", min_length=20, max_length=20,
                             description="20-digit application serial")]
AmountAsked = Annotated[int, Meta(ge=1, le=MAX_AMOUNT_FEN, description="fen (1/100 yuan)")]
BalanceRead = Annotated[int, Meta(ge=0, le=MAX_AMOUNT_FEN,
                                  description="balance read from the card, to check the "
                                              "e-purse cap early")]
PinBlock = Annotated[str, Meta(pattern="^[0-9A-Fa-f]{32}$", min_length=32, max_length=32,
                               description="ISO 9564-1 format-4 PIN block, AES-128 under the "
                                           "kiosk's PIN key (16 bytes as 32 hex digits)")]
IdLast6 = Annotated[str, Meta(pattern="^[0-9]{5}[0-9Xx]$", min_length=6, max_length=6,
                              description="last 6 characters of the holder's ID number")]
Day = Annotated[str, Meta(pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$", min_length=10,
                          max_length=10)]
LoadInitAnswer = Annotated[str, Meta(
    pattern="^[0-9A-Fa-f]{32}$", min_length=32, max_length=32,
    description="the card's answer to INITIALIZE FOR LOAD: balance, online counter, key "
                "version, algorithm id, random, MAC1 (16 bytes as 32 hex digits)")]
PurchaseInitAnswer = Annotated[str, Meta(
    pattern="^[0-9A-Fa-f]{30}$", min_length=30, max_length=30,
    description="the card's answer to INITIALIZE FOR PURCHASE: balance, offline counter, "
                "overdraft limit, key version, algorithm id, random (15 bytes as 30 hex "
                "digits)")]
CardRecord = Annotated[str, Meta(pattern="^[0-9A-Fa-f]{46}$", min_length=46, max_length=46,
                                 description="record 1 of SFI 0x18 read after a card tear "
                                             "(23 bytes as 46 hex digits)")]
Utility = Literal["water", "electricity", "gas"]
EventKind = Literal["fault", "fault_cleared", "cashbox_collection", "settlement",
                    "maintenance", "receipt_failed", "other"]
FeedbackCategory = Literal["card", "top_up", "bill_payment", "kiosk_fault", "receipt",
                           "service", "other"]


def one_of(*alternatives: tuple[str, ...]) -> dict[str, Any]:
    """A request's JSON Schema addition: exactly one of these sets of fields is sent."""
    return {"oneOf": [{"required": list(fields)} for fields in alternatives]}


class CentralRequest(Model, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A request body. An optional field is ``X | None = None``: left at None it is not
    sent at all (``omit_defaults``), so on the wire it is *absent*, never null — the
    server's schema (central/schemas.py) says so. Unknown fields are refused
    (``forbid_unknown_fields``: the schema's ``additionalProperties: false``).
    ``json_schema_extra`` is what a field list cannot say (which fields go together),
    added to the generated schema."""

    json_schema_extra: ClassVar[dict[str, Any]] = {}


class LoadOrderCreate(CentralRequest, frozen=True):
    """``POST /v1/load-orders``: cash in (or points) to be loaded onto the card."""

    card_no: CardNo
    amount_fen: AmountAsked
    terminal_id: TerminalId
    balance_fen: BalanceRead | None = None  # the card's balance as read, for the balance cap


class TransferCreate(CentralRequest, frozen=True):
    """``POST /v1/cards/{card_no}/transfer``: the old card's balance (what fits) loaded
    onto the replacement card."""

    amount_fen: AmountAsked
    terminal_id: TerminalId
    balance_fen: BalanceRead | None = None


class RepaymentCreate(CentralRequest, frozen=True):
    """``POST /v1/cards/{card_no}/repayments``: cash that repays an overdraft."""

    amount_fen: Annotated[AmountAsked, Meta(description="fen, at most owed_fen")]
    terminal_id: Annotated[TerminalId, Meta(description="the kiosk's terminal id")] | None = None


class PurchaseOrderCreate(CentralRequest, frozen=True):
    """``POST /v1/purchase-orders``: a bill paid from the card's e-purse; ``pin_block``
    when the bill's ``pin_required`` is true."""

    card_no: CardNo
    bill_id: Annotated[str, Meta(min_length=1, max_length=40)]
    amount_fen: AmountAsked
    terminal_id: TerminalId
    pin_block: PinBlock | None = None


class InitForLoad(CentralRequest, frozen=True):
    """``POST /v1/load-orders/{id}/mac2``: the card's INITIALIZE FOR LOAD answer."""

    init_response: LoadInitAnswer
    terminal_id: Annotated[TerminalId, Meta(
        description="the terminal id sent in INITIALIZE FOR LOAD, when a pending load is "
                    "finished at another kiosk")] | None = None


class InitForPurchase(CentralRequest, frozen=True):
    """``POST /v1/purchase-orders/{id}/mac1``: the card's INITIALIZE FOR PURCHASE answer."""

    init_response: PurchaseInitAnswer


class LoadConfirm(CentralRequest, frozen=True):
    """``POST /v1/load-orders/{id}/confirm``: the card's TAC, or its log record after a
    card tear (one of them)."""

    json_schema_extra: ClassVar[dict[str, Any]] = one_of(("tac",), ("card_record",))

    tac: Annotated[Mac, Meta(description="TAC answered by CREDIT FOR LOAD")] | None = None
    card_record: CardRecord | None = None


class PurchaseConfirm(LoadConfirm, frozen=True):
    """``POST /v1/purchase-orders/{id}/confirm``: the card's TAC and MAC2, or its log
    record after a card tear."""

    json_schema_extra: ClassVar[dict[str, Any]] = one_of(("tac", "mac2"), ("card_record",))

    mac2: Annotated[Mac, Meta(description="MAC2 answered by DEBIT FOR PURCHASE")] | None = None


class LoadCancel(CentralRequest, frozen=True):
    """``POST /v1/load-orders/{id}/cancel``: why, if the kiosk says."""

    reason: Literal["customer_cancelled", "cash_refunded", "card_error", "timeout",
                    "other"] | None = None


class PurchaseCancel(CentralRequest, frozen=True):
    """``POST /v1/purchase-orders/{id}/cancel``: why, if the kiosk says."""

    reason: Literal["customer_cancelled", "card_error", "timeout", "other"] | None = None


class StatementRequest(CentralRequest, frozen=True):
    """``POST /v1/cards/{card_no}/statement``: the days (China time, inclusive) and the
    payment password of a card that has one."""

    from_: Annotated[Day, Meta(description="first day (China time), inclusive")] = field(
        name="from")
    to: Annotated[Day, Meta(description="last day (China time), inclusive")]
    pin_block: PinBlock | None = None


class RedeemPoints(CentralRequest, frozen=True):
    points: Annotated[int, Meta(ge=1, le=MAX_AMOUNT_FEN,
                                description="a multiple of points_per_yuan")]
    terminal_id: TerminalId


class PinVerify(CentralRequest, frozen=True):
    pin_block: PinBlock


class PinSet(CentralRequest, frozen=True):
    new_pin_block: PinBlock
    id_last6: IdLast6


class PinChange(CentralRequest, frozen=True):
    old_pin_block: PinBlock
    new_pin_block: PinBlock


class LossReportRequest(CentralRequest, frozen=True):
    """The payment password's PIN block, or the ID's last 6 (one of them): a loss
    report, and the found card's cancelling of it."""

    json_schema_extra: ClassVar[dict[str, Any]] = one_of(("pin_block",), ("id_last6",))

    pin_block: PinBlock | None = None
    id_last6: IdLast6 | None = None


class DisputeCreate(CentralRequest, frozen=True):
    """A transaction of the card's history; a PIN block or the ID's last 6 (one of them)
    reports the card lost too."""

    json_schema_extra: ClassVar[dict[str, Any]] = {
        "not": {"required": ["pin_block", "id_last6"]}}

    transaction_id: Annotated[int, Meta(
        ge=1, description="the transaction's id in this card's history")]
    pin_block: Annotated[PinBlock, Meta(
        description="report the card lost too, with its payment password")] | None = None
    id_last6: Annotated[IdLast6, Meta(
        description="report the card lost too, with the last 6 of the holder's ID")
    ] | None = None


class Feedback(CentralRequest, frozen=True):
    category: FeedbackCategory
    text: Annotated[str, Meta(min_length=1, max_length=500)]
    phone: Annotated[str, Meta(pattern="^1[0-9]{10}$", min_length=11, max_length=11)
                     ] | None = None
    card_no: CardNo | None = None


class Heartbeat(CentralRequest, frozen=True):
    """``POST /v1/kiosk/heartbeat``: the kiosk's periodic status."""

    software_version: Annotated[str, Meta(max_length=64)]
    state: Annotated[str, Meta(max_length=32,
                               description="e.g. idle, in_session, maintenance, offline")]
    devices: Annotated[dict[str, Annotated[str, Meta(max_length=64)]],
                       Meta(description="device name → status")] | None = None
    cashbox_fen: Fen | None = None
    queue_depth: Annotated[int, Meta(ge=0)] | None = None


class KioskEvent(CentralRequest, frozen=True):
    event_id: Annotated[str, Meta(pattern="^[A-Za-z0-9_.:-]{1,64}$", min_length=1,
                                  max_length=64,
                                  description="unique per kiosk; a resent event is counted "
                                              "as a duplicate")]
    kind: EventKind
    occurred_at: Annotated[str, Meta(min_length=1, max_length=40,
                                     description="ISO 8601 as the kiosk recorded it")]
    data: dict[str, Any] | None = None


class EventBatch(CentralRequest, frozen=True):
    """``POST /v1/kiosk/events``: kiosk events (faults, cashbox collections, settlements)."""

    events: Annotated[list[KioskEvent], Meta(min_length=1, max_length=100)]


# -- what kioskd asks in a query -----------------------------------------------------------
class CentralQuery(Model, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A GET's query parameters (a field left None is not sent); the server's ``Param``
    list is generated from it (central/schemas.py, ``query_params``)."""


class BillQuery(CentralQuery, frozen=True):
    """``GET /v1/bills``: the account's newest unpaid bill, else its newest paid one."""

    utility: Annotated[Utility, Meta(description="utility")]
    account_no: Annotated[str, Meta(pattern="^[0-9]{6,20}$", min_length=6, max_length=20,
                                    description="account number as printed on the bill")]


class HistoryQuery(CentralQuery, frozen=True):
    """``GET /v1/cards/{card_no}/transactions``: one page of the card's history."""

    limit: Annotated[int, Meta(ge=1, le=100, description="page size (default 20)")
                     ] | None = None
    cursor: Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{1,64}$", min_length=1, max_length=64,
                                description="next_cursor of the previous page")] | None = None
    from_: Annotated[Day, Meta(description="first day (China time), inclusive")] | None = field(
        default=None, name="from")
    to: Annotated[Day, Meta(description="last day (China time), inclusive")] | None = None
    kind: Annotated[Literal["ride", "purchase", "load", "bill_payment", "points"],
                    Meta(description="only this kind")] | None = None
