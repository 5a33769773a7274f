"""The reconciliation audit: cash in = credited + pending (+ owed, + unidentified), per
top-up session and in total, for a period. ``kioskctl audit`` prints it and
exits non-zero when it does not hold; the day's X and Z reports
(:mod:`daemon.settlement`) take their cash and load figures from it, so the
three never disagree.

- *cash in*: notes journaled for the session (the acceptor stacked them);
- *credited*: the session's load orders ``completed`` (on the card, confirmed) —
  also when the load was finished later, at the card's next tap;
- *pending*: its load orders not completed and not cancelled — held at the
  central side for the card, or still in the journal (recovery finishes them);
- *owed*: its load orders ``refused``: the central side would not take the load
  (the card was reported lost during the top-up, say), or the cash was over the
  load limits and only the part that fitted was loaded: the cash is the
  cardholder's, refunded by staff against the refund voucher;
- *unidentified*: trains of unknown value, counted, never credited;
- *unattributed*: notes with no session (an acceptor that ignored its inhibit
  line): real cash for the operator, outside any cardholder's balance.

A top-up belongs to the period it started in, with all its cash and orders.

Balance transfers (a lost card's balance moved onto its replacement) take no
cash, so they are outside the equation: ``transfers`` lists them on their own
line (credited, pending, refused), by the period their order was created in.
Overdraft repayments are cash of a top-up (in the equation: credited once the
centre took them) and are also listed on their own, as ``repayments``.
"""

from __future__ import annotations

from typing import Any

from daemon.journal import Journal

__all__ = ["audit", "load_bucket", "transfers"]

_BUCKETS = ("credited", "pending", "owed")


def load_bucket(state: str) -> str | None:
    """Where a top-up's load order in ``state`` counts: credited, pending, owed, or
    nowhere (cancelled: no value moved and none is due)."""
    if state == "completed":
        return "credited"
    if state == "refused":
        return "owed"
    return None if state == "cancelled" else "pending"


# The step detail (sort_keys JSON) that marks a transfer, and a repayment.
_TRANSFER = '%"source": "transfer"%'
_REPAYMENT = '%"repayment": true%'


def transfers(journal: Journal, since: float = 0.0, until: float = float("inf"), *,
              marked: str = _TRANSFER) -> dict[str, list[int]]:
    """The balance transfers created in [since, until): [count, fen] credited (on the new
    card, confirmed), pending (held at the centre or in the journal) and refused.
    (``marked`` = the repayment mark: the overdraft repayments, likewise.)"""
    out = {"credited": [0, 0], "pending": [0, 0], "refused": [0, 0]}
    for o in journal.query(
            "SELECT state, amount_fen FROM orders o WHERE kind = 'load' AND created_at >= ?"
            " AND created_at < ? AND EXISTS (SELECT 1 FROM steps s WHERE s.order_id = o.id"
            " AND s.detail LIKE ?)", (since, min(until, 1e18), marked)):
        bucket = {"completed": "credited", "refused": "refused", "cancelled": None}.get(
            o["state"], "pending")
        if bucket is not None:
            out[bucket][0] += 1
            out[bucket][1] += int(o["amount_fen"])
    return out


def audit(journal: Journal, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
    """The audit of the top-up sessions started in [since, until)."""
    period = (since, min(until, 1e18))
    sessions = []
    orders_in = {bucket: 0 for bucket in _BUCKETS}
    for s in journal.query("SELECT id, card_no, state, started_at FROM sessions"
                           " WHERE kind = 'topup' AND started_at >= ? AND started_at < ?"
                           " ORDER BY started_at", period):
        cash = journal.query(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'note' THEN value_fen END), 0) AS fen,"
            " COALESCE(SUM(kind = 'unidentified'), 0) AS unidentified"
            " FROM cash WHERE session_id = ?", (s["id"],))[0]
        fen = {bucket: 0 for bucket in _BUCKETS}
        for o in journal.query("SELECT state, amount_fen FROM orders WHERE session_id = ?"
                               " AND kind = 'load'", (s["id"],)):
            bucket = load_bucket(o["state"])
            if bucket is not None:
                fen[bucket] += int(o["amount_fen"])
                orders_in[bucket] += 1
        sessions.append({
            "session_id": s["id"], "card_no_last4": s["card_no"][-4:], "state": s["state"],
            "started_at": s["started_at"], "cash_in_fen": int(cash["fen"]),
            "credited_fen": fen["credited"], "pending_fen": fen["pending"],
            "owed_fen": fen["owed"], "unidentified": int(cash["unidentified"]),
            "holds": int(cash["fen"]) == sum(fen.values())})
    loose = journal.query(
        "SELECT COALESCE(SUM(CASE WHEN kind = 'note' THEN value_fen END), 0) AS fen,"
        " COALESCE(SUM(kind = 'unidentified'), 0) AS unidentified FROM cash"
        " WHERE session_id IS NULL AND at >= ? AND at < ?", period)[0]
    totals = {key: sum(s[key] for s in sessions)
              for key in ("cash_in_fen", "credited_fen", "pending_fen", "owed_fen",
                          "unidentified")}
    totals["unattributed_fen"] = int(loose["fen"])
    totals["unidentified"] += int(loose["unidentified"])
    totals.update({f"{bucket}_orders": n for bucket, n in orders_in.items()})
    # The notes behind "cash in" and "unattributed", by value (the Z report prints them).
    counts = journal.query(
        "SELECT value_fen, COUNT(*) AS n FROM cash WHERE kind = 'note' AND (session_id IN"
        " (SELECT id FROM sessions WHERE kind = 'topup' AND started_at >= ? AND started_at < ?)"
        " OR (session_id IS NULL AND at >= ? AND at < ?))"
        " GROUP BY value_fen ORDER BY value_fen DESC", period + period)
    return {"since": since, "until": None if until == float("inf") else until,
            "sessions": sessions, "totals": totals,
            "cash_counts": {str(r["value_fen"]): int(r["n"]) for r in counts},
            "transfers": transfers(journal, since, until),
            "repayments": transfers(journal, since, until, marked=_REPAYMENT),
            "holds": all(s["holds"] for s in sessions)}
