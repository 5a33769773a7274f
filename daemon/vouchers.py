"""The slip a cardholder keeps when a top-up's cash is not on the card: the
pending-load voucher (the load waits at the central side for the card's next
tap) or the refund voucher (the cash is owed back: the centre refused the load,
or it was over the load limits).

One voucher per order, whoever asks (the session, recovery, a second attempt
at the same load): the first one stays valid, and an operator can reprint it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from daemon.journal import Journal
from daemon.orders import Order, OrderStore
from daemon.printing import Printing
from hardware.printer.receipts import PendingLoadVoucher, RefundVoucher

__all__ = ["session_notes", "voucher"]

logger = logging.getLogger(__name__)


def session_notes(journal: Journal, session_id: str | None) -> tuple[tuple[int, int], ...]:
    """The notes journaled for a session: (value in fen, count), largest first."""
    rows = journal.query("SELECT value_fen, COUNT(*) AS n FROM cash WHERE session_id = ?"
                         " AND kind = 'note' GROUP BY value_fen ORDER BY value_fen DESC",
                         (session_id,))
    return tuple((int(r["value_fen"]), int(r["n"])) for r in rows)


def voucher(printing: Printing, store: OrderStore, order: Order, reason: str,
            language: str) -> dict[str, Any]:
    """Print the voucher for a load that is pending (``reason``: why) or refused (a
    refund voucher); the printing result, or the first voucher's when there is one."""
    journal = store.journal
    kind = "refund" if order.state == "refused" else "voucher"
    row = f"{order.id}-{kind}"
    earlier = journal.query("SELECT printed_at, last_error FROM receipts WHERE id = ?", (row,))
    if earlier:
        logger.info("order %s has its %s already (%s)", order.id, kind, row)
        return {"reference": row, "printed": earlier[0]["printed_at"] is not None,
                "error": earlier[0]["last_error"]}
    notes = session_notes(journal, order.session_id)
    cash = sum(v * n for v, n in notes)
    facts: Any
    if kind == "refund":
        # The rest of the top-up's cash, loaded (or waiting) under its own order.
        loaded = sum(o.amount_fen for o in store.for_session(order.session_id or "")
                     if o.kind == "load" and o.id != order.id and o.state != "refused")
        owed_reason = "over_limit" if order.facts.get("code") == "over_limit" else "refused"
        facts = RefundVoucher(order.id, datetime.now(), order.printed_no, order.amount_fen,
                              owed_reason, notes=notes if cash == order.amount_fen + loaded
                              else (), loaded_fen=loaded)
    else:
        facts = PendingLoadVoucher(order.id, datetime.now(), order.printed_no, order.amount_fen,
                                   reason, notes=notes if cash == order.amount_fen else ())
    return printing.receipt(kind, facts, language)
