"""Receipt facts to JSON and back, so a journaled receipt can be printed again.

The facts are the dataclasses of :mod:`hardware.printer.receipts` (TopUp,
Statement, …). They are stored with their type name; dates and date-times as
ISO text; tuples as lists. Reading back follows the dataclass's own type hints,
so a reprint builds exactly the receipt that was meant the first time (a field
added since — ``BillPayment.payee_zh`` — takes its default on an older row).

:func:`statement_entry` turns a central Transaction into a statement's entry,
keeping the facts the receipt words in its own language: the mode, line and
station of a ride, the shop or payee, the fare discounts, the points.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any

from hardware.printer import receipts

__all__ = ["FACT_TYPES", "facts_from_json", "facts_to_json", "statement_entry"]

FACT_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (
        receipts.TopUp, receipts.PendingLoadVoucher, receipts.RefundVoucher,
        receipts.BillPayment, receipts.LossReport, receipts.LossCancelled,
        receipts.BalanceTransfer, receipts.DisputeSlip, receipts.OverdraftRepayment,
        receipts.FeedbackTicket, receipts.Statement,
        receipts.CashboxCollectionSlip, receipts.DailySettlement, receipts.PrinterTestPage)}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def facts_to_json(facts: Any) -> dict[str, Any]:
    name = type(facts).__name__
    if name not in FACT_TYPES:
        raise TypeError(f"{name} is not a receipt's facts")
    return {"type": name, "fields": _plain(facts)}


def _typed(value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        return _typed(value, next(a for a in args if a is not type(None)))
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if origin is tuple:
        inner = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if inner is not None:
            return tuple(_typed(v, inner) for v in value)
        return tuple(_typed(v, a) for v, a in zip(value, args, strict=True))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    return value


def _build(cls: type, fields: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls, vars(receipts))
    return cls(**{name: _typed(value, hints[name]) for name, value in fields.items()})


def facts_from_json(data: dict[str, Any]) -> Any:
    return _build(FACT_TYPES[data["type"]], data["fields"])


def statement_entry(item: dict[str, Any]) -> receipts.StatementEntry:
    """One central Transaction (``GET /v1/cards/{card_no}/statement`` items) as an entry.

    ``occurred_at`` keeps its offset: the receipt prints it in the configured zone.
    """
    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value) if value not in (None, "") else None

    return receipts.StatementEntry(
        when=datetime.fromisoformat(str(item["occurred_at"])), kind=str(item["kind"]),
        description=str(item.get("description") or ""), amount_fen=int(item["amount_fen"]),
        mode=text("mode"), line=text("line"), station=text("station"),
        merchant=text("merchant"), points_delta=int(item.get("points_delta") or 0),
        ride_discount_fen=int(item.get("ride_discount_fen") or 0),
        transfer_discount_fen=int(item.get("transfer_discount_fen") or 0),
        fare_fen=int(item["fare_fen"]) if item.get("fare_fen") is not None else None)
