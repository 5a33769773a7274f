"""The daily settlement (Z) report: one business day of the kiosk, from the journal.

Cash by denomination and unidentified pieces (the cash rows of the day), top-up
loads credited and pending, bill payments and points loads (orders created that
day), numbered Z1, Z2, … Printed, and sent to the central side as a
``settlement`` event.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

from daemon.journal import Journal
from daemon.orders import OrderStore
from daemon.printing import Printing
from hardware.printer.receipts import DailySettlement

__all__ = ["settle"]


def _day_bounds(day: date) -> tuple[float, float]:
    start = datetime(day.year, day.month, day.day)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def settle(journal: Journal, printing: Printing, report: Any, day: date,
           language: str = "zh") -> dict[str, Any]:
    start, end = _day_bounds(day)
    notes = journal.query("SELECT value_fen, COUNT(*) AS n FROM cash WHERE kind = 'note'"
                          " AND at >= ? AND at < ? GROUP BY value_fen ORDER BY value_fen DESC",
                          (start, end))
    unrecognised = journal.query("SELECT COUNT(*) FROM cash WHERE kind = 'unidentified'"
                                 " AND at >= ? AND at < ?", (start, end))[0][0]
    store = OrderStore(journal)
    figures = {"credited": [0, 0], "pending": [0, 0], "bills": [0, 0], "points": [0, 0]}
    for row in journal.query("SELECT o.id, s.kind AS session_kind FROM orders o"
                             " LEFT JOIN sessions s ON s.id = o.session_id"
                             " WHERE o.created_at >= ? AND o.created_at < ?", (start, end)):
        order = store.get(row["id"])
        if order.kind == "purchase":
            bucket = "bills" if order.state == "completed" else None
        elif order.facts.get("source") == "points":
            bucket = "points" if order.state == "completed" else None
        elif row["session_kind"] == "topup":
            # A refused load's cash is owed, not pending: the report's reconciliation
            # line then shows it as the difference, which is the truth.
            bucket = "credited" if order.state == "completed" else (
                None if order.state in ("cancelled", "refused") else "pending")
        else:
            bucket = None  # completing a load paid for elsewhere: counted where the cash was
        if bucket is not None:
            figures[bucket][0] += 1
            figures[bucket][1] += order.amount_fen
    z_number = int(journal.query("SELECT COUNT(*) FROM receipts WHERE kind = 'settlement'")
                   [0][0]) + 1
    reference = f"Z{day:%Y%m%d}-{z_number}"
    facts = DailySettlement(
        reference, z_number, day, datetime.now(),
        tuple((int(r["value_fen"]), int(r["n"])) for r in notes),
        figures["credited"][0], figures["credited"][1],
        figures["pending"][0], figures["pending"][1],
        figures["bills"][0], figures["bills"][1],
        figures["points"][0], figures["points"][1], int(unrecognised))
    printed = printing.receipt("settlement", facts, language)
    summary = {"reference": reference, "z_number": z_number, "business_date": day.isoformat(),
               "cash_fen": sum(v * n for v, n in facts.cash_counts),
               "cash_counts": {str(v): n for v, n in facts.cash_counts},
               "loads_credited": figures["credited"], "loads_pending": figures["pending"],
               "bills": figures["bills"], "points_loads": figures["points"],
               "unrecognised": int(unrecognised), "printed": printed["printed"],
               "generated_at": time.time()}
    report("settlement", {k: v for k, v in summary.items() if k != "printed"})
    return summary
