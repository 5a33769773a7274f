"""The day's figures, from the journal: the X report (a view) and the Z report (the
business day closed).

- **X** (:func:`x_report`, ``kioskctl settlement``): the figures of a day so
  far. Nothing is printed, numbered, journaled or sent; run it as often as you
  like.
- **Z** (:func:`settle`, ``kioskctl settlement --close``): closes the day. The
  first close of a day numbers it (Z1, Z2, … across days), prints it and sends
  it to the central side as a ``settlement`` event; a later close of the same
  day makes no new number and sends nothing: it reprints that day's Z as it was
  closed, and says whether the day's figures have moved since.

Cash (by denomination, unidentified and unattributed pieces) and top-up loads
(credited, pending, owed) are the audit's figures (:func:`daemon.audit.audit`)
for the top-up sessions started that day, so the Z report balances exactly when
the audit holds. Bill payments and points loads are the orders created that day;
balance transfers (no cash) the audit's ``transfers`` credited that day.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from daemon.audit import audit
from daemon.journal import Journal
from daemon.orders import OrderStore
from daemon.printing import Printing
from daemon.receiptfacts import facts_from_json
from hardware.printer.receipts import DailySettlement

__all__ = ["settle", "x_report"]

logger = logging.getLogger(__name__)

# Closing is check-then-number-then-journal: one close at a time in this process.
_CLOSING = threading.Lock()


def _day_bounds(day: date) -> tuple[float, float]:
    start = datetime(day.year, day.month, day.day)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _figures(journal: Journal, day: date) -> dict[str, Any]:
    """The day's figures as the X and Z reports show them (no side effect)."""
    start, end = _day_bounds(day)
    checked = audit(journal, start, end)
    t = checked["totals"]
    store = OrderStore(journal)
    other = {"bills": [0, 0], "points_loads": [0, 0],
             "transfer_loads": checked["transfers"]["credited"]}
    for row in journal.query("SELECT id FROM orders WHERE created_at >= ? AND created_at < ?"
                             " AND state = 'completed'", (start, end)):
        order = store.get(row["id"])
        key = ("bills" if order.kind == "purchase" else
               "points_loads" if order.facts.get("source") == "points" else None)
        if key is not None:
            other[key][0] += 1
            other[key][1] += order.amount_fen
    return {
        "business_date": day.isoformat(),
        "cash_fen": t["cash_in_fen"] + t["unattributed_fen"],
        "cash_counts": checked["cash_counts"],
        "loads_credited": [t["credited_orders"], t["credited_fen"]],
        "loads_pending": [t["pending_orders"], t["pending_fen"]],
        "loads_owed": [t["owed_orders"], t["owed_fen"]],
        "unattributed_fen": t["unattributed_fen"],
        "difference_fen": t["cash_in_fen"] - t["credited_fen"] - t["pending_fen"]
        - t["owed_fen"],
        "holds": checked["holds"],
        **other,
        "unrecognised": t["unidentified"],
    }


def x_report(journal: Journal, day: date) -> dict[str, Any]:
    """The X report: the day's figures so far, and whether (and as which Z) it is closed."""
    closed = _closed(journal, day)
    return {"report": "X", **_figures(journal, day), "generated_at": time.time(),
            "closed": None if closed is None else {
                "reference": closed.reference, "z_number": closed.z_number,
                "closed_at": closed.generated_at.timestamp()}}


def settle(journal: Journal, printing: Printing, report: Any, day: date,
           language: str = "zh") -> dict[str, Any]:
    """The Z report: close ``day`` (numbered, printed, sent), or reprint its Z if it is
    closed already."""
    with _CLOSING:
        closed = _closed(journal, day)
        if closed is not None:
            printed = printing.reprint(f"{closed.reference}-settlement")
            as_closed = _summary(closed)
            now = _figures(journal, day)
            changed = any(now[k] != v for k, v in as_closed.items() if k in _COMPARED)
            logger.info("%s: %s was closed already; reprinted", day, closed.reference)
            return {**as_closed, "already_closed": True, "changed_since_close": changed,
                    "printed": printed["printed"]}
        figures = _figures(journal, day)
        z_number = int(journal.query(
            "SELECT COUNT(*) FROM receipts WHERE kind = 'settlement'")[0][0]) + 1
        (credited, credited_fen), (pending, pending_fen), (owed, owed_fen) = (
            figures[k] for k in ("loads_credited", "loads_pending", "loads_owed"))
        facts = DailySettlement(
            f"Z{day:%Y%m%d}-{z_number}", z_number, day, datetime.now(),
            tuple((int(v), n) for v, n in figures["cash_counts"].items()),
            credited, credited_fen, pending, pending_fen,
            bills_count=figures["bills"][0], bills_fen=figures["bills"][1],
            points_loads_count=figures["points_loads"][0],
            points_loads_fen=figures["points_loads"][1],
            transfer_loads_count=figures["transfer_loads"][0],
            transfer_loads_fen=figures["transfer_loads"][1],
            unrecognised_count=figures["unrecognised"], loads_owed_count=owed,
            loads_owed_fen=owed_fen, unattributed_fen=figures["unattributed_fen"])
        printed = printing.receipt("settlement", facts, language)
    summary = {**_summary(facts), "holds": figures["holds"]}
    report("settlement", summary)
    logger.info("%s closed as %s", day, facts.reference)
    return {**summary, "already_closed": False, "changed_since_close": False,
            "printed": printed["printed"]}


# The figures a closed Z keeps; the rest is computed when asked.
_COMPARED = ("cash_fen", "cash_counts", "loads_credited", "loads_pending", "loads_owed",
             "unattributed_fen", "bills", "points_loads", "transfer_loads", "unrecognised")


def _summary(facts: DailySettlement) -> dict[str, Any]:
    """A Z report's answer, from the facts it was printed with."""
    credited = [facts.loads_credited_count, facts.loads_credited_fen]
    pending = [facts.loads_pending_count, facts.loads_pending_fen]
    owed = [facts.loads_owed_count, facts.loads_owed_fen]
    cash = sum(v * n for v, n in facts.cash_counts)
    difference = cash - facts.unattributed_fen - credited[1] - pending[1] - owed[1]
    return {"report": "Z", "reference": facts.reference, "z_number": facts.z_number,
            "business_date": facts.business_date.isoformat(), "cash_fen": cash,
            "cash_counts": {str(v): n for v, n in facts.cash_counts},
            "loads_credited": credited, "loads_pending": pending, "loads_owed": owed,
            "unattributed_fen": facts.unattributed_fen, "difference_fen": difference,
            "holds": difference == 0, "bills": [facts.bills_count, facts.bills_fen],
            "points_loads": [facts.points_loads_count, facts.points_loads_fen],
            "transfer_loads": [facts.transfer_loads_count, facts.transfer_loads_fen],
            "unrecognised": facts.unrecognised_count,
            "generated_at": facts.generated_at.timestamp()}


def _closed(journal: Journal, day: date) -> DailySettlement | None:
    """The Z that closed ``day``, from its journaled receipt (the first, should a journal
    from before this rule hold several)."""
    rows = journal.query("SELECT payload FROM receipts WHERE kind = 'settlement' AND id LIKE ?"
                         " ORDER BY created_at LIMIT 1", (f"Z{day:%Y%m%d}-%",))
    if not rows:
        return None
    facts = facts_from_json(json.loads(rows[0]["payload"])["facts"])
    assert isinstance(facts, DailySettlement)
    return facts
