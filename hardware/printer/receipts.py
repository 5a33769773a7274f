"""Builders for every receipt the kiosk prints, in Chinese or English.

Each builder takes a :class:`ReceiptContext` (kiosk, language, MAC key) and a
frozen dataclass of facts from the journal, checks that the facts add up
(bad input changes nothing and says why: :class:`ValueError`), and returns a
:class:`~hardware.printer.model.Receipt`. Amounts are integer fen, formatted
by :func:`~protocol.money.format_fen`; card numbers are masked.

Every fact is printed in the receipt's language where it has one (a payee, a
statement's kinds, a feedback category). Times are printed in the context's
zone (the kiosk's configured one, China time by default) whatever the host's:
an aware time is converted, a naive one is taken as the host's clock — what
``datetime.now()`` gives — and converted too. Text that reaches paper holds no
control character (:class:`~hardware.printer.model.Receipt` and its lines strip
them on construction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hardware.printer.labels import LABELS, LANGUAGES, label
from hardware.printer.model import Align, Blank, Line, Receipt, Row, Rule, Text
from hardware.printer.qr import qr_payload
from hardware.printer.text import mask_card, mask_phone
from protocol.money import format_fen

__all__ = [
    "BUILDERS",
    "DEFAULT_ZONE",
    "BalanceTransfer",
    "BillPayment",
    "CashboxCollectionSlip",
    "DailySettlement",
    "DisputeSlip",
    "FeedbackTicket",
    "LossCancelled",
    "LossReport",
    "OverdraftRepayment",
    "PendingLoadVoucher",
    "PrinterTestPage",
    "ReceiptContext",
    "RefundVoucher",
    "Statement",
    "StatementEntry",
    "TopUp",
    "bill_payment_receipt",
    "build_receipt",
    "collection_slip",
    "dispute_slip",
    "feedback_ticket",
    "loss_cancelled_slip",
    "loss_report_slip",
    "pending_load_voucher",
    "printer_test_page",
    "refund_voucher",
    "repayment_receipt",
    "settlement_report",
    "statement_receipt",
    "topup_receipt",
    "transfer_receipt",
]

Counts = tuple[tuple[int, int], ...]  # (value in fen, how many), largest first on paper

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")  # the card log's and the central side's time


@dataclass(frozen=True)
class ReceiptContext:
    """What every receipt needs besides its facts."""

    kiosk_id: str
    language: str
    mac_key: bytes
    site: str = ""
    hotline: str = ""
    zone: tzinfo = DEFAULT_ZONE  # every time printed is in this zone
    reprinted_at: datetime | None = None  # set: the receipt is a reprint, marked as one

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")

    def t(self, key: str) -> str:
        return label(key, self.language)

    def named(self, group: str, code: str, fallback: str | None = None) -> str:
        """The human name of a code (``group.code`` in the labels), else ``fallback``
        (default: the code itself)."""
        key = f"{group}.{code}"
        return self.t(key) if key in LABELS else (code if fallback is None else fallback)

    def local(self, moment: datetime) -> datetime:
        """``moment`` on this receipt's clock (a naive time is the host's own clock)."""
        return moment.astimezone(self.zone)


@dataclass(frozen=True)
class TopUp:
    reference: str
    when: datetime
    card_number: str
    amount_fen: int
    balance_before_fen: int
    balance_after_fen: int
    notes: Counts = ()
    card_tx_no: int | None = None
    tac: str | None = None


@dataclass(frozen=True)
class PendingLoadVoucher:
    reference: str
    when: datetime
    card_number: str
    amount_fen: int
    reason: str  # walked_away | card_removed | offline | restart | refused
    valid_until: date | None = None
    notes: Counts = ()


@dataclass(frozen=True)
class RefundVoucher:
    """Cash of a top-up that will not be loaded, owed back to the cardholder: the
    centre refused the load, or the cash went over the load limits (``loaded_fen``,
    the part that fitted, has its own receipt or pending voucher)."""

    reference: str
    when: datetime
    card_number: str
    amount_fen: int  # to refund
    reason: str  # refused | over_limit
    notes: Counts = ()  # the top-up's cash: amount_fen + loaded_fen
    loaded_fen: int = 0


@dataclass(frozen=True)
class BillPayment:
    reference: str
    when: datetime
    card_number: str
    bill_type: str  # water | electricity | gas
    payee: str  # the payee's name in English (central's ``payee``)
    account_no: str
    holder_masked: str
    period: str
    amount_fen: int
    balance_after_fen: int
    payee_zh: str = ""  # and in Chinese (``payee_zh``): a Chinese receipt prints this one


@dataclass(frozen=True)
class LossReport:
    reference: str
    when: datetime
    card_number: str
    outlets: tuple[str, ...] = ()


@dataclass(frozen=True)
class LossCancelled:
    """解挂: the found card works again."""

    reference: str  # the loss report's number
    when: datetime
    card_number: str


@dataclass(frozen=True)
class BalanceTransfer:
    """The old (lost) card's balance loaded onto its replacement."""

    reference: str
    when: datetime
    card_number: str  # the new card
    old_card_number: str
    amount_fen: int
    balance_before_fen: int
    balance_after_fen: int
    left_fen: int = 0  # still transferable (it did not fit under the cap)
    tac: str | None = None


