"""The reconciliation audit: cash in = credited + pending (+ owed, + unidentified), per
top-up session and in total, for a period. ``kioskctl audit`` prints it and
exits non-zero when it does not hold.

- *cash in*: notes journaled for the session (the acceptor stacked them);
- *credited*: the session's load orders ``completed`` (on the card, confirmed);
- *pending*: its load orders not completed and not cancelled — held at the
  central side for the card, or still in the journal (recovery finishes them);
- *owed*: load orders the central side refused outright (the card was reported
  lost during the top-up, say): the cash is the cardholder's, refunded by staff
  against the voucher;
- *unidentified*: trains of unknown value, counted, never credited;
- *unattributed*: notes with no session (an acceptor that ignored its inhibit
  line): real cash for the operator, outside any cardholder's balance.
"""

from __future__ import annotations

from typing import Any

from daemon.journal import Journal

__all__ = ["audit"]


def audit(journal: Journal, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
    """The audit of the top-up sessions started in [since, until)."""
    sessions = []
    for s in journal.query("SELECT id, card_no, state, started_at FROM sessions"
                           " WHERE kind = 'topup' AND started_at >= ? AND started_at < ?"
                           " ORDER BY started_at", (since, min(until, 1e18))):
        cash = journal.query(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'note' THEN value_fen END), 0) AS fen,"
            " COALESCE(SUM(kind = 'unidentified'), 0) AS unidentified"
            " FROM cash WHERE session_id = ?", (s["id"],))[0]
        orders = journal.query("SELECT state, amount_fen FROM orders WHERE session_id = ?"
                               " AND kind = 'load'", (s["id"],))
        credited = sum(o["amount_fen"] for o in orders if o["state"] == "completed")
        pending = sum(o["amount_fen"] for o in orders
                      if o["state"] not in ("completed", "cancelled", "refused"))
        owed = sum(o["amount_fen"] for o in orders if o["state"] == "refused")
        sessions.append({
            "session_id": s["id"], "card_no_last4": s["card_no"][-4:], "state": s["state"],
            "started_at": s["started_at"], "cash_in_fen": int(cash["fen"]),
            "credited_fen": credited, "pending_fen": pending, "owed_fen": owed,
            "unidentified": int(cash["unidentified"]),
            "holds": int(cash["fen"]) == credited + pending + owed})
    loose = journal.query(
        "SELECT COALESCE(SUM(CASE WHEN kind = 'note' THEN value_fen END), 0) AS fen,"
        " COALESCE(SUM(kind = 'unidentified'), 0) AS unidentified FROM cash"
        " WHERE session_id IS NULL AND at >= ? AND at < ?", (since, min(until, 1e18)))[0]
    totals = {key: sum(s[key] for s in sessions)
              for key in ("cash_in_fen", "credited_fen", "pending_fen", "owed_fen",
                          "unidentified")}
    totals["unattributed_fen"] = int(loose["fen"])
    totals["unidentified"] += int(loose["unidentified"])
    return {"since": since, "until": None if until == float("inf") else until,
            "sessions": sessions, "totals": totals,
            "holds": all(s["holds"] for s in sessions)}
