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

from typing import Annotated, Any, Literal

from msgspec import Meta, field

from protocol.helpdoc import HelpDocument, HelpSection
from protocol.wire import Model

__all__ = [
    "Bill",
    "Blacklist",
    "CardInfo",
    "CardTransfer",
    "CentralNotice",
    "CentralNotices",
    "CentralRequest",
    "Confirm",
    "Discount",
    "Dispute",
    "DisputeCreate",
    "DisputedTransaction",
    "Feedback",
    "FeedbackTicket",
    "HelpDocument",
    "HelpSection",
    "InitResponse",
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
    "PinChange",
    "PinResult",
    "PinSet",
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
class CentralRequest(Model, frozen=True, omit_defaults=True):
    """A request body; an optional field left at its default is not sent."""


class LoadOrderCreate(CentralRequest, frozen=True):
    """``POST /v1/load-orders``: cash in (or points) to be loaded onto the card."""

    card_no: str
    amount_fen: Amount
    terminal_id: str
    balance_fen: Fen | None = None  # the card's balance as read, for the balance cap


class TransferCreate(CentralRequest, frozen=True):
    """``POST /v1/cards/{card_no}/transfer``: the old card's balance (what fits) loaded
    onto the replacement card."""

    amount_fen: Amount
    terminal_id: str
    balance_fen: Fen | None = None


class RepaymentCreate(CentralRequest, frozen=True):
    """``POST /v1/cards/{card_no}/repayments``: cash that repays an overdraft."""

    amount_fen: Amount
    terminal_id: str


class PurchaseOrderCreate(CentralRequest, frozen=True):
    """``POST /v1/purchase-orders``: a bill paid from the card's e-purse."""

    card_no: str
    bill_id: str
    amount_fen: Amount
    terminal_id: str
    pin_block: str | None = None  # ISO 9564 format 4, hex


class InitResponse(CentralRequest, frozen=True):
    """``POST …/mac2`` and ``…/mac1``: the card's INITIALIZE answer, hex."""

    init_response: str


class Confirm(CentralRequest, frozen=True):
    """``POST …/confirm``: the card's TAC (and a purchase's MAC2), or its log record."""

    tac: str | None = None
    mac2: str | None = None
    card_record: str | None = None


class StatementRequest(CentralRequest, frozen=True):
    from_: str = field(name="from")
    to: str
    pin_block: str | None = None


class RedeemPoints(CentralRequest, frozen=True):
    points: Amount
    terminal_id: str


class PinSet(CentralRequest, frozen=True):
    new_pin_block: str
    id_last6: str


class PinChange(CentralRequest, frozen=True):
    old_pin_block: str
    new_pin_block: str


class LossReportRequest(CentralRequest, frozen=True):
    """The payment password's PIN block, or the ID's last 6 (one of them)."""

    pin_block: str | None = None
    id_last6: str | None = None


class DisputeCreate(CentralRequest, frozen=True):
    """A transaction of the card's history; a PIN block or the ID's last 6 (one of them)
    reports the card lost too."""

    transaction_id: Annotated[int, Meta(ge=1)]
    pin_block: str | None = None
    id_last6: str | None = None


class Feedback(CentralRequest, frozen=True):
    category: str
    text: str
    phone: str | None = None
    card_no: str | None = None