@dataclass(frozen=True)
class OverdraftRepayment:
    """A cash top-up of a card blacklisted for an overdraft: the debt first, then the rest
    loaded (``loaded_fen``, 0 when all of it went to the debt)."""

    reference: str
    when: datetime
    card_number: str
    cash_fen: int
    repaid_fen: int
    owed_before_fen: int
    owed_after_fen: int
    loaded_fen: int
    balance_before_fen: int
    balance_after_fen: int
    notes: Counts = ()
    tac: str | None = None


@dataclass(frozen=True)
class DisputeSlip:
    """A transaction the cardholder says they did not make (疑似盗刷)."""

    ticket_no: str
    when: datetime
    card_number: str
    transaction_ref: str
    transaction_when: datetime | None  # None: the centre's time could not be read
    amount_fen: int
    loss_report_no: str | None = None


@dataclass(frozen=True)
class FeedbackTicket:
    ticket_no: str
    when: datetime
    category: str  # a code (kiosk_fault, top_up, …): printed by its name
    phone: str | None = None


@dataclass(frozen=True)
class StatementEntry:
    """One transaction; the builder words it from its facts in the receipt's language."""

    when: datetime
    kind: str  # ride | load | purchase | bill_payment | points | refund | …: printed by name
    description: str  # free text, printed when the facts below say nothing
    amount_fen: int  # signed: + into the purse, - out of it
    mode: str | None = None  # ride: bus | metro
    line: str | None = None  # ride: the bus or metro line
    station: str | None = None  # ride: the metro station
    merchant: str | None = None  # purchase: the shop; bill payment: the payee
    points_delta: int = 0  # points earned (+) or redeemed (-)
    ride_discount_fen: int = 0  # ride: the card type's discount off the fare
    transfer_discount_fen: int = 0  # ride: the transfer discount
    fare_fen: int | None = None  # ride: the fare before both discounts
    # A statement journaled before the two discounts were told apart has their sum
    # here; its reprint says it as it was printed ("discount").
    discount_fen: int = 0


@dataclass(frozen=True)
class Statement:
    reference: str
    generated_at: datetime
    card_number: str
    period_from: date
    period_to: date
    opening_balance_fen: int
    closing_balance_fen: int
    entries: tuple[StatementEntry, ...] = ()


@dataclass(frozen=True)
class CashboxCollectionSlip:
    reference: str
    when: datetime
    operator: str
    counts: Counts
    unidentified: int = 0
    previous_collection_at: datetime | None = None
    since_install_fen: int = 0
    since_install_pieces: int = 0


@dataclass(frozen=True)
class DailySettlement:
    reference: str
    z_number: int
    business_date: date
    generated_at: datetime
    cash_counts: Counts
    loads_credited_count: int
    loads_credited_fen: int
    loads_pending_count: int
    loads_pending_fen: int
    bills_count: int = 0
    bills_fen: int = 0
    points_loads_count: int = 0
    points_loads_fen: int = 0
    transfer_loads_count: int = 0  # old cards' balances moved to their replacements (no cash)
    transfer_loads_fen: int = 0
    unrecognised_count: int = 0
    loads_owed_count: int = 0  # refused or over the limits: refunded by staff
    loads_owed_fen: int = 0
    unattributed_fen: int = 0  # cash that came with no top-up (in cash_counts too)


