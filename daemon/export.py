"""The journal for a period, for the operator's own books (``kioskctl export``):
sessions, cash, orders with their steps, receipts. Card numbers are masked, as
printed on the card (as the receipts show them); payment passwords were never there."""

from __future__ import annotations

import json
from typing import Any

from daemon.journal import Journal
from protocol.cardno import printed_card_no
from protocol.masking import mask_card_no

__all__ = ["export"]


def export(journal: Journal, since: float, until: float) -> dict[str, Any]:
    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in journal.query(sql, (since, until))]

    sessions = rows("SELECT id, kind, card_no, state, started_at, ended_at, aid FROM sessions"
                    " WHERE started_at >= ? AND started_at < ? ORDER BY started_at")
    orders = rows("SELECT id, session_id, kind, card_no, amount_fen, state, central_ref,"
                  " created_at, updated_at FROM orders WHERE created_at >= ? AND created_at < ?"
                  " ORDER BY created_at")
    for order in orders:
        order["steps"] = [{"step": s["step"], "at": s["at"], "detail": json.loads(s["detail"])}
                          for s in journal.query("SELECT step, detail, at FROM steps"
                                                 " WHERE order_id = ? ORDER BY id",
                                                 (order["id"],))]
    for row in (*sessions, *orders):
        # as the receipts print it: a T-Union number without its pad digit
        aid = row.pop("aid", None) or next(
            (s["detail"].get("aid") for s in row.get("steps", ()) if s["step"] == "new"), None)
        if row.get("card_no"):
            row["card_no"] = mask_card_no(printed_card_no(row["card_no"], aid))
    return {
        "since": since, "until": until, "sessions": sessions, "orders": orders,
        "cash": rows("SELECT id, session_id, kind, value_fen, pulses, at FROM cash"
                     " WHERE at >= ? AND at < ? ORDER BY id"),
        "receipts": rows("SELECT id, kind, created_at, printed_at, last_error FROM receipts"
                         " WHERE created_at >= ? AND created_at < ? ORDER BY created_at"),
    }