@dataclass(frozen=True)
class PrinterTestPage:
    reference: str
    when: datetime
    backend: str
    paper_width_mm: int
    columns: int
    chinese: str
    status: str = "unknown"
    extra: tuple[str, ...] = field(default=())


# -- helpers -----------------------------------------------------------------


def _when(ctx: ReceiptContext, moment: datetime) -> str:
    return ctx.local(moment).strftime("%Y-%m-%d %H:%M:%S")


def _day(d: date) -> str:
    return d.strftime("%Y-%m-%d")


def _header(ctx: ReceiptContext, reference: str, when: datetime) -> list[Line]:
    lines: list[Line] = []
    if ctx.reprinted_at is not None:
        # First thing under the title: a copy must never pass for a second payment.
        lines.append(Text(ctx.t("reprint_mark"), Align.CENTER, bold=True))
    if ctx.site:
        lines.append(Row(ctx.t("site"), ctx.site))
    lines += [
        Row(ctx.t("kiosk"), ctx.kiosk_id),
        Row(ctx.t("time"), _when(ctx, when)),
    ]
    if ctx.reprinted_at is not None:
        lines.append(Row(ctx.t("reprinted_at"), _when(ctx, ctx.reprinted_at)))
    lines += [
        Row(ctx.t("reference"), reference),
        Rule(),
    ]
    return lines


def _footer(ctx: ReceiptContext, *extra: str) -> tuple[str, ...]:
    lines = list(extra)
    if ctx.hotline:
        lines.append(f"{ctx.t('hotline')} {ctx.hotline}")
    lines.append(ctx.t("keep"))
    return tuple(lines)


def _qr(ctx: ReceiptContext, reference: str) -> str:
    return qr_payload(reference, kiosk_id=ctx.kiosk_id, key=ctx.mac_key)


def _count_rows(ctx: ReceiptContext, counts: Counts) -> list[Line]:
    rows: list[Line] = []
    for value, n in sorted(counts, reverse=True):
        if n:
            rows.append(Row(f"  {format_fen(value)} x {n}", format_fen(value * n)))
    return rows


def _counts_total(counts: Counts) -> int:
    for value, n in counts:
        if value <= 0 or n < 0:
            raise ValueError(f"bad count ({value} fen x {n})")
    return sum(value * n for value, n in counts)


def _non_negative(**amounts: int) -> None:
    for name, fen in amounts.items():
        if not isinstance(fen, int) or fen < 0:
            raise ValueError(f"{name} must be a non-negative integer amount in fen, not {fen!r}")


def _entry_kind(ctx: ReceiptContext, entry: StatementEntry) -> str:
    if entry.kind == "ride" and entry.mode:
        return ctx.named("kind", entry.mode, ctx.t("kind.ride"))
    return ctx.named("kind", entry.kind, ctx.t("kind.other"))


def _entry_detail(ctx: ReceiptContext, entry: StatementEntry) -> str:
    """Where or with whom: the line and station, the shop or payee, the points."""
    parts = [p for p in (entry.line, entry.station, entry.merchant) if p]
    if entry.points_delta > 0 and entry.kind == "points":
        parts.append(f"{entry.points_delta:+d} {ctx.t('points_unit')}")
    elif entry.points_delta < 0 and entry.kind == "load":  # a load paid with points
        parts.append(f"{ctx.t('points_redeemed')} {-entry.points_delta}")
    return " ".join(parts) or entry.description


# -- builders ----------------------------------------------------------------


def topup_receipt(ctx: ReceiptContext, data: TopUp) -> Receipt:
    _non_negative(amount_fen=data.amount_fen, balance_before_fen=data.balance_before_fen,
                  balance_after_fen=data.balance_after_fen)
    if data.balance_before_fen + data.amount_fen != data.balance_after_fen:
        raise ValueError("balance before + amount loaded != balance after")
    if data.notes and _counts_total(data.notes) != data.amount_fen:
        raise ValueError("the notes inserted do not add up to the amount loaded")
    lines = _header(ctx, data.reference, data.when)
    lines.append(Row(ctx.t("card"), mask_card(data.card_number)))
    if data.notes:
        lines.append(Text(ctx.t("cash_in")))
        lines += _count_rows(ctx, data.notes)
    lines += [
        Row(ctx.t("topup_amount"), format_fen(data.amount_fen), bold=True),
        Row(ctx.t("balance_before"), format_fen(data.balance_before_fen)),
        Row(ctx.t("balance_after"), format_fen(data.balance_after_fen), bold=True),
    ]
    if data.card_tx_no is not None:
        lines.append(Row(ctx.t("card_tx"), str(data.card_tx_no)))
    if data.tac:
        lines.append(Row(ctx.t("tac"), data.tac))
    return Receipt("topup", ctx.language, data.reference, ctx.t("title.topup"), tuple(lines),
                   _qr(ctx, data.reference), _footer(ctx))


def pending_load_voucher(ctx: ReceiptContext, data: PendingLoadVoucher) -> Receipt:
    _non_negative(amount_fen=data.amount_fen)
    if data.notes and _counts_total(data.notes) != data.amount_fen:
        raise ValueError("the notes inserted do not add up to the amount pending")
    reason_key = f"reason.{data.reason}"
    reason = ctx.t(reason_key) if reason_key in LABELS else data.reason
    lines = _header(ctx, data.reference, data.when)
    lines.append(Row(ctx.t("card"), mask_card(data.card_number)))
    if data.notes:
        lines.append(Text(ctx.t("cash_in")))
        lines += _count_rows(ctx, data.notes)
    lines += [
        Row(ctx.t("pending_amount"), format_fen(data.amount_fen), bold=True),
        Row(ctx.t("reason"), reason),
    ]
    if data.valid_until:
        lines.append(Row(ctx.t("valid_until"), _day(data.valid_until)))
    howto = "refund_howto" if data.reason == "refused" else "pending_howto"
    lines += [Blank(), Text(ctx.t(howto), bold=True)]
    return Receipt("pending", ctx.language, data.reference, ctx.t("title.pending"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def refund_voucher(ctx: ReceiptContext, data: RefundVoucher) -> Receipt:
    _non_negative(amount_fen=data.amount_fen, loaded_fen=data.loaded_fen)
    if data.notes and _counts_total(data.notes) != data.amount_fen + data.loaded_fen:
        raise ValueError("the notes inserted do not add up to the amounts loaded and refunded")
    reason_key = f"reason.{data.reason}"
    lines = _header(ctx, data.reference, data.when)
    lines.append(Row(ctx.t("card"), mask_card(data.card_number)))
    if data.notes:
        lines.append(Text(ctx.t("cash_in")))
        lines += _count_rows(ctx, data.notes)
    if data.loaded_fen:
        lines.append(Row(ctx.t("refund_loaded"), format_fen(data.loaded_fen)))
    lines += [
        Row(ctx.t("refund_amount"), format_fen(data.amount_fen), bold=True),
        Row(ctx.t("reason"), ctx.t(reason_key) if reason_key in LABELS else data.reason),
        Blank(),
        Text(ctx.t("refund_howto.over_limit" if data.reason == "over_limit"
                   else "refund_howto"), bold=True),
    ]
    return Receipt("refund", ctx.language, data.reference, ctx.t("title.refund"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def bill_payment_receipt(ctx: ReceiptContext, data: BillPayment) -> Receipt:
    _non_negative(amount_fen=data.amount_fen, balance_after_fen=data.balance_after_fen)
    if data.amount_fen == 0:
        raise ValueError("a bill payment of ¥0.00 is not a payment")
    type_key = f"bill.{data.bill_type}"
    if type_key not in LABELS:
        raise ValueError(f"unknown bill type {data.bill_type!r}")
    payee = data.payee_zh if ctx.language == "zh" and data.payee_zh else data.payee
    lines = _header(ctx, data.reference, data.when)
    lines += [
        Row(ctx.t("bill_type"), ctx.t(type_key)),
        Row(ctx.t("payee"), payee),
        Row(ctx.t("account_no"), data.account_no),
        Row(ctx.t("holder"), data.holder_masked),
        Row(ctx.t("period"), data.period),
        Row(ctx.t("card"), mask_card(data.card_number)),
        Row(ctx.t("paid"), format_fen(data.amount_fen), bold=True),
        Row(ctx.t("balance_after_payment"), format_fen(data.balance_after_fen)),
    ]
    return Receipt("bill", ctx.language, data.reference, ctx.t("title.bill"), tuple(lines),
                   _qr(ctx, data.reference), _footer(ctx))


def loss_report_slip(ctx: ReceiptContext, data: LossReport) -> Receipt:
    lines = _header(ctx, data.reference, data.when)
    lines += [
        Row(ctx.t("card"), mask_card(data.card_number), bold=True),
        Row(ctx.t("reported_at"), _when(ctx, data.when)),
        Blank(),
        Text(ctx.t("loss_done"), bold=True),
    ]
    if data.outlets:
        lines.append(Text(ctx.t("loss_next")))
        lines += [Text(f"- {outlet}") for outlet in data.outlets]
    return Receipt("loss", ctx.language, data.reference, ctx.t("title.loss"), tuple(lines),
                   _qr(ctx, data.reference), _footer(ctx))


def loss_cancelled_slip(ctx: ReceiptContext, data: LossCancelled) -> Receipt:
    lines = _header(ctx, data.reference, data.when)
    lines += [
        Row(ctx.t("card"), mask_card(data.card_number), bold=True),
        Row(ctx.t("report_no"), data.reference),
        Row(ctx.t("cancelled_at"), _when(ctx, data.when)),
        Blank(),
        Text(ctx.t("loss_cancelled"), bold=True),
    ]
    return Receipt("loss_cancel", ctx.language, data.reference, ctx.t("title.loss_cancel"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def transfer_receipt(ctx: ReceiptContext, data: BalanceTransfer) -> Receipt:
    _non_negative(amount_fen=data.amount_fen, balance_before_fen=data.balance_before_fen,
                  balance_after_fen=data.balance_after_fen, left_fen=data.left_fen)
    if data.balance_before_fen + data.amount_fen != data.balance_after_fen:
        raise ValueError("balance before + amount moved != balance after")
    if data.card_number == data.old_card_number:
        raise ValueError("a transfer moves a balance between two cards")
    lines = _header(ctx, data.reference, data.when)
    lines += [
        Row(ctx.t("old_card"), mask_card(data.old_card_number)),
        Row(ctx.t("new_card"), mask_card(data.card_number), bold=True),
        Row(ctx.t("transferred"), format_fen(data.amount_fen), bold=True),
        Row(ctx.t("balance_before"), format_fen(data.balance_before_fen)),
        Row(ctx.t("balance_after"), format_fen(data.balance_after_fen), bold=True),
    ]
    if data.left_fen:
        lines += [Row(ctx.t("transfer_left"), format_fen(data.left_fen)),
                  Text(ctx.t("transfer_left_note"))]
    if data.tac:
        lines.append(Row(ctx.t("tac"), data.tac))
    return Receipt("transfer", ctx.language, data.reference, ctx.t("title.transfer"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def repayment_receipt(ctx: ReceiptContext, data: OverdraftRepayment) -> Receipt:
    _non_negative(cash_fen=data.cash_fen, repaid_fen=data.repaid_fen,
                  owed_before_fen=data.owed_before_fen, owed_after_fen=data.owed_after_fen,
                  loaded_fen=data.loaded_fen, balance_before_fen=data.balance_before_fen,
                  balance_after_fen=data.balance_after_fen)
    if data.repaid_fen + data.loaded_fen != data.cash_fen:
        raise ValueError("repaid + loaded != cash")
    if data.owed_before_fen - data.repaid_fen != data.owed_after_fen:
        raise ValueError("owed before - repaid != owed after")
    if data.balance_before_fen + data.loaded_fen != data.balance_after_fen:
        raise ValueError("balance before + amount loaded != balance after")
    if data.notes and _counts_total(data.notes) != data.cash_fen:
        raise ValueError("the notes inserted do not add up to the cash")
    lines = _header(ctx, data.reference, data.when)
    lines.append(Row(ctx.t("card"), mask_card(data.card_number)))
    if data.notes:
        lines.append(Text(ctx.t("cash_in")))
        lines += _count_rows(ctx, data.notes)
    lines += [
        Row(ctx.t("owed_before"), format_fen(data.owed_before_fen)),
        Row(ctx.t("repaid"), format_fen(data.repaid_fen), bold=True),
        Row(ctx.t("owed_after"), format_fen(data.owed_after_fen)),
        Text(ctx.t("blacklist_lifted") if data.owed_after_fen == 0
             else ctx.t("blacklist_stays"), bold=True),
    ]
    if data.loaded_fen:
        lines += [
            Row(ctx.t("topup_amount"), format_fen(data.loaded_fen), bold=True),
            Row(ctx.t("balance_before"), format_fen(data.balance_before_fen)),
            Row(ctx.t("balance_after"), format_fen(data.balance_after_fen), bold=True),
        ]
        if data.tac:
            lines.append(Row(ctx.t("tac"), data.tac))
    else:
        lines.append(Row(ctx.t("balance_after"), format_fen(data.balance_after_fen)))
    return Receipt("repayment", ctx.language, data.reference, ctx.t("title.repayment"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def dispute_slip(ctx: ReceiptContext, data: DisputeSlip) -> Receipt:
    lines = _header(ctx, data.ticket_no, data.when)
    lines += [
        Text(data.ticket_no, Align.CENTER, bold=True, tall=True),
        Row(ctx.t("card"), mask_card(data.card_number)),
        Row(ctx.t("disputed_tx"), _when(ctx, data.transaction_when)
            if data.transaction_when is not None else "-"),
        Row(ctx.t("amount"), format_fen(data.amount_fen, sign=True)),
        Row(ctx.t("disputed_ref"), data.transaction_ref),
    ]
    if data.loss_report_no:
        lines += [Row(ctx.t("dispute_loss"), ""), Row(ctx.t("report_no"), data.loss_report_no)]
    lines += [Blank(), Text(ctx.t("dispute_next"))]
    return Receipt("dispute", ctx.language, data.ticket_no, ctx.t("title.dispute"),
                   tuple(lines), _qr(ctx, data.ticket_no), _footer(ctx))


def feedback_ticket(ctx: ReceiptContext, data: FeedbackTicket) -> Receipt:
    lines = _header(ctx, data.ticket_no, data.when)
    lines += [
        Text(data.ticket_no, Align.CENTER, bold=True, tall=True),
        Row(ctx.t("category"), ctx.named("feedback", data.category)),
    ]
    if data.phone:
        lines.append(Row(ctx.t("phone"), mask_phone(data.phone)))
    lines += [Blank(), Text(ctx.t("feedback_next"))]
    return Receipt("feedback", ctx.language, data.ticket_no, ctx.t("title.feedback"),
                   tuple(lines), _qr(ctx, data.ticket_no), _footer(ctx))


def statement_receipt(ctx: ReceiptContext, data: Statement) -> Receipt:
    if data.period_from > data.period_to:
        raise ValueError("the statement period ends before it starts")
    credits = sum(e.amount_fen for e in data.entries if e.amount_fen > 0)
    debits = -sum(e.amount_fen for e in data.entries if e.amount_fen < 0)
    if data.opening_balance_fen + credits - debits != data.closing_balance_fen:
        raise ValueError(
            "opening balance + transactions != closing balance "
            f"({data.opening_balance_fen} + {credits} - {debits} != {data.closing_balance_fen})"
        )
    lines = _header(ctx, data.reference, data.generated_at)
    lines += [
        Row(ctx.t("card"), mask_card(data.card_number)),
        Row(ctx.t("from"), _day(data.period_from)),
        Row(ctx.t("to"), _day(data.period_to)),
        Rule(),
        Row(ctx.t("opening"), format_fen(data.opening_balance_fen), bold=True),
        Rule("."),
    ]
    if not data.entries:
        lines.append(Text(ctx.t("no_tx"), Align.CENTER))
    balance = data.opening_balance_fen
    for entry in sorted(data.entries, key=lambda e: ctx.local(e.when)):
        balance += entry.amount_fen
        lines.append(Row(f"{ctx.local(entry.when):%m-%d %H:%M} {_entry_kind(ctx, entry)}",
                         format_fen(entry.amount_fen, sign=True)))
        after = f"{ctx.t('balance')} {format_fen(balance)}"
        detail = _entry_detail(ctx, entry)
        if detail:
            lines.append(Row(f"  {detail}", after))
        else:
            lines.append(Text(after, Align.RIGHT))
        terms = [f"{ctx.t(label)} {format_fen(fen)}" for label, fen in (
            ("fare_of", entry.fare_fen or 0), ("discount_of", entry.discount_fen),
            ("ride_discount_of", entry.ride_discount_fen),
            ("transfer_discount_of", entry.transfer_discount_fen)) if fen > 0]
        if terms and (entry.ride_discount_fen or entry.transfer_discount_fen
                      or entry.discount_fen):
            lines.append(Text("  " + "  ".join(terms)))
    lines += [
        Rule("."),
        Row(ctx.t("closing"), format_fen(data.closing_balance_fen), bold=True),
        Rule(),
        Row(ctx.t("count"), str(len(data.entries))),
        Row(ctx.t("credits"), format_fen(credits, sign=True)),
        Row(ctx.t("debits"), format_fen(-debits)),
        Row(ctx.t("ride_discounts"), format_fen(sum(e.ride_discount_fen
                                                    for e in data.entries))),
        Row(ctx.t("transfer_discounts"), format_fen(sum(e.transfer_discount_fen
                                                        for e in data.entries))),
        Row(ctx.t("points_earned"), str(sum(e.points_delta for e in data.entries
                                            if e.points_delta > 0))),
    ]
    return Receipt("statement", ctx.language, data.reference, ctx.t("title.statement"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def collection_slip(ctx: ReceiptContext, data: CashboxCollectionSlip) -> Receipt:
    total = _counts_total(data.counts)
    if data.unidentified < 0:
        raise ValueError("unidentified count cannot be negative")
    pieces = sum(n for _, n in data.counts) + data.unidentified
    lines = _header(ctx, data.reference, data.when)
    lines.append(Row(ctx.t("operator"), data.operator))
    if data.previous_collection_at:
        lines.append(Row(ctx.t("previous"), _when(ctx, data.previous_collection_at)))
    lines.append(Rule())
    lines += _count_rows(ctx, data.counts)
    if data.unidentified:
        lines.append(Row(f"  {ctx.t('unidentified')} x {data.unidentified}", "?"))
    lines += [
        Rule(),
        Row(f"{ctx.t('total')} ({pieces} {ctx.t('pieces')})", format_fen(total), bold=True),
        Row(ctx.t("since_install"),
            f"{data.since_install_pieces} {ctx.t('pieces')} {format_fen(data.since_install_fen)}"),
        Blank(),
        Text(ctx.t("signature")),
        Blank(),
        Rule("_"),
    ]
    return Receipt("collection", ctx.language, data.reference, ctx.t("title.collection"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def settlement_report(ctx: ReceiptContext, data: DailySettlement) -> Receipt:
    _non_negative(loads_credited_fen=data.loads_credited_fen,
                  loads_pending_fen=data.loads_pending_fen, bills_fen=data.bills_fen,
                  points_loads_fen=data.points_loads_fen, loads_owed_fen=data.loads_owed_fen,
                  unattributed_fen=data.unattributed_fen)
    cash = _counts_total(data.cash_counts)
    difference = (cash - data.loads_credited_fen - data.loads_pending_fen
                  - data.loads_owed_fen - data.unattributed_fen)
    # Owed and unattributed cash are rare: their lines (and their terms in the
    # equation) are printed only when there is some.
    extra: list[Line] = []
    if data.loads_owed_count or data.loads_owed_fen:
        extra.append(Row(f"{ctx.t('loads_owed')} ({data.loads_owed_count})",
                         format_fen(data.loads_owed_fen)))
    if data.unattributed_fen:
        extra.append(Row(ctx.t("unattributed_cash"), format_fen(data.unattributed_fen)))
    # Transfers move no cash: their own line under the other non-cash loads, when any.
    transfers: list[Line] = (
        [Row(f"{ctx.t('transfer_loads')} ({data.transfer_loads_count})",
             format_fen(data.transfer_loads_fen))]
        if data.transfer_loads_count or data.transfer_loads_fen else [])
    lines = _header(ctx, data.reference, data.generated_at)
    lines += [
        Row(ctx.t("z_number"), f"{data.z_number:06d}", bold=True),
        Row(ctx.t("business_date"), _day(data.business_date)),
        Rule(),
        Text(ctx.t("cash_section"), bold=True),
    ]
    lines += _count_rows(ctx, data.cash_counts)
    if data.unrecognised_count:
        lines.append(Row(f"  {ctx.t('unrecognised_cash')} x {data.unrecognised_count}", "?"))
    lines += [
        Row(ctx.t("total"), format_fen(cash), bold=True),
        Rule(),
        Row(f"{ctx.t('loads_credited')} ({data.loads_credited_count})",
            format_fen(data.loads_credited_fen)),
        Row(f"{ctx.t('loads_pending')} ({data.loads_pending_count})",
            format_fen(data.loads_pending_fen)),
        *extra,
        Text(ctx.t("reconcile_all" if extra else "reconcile")),
        Text(ctx.t("reconcile_ok") if difference == 0
             else f"{ctx.t('reconcile_bad')} {format_fen(difference, sign=True)}",
             Align.RIGHT, bold=True),
        Rule(),
        Row(f"{ctx.t('bills')} ({data.bills_count})", format_fen(data.bills_fen)),
        Row(f"{ctx.t('points_loads')} ({data.points_loads_count})",
            format_fen(data.points_loads_fen)),
        *transfers,
    ]
    return Receipt("settlement", ctx.language, data.reference, ctx.t("title.settlement"),
                   tuple(lines), _qr(ctx, data.reference), _footer(ctx))


def printer_test_page(ctx: ReceiptContext, data: PrinterTestPage) -> Receipt:
    ruler = "".join(str(i % 10) for i in range(1, data.columns + 1))
    lines = _header(ctx, data.reference, data.when)
    lines += [
        Row(ctx.t("backend"), data.backend),
        Row(ctx.t("paper"), f"{data.paper_width_mm} mm"),
        Row(ctx.t("columns"), str(data.columns)),
        Row(ctx.t("chinese_mode"), data.chinese),
        Row(ctx.t("status"), data.status),
        Rule(),
        Text(ctx.t("ruler")),
        Text(ruler),
        Text("汉" * (data.columns // 2)),
        Text(ctx.t("sample_zh")),
        Text(ctx.t("sample_en")),
        Row("¥0.01 ¥12.34", format_fen(9_999_999)),
        Text("Bold / 粗体", bold=True),
        Text("Tall / 倍高", tall=True),
        *[Text(line) for line in data.extra],
    ]
    return Receipt("test", ctx.language, data.reference, ctx.t("title.test"), tuple(lines),
                   _qr(ctx, data.reference), _footer(ctx))


BUILDERS: dict[type[Any], Callable[[ReceiptContext, Any], Receipt]] = {
    TopUp: topup_receipt,
    PendingLoadVoucher: pending_load_voucher,
    RefundVoucher: refund_voucher,
    BillPayment: bill_payment_receipt,
    LossReport: loss_report_slip,
    LossCancelled: loss_cancelled_slip,
    BalanceTransfer: transfer_receipt,
    DisputeSlip: dispute_slip,
    OverdraftRepayment: repayment_receipt,
    FeedbackTicket: feedback_ticket,
    Statement: statement_receipt,
    CashboxCollectionSlip: collection_slip,
    DailySettlement: settlement_report,
    PrinterTestPage: printer_test_page,
}


def build_receipt(ctx: ReceiptContext, data: object) -> Receipt:
    """The receipt for any of the facts dataclasses above."""
    try:
        builder = BUILDERS[type(data)]
    except KeyError:
        raise TypeError(f"no receipt is built from {type(data).__name__}") from None
    return builder(ctx, data)


