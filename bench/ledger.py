"""The money of a simulated kiosk, read from outside the daemon: the journal's
SQLite file, the virtual cards' wallet file, the central server's database and
``kioskctl audit``. :func:`check` states the invariants the crash loop holds
kioskd to, between two readings.

Loads and payments are counted at the central side (an order there is the
cash's one destination: a pending load finished at a later tap is the same
central order); the journal says what cash went in and what is owed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.stack import Stack

__all__ = ["INVARIANTS", "Failure", "Reading", "check", "read"]

PENDING_LOAD = ("created", "mac2_issued")
OPEN_PURCHASE = ("created", "mac1_issued")

INVARIANTS = {
    "kioskd_restarts": "kioskd starts again after every kill (recovery does not fail)",
    "cash_matches_inserted": "the journal's cash in lies between the notes the kiosk "
                             "acknowledged and the notes pushed in; none unattributed",
    "cash_accounted": "cash in = loaded at central + pending (central or journal) + owed",
    "audit_holds": "kioskctl audit exits 0 and holds",
    "audit_agrees_with_central": "the audit's credited, pending and owed are the central "
                                 "side's loaded and pending and the journal's owed",
    "orders_settled": "after the card's tap no order of it waits on an unknown answer "
                      "(credit_sent/debit_sent), none is left mid-way in the journal",
    "card_balance": "each card's balance change = loads - payments at central (with "
                    "orders still open: within what they could still move)",
    "central_balance_is_the_cards": "the central side's balance of each card (newest "
                                    "transaction) = the card's, when nothing is open",
    "online_counter_once_per_load": "each card's online counter moved once per load "
                                    "(with pending loads: at most once more for each)",
    "offline_counter_once_per_payment": "each card's offline counter moved once per payment",
}


@dataclass
class CardSide:
    balance_fen: int
    online_counter: int
    offline_counter: int


@dataclass
class Reading:
    """One look at every side of the money."""

    cards: dict[str, CardSide]
    cash_fen: int  # notes journaled in a session
    unattributed_fen: int  # notes journaled without one
    loads: list[dict[str, Any]]  # journal load orders: state, amount, central_ref, card_no
    central: list[dict[str, Any]]  # central orders: order_id, kind, card_no, amount, status
    central_balance: dict[str, int | None]
    orders: list[dict[str, Any]] = field(default_factory=list)  # every journal order
    audit: dict[str, Any] = field(default_factory=dict)
    audit_exit: int = 0


def _rows(db: Path, query: str, *args: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(query, args).fetchall()]
    finally:
        conn.close()


def read(stack: Stack, cards: list[str], *, audit: bool = True) -> Reading:
    """Read every side now (the daemon may be up or down; ``audit`` needs it up)."""
    wallet = json.loads((stack.workdir / "state" / "sim-wallet.json").read_text("utf-8"))
    sides = {c: CardSide(int(wallet["cards"][c]["balance_fen"]),
                         int(wallet["cards"][c]["online_counter"]),
                         int(wallet["cards"][c]["offline_counter"])) for c in cards}
    journal = stack.workdir / "state" / "journal.sqlite"
    cash = _rows(journal, "SELECT COALESCE(SUM(CASE WHEN session_id IS NOT NULL THEN value_fen"
                 " END), 0) AS fen, COALESCE(SUM(CASE WHEN session_id IS NULL THEN value_fen END),"
                 " 0) AS loose FROM cash WHERE kind = 'note'")[0]
    loads = _rows(journal, "SELECT o.id, o.state, o.amount_fen, o.central_ref, o.card_no,"
                  " s.kind AS session_kind FROM orders o LEFT JOIN sessions s"
                  " ON s.id = o.session_id WHERE o.kind = 'load'")
    orders = _rows(journal, "SELECT id, kind, state, card_no FROM orders")
    central = _rows(stack.db, "SELECT order_id, kind, card_no, amount_fen, status FROM orders")
    balance: dict[str, int | None] = {}
    for card in cards:
        newest = _rows(stack.db, "SELECT balance_after_fen FROM transactions WHERE card_no = ?"
                       " ORDER BY occurred_at DESC, id DESC LIMIT 1", card)
        balance[card] = newest[0]["balance_after_fen"] if newest else None
    reading = Reading(sides, int(cash["fen"]), int(cash["loose"]), loads, central, balance,
                      orders)
    if audit:
        done = stack.kioskctl("--json", "audit")
        reading.audit_exit = done.returncode
        try:
            reading.audit.update(json.loads(done.stdout))
        except json.JSONDecodeError:
            reading.audit["error"] = done.stdout[-500:] + done.stderr[-500:]
    return reading


@dataclass
class Failure:
    invariant: str
    detail: str


def check(base: Reading, now: Reading, *, sent_fen: int, acked_fen: int,
          tapped: str | None) -> list[Failure]:
    """Every invariant of :data:`INVARIANTS` between ``base`` (before the first
    round) and ``now``; ``tapped``: the card tapped last (its open orders must
    be settled). Returns the ones that do not hold."""
    fail: list[Failure] = []

    def need(ok: bool, name: str, detail: str) -> None:
        if not ok:
            fail.append(Failure(name, detail))

    seen = {o["order_id"] for o in base.central}
    new = [o for o in now.central if o["order_id"] not in seen]
    loads = [o for o in new if o["kind"] == "load"]
    pays = [o for o in new if o["kind"] == "purchase"]
    loaded = sum(o["amount_fen"] for o in loads if o["status"] == "completed")
    pending = sum(o["amount_fen"] for o in loads if o["status"] in PENDING_LOAD)
    base_ids = {o["id"] for o in base.loads}
    journal_loads = [o for o in now.loads if o["id"] not in base_ids]
    unsent = sum(o["amount_fen"] for o in journal_loads if o["central_ref"] is None
                 and o["state"] not in ("refused", "cancelled"))
    owed = sum(o["amount_fen"] for o in journal_loads if o["state"] == "refused")
    cash = now.cash_fen - base.cash_fen

    need(acked_fen <= cash <= sent_fen and now.unattributed_fen == base.unattributed_fen,
         "cash_matches_inserted", f"journal cash in {cash}, acknowledged {acked_fen}, pushed "
         f"{sent_fen}, unattributed {now.unattributed_fen - base.unattributed_fen}")
    need(cash == loaded + pending + unsent + owed, "cash_accounted",
         f"cash in {cash} != loaded {loaded} + pending at central {pending} + not yet at "
         f"central {unsent} + owed {owed}; cancelled loads at central: "
         f"{sum(o['amount_fen'] for o in loads if o['status'] == 'cancelled')}")
    totals = now.audit.get("totals")
    need(now.audit_exit == 0 and now.audit.get("holds") is True, "audit_holds",
         f"exit {now.audit_exit}, sessions not holding: "
         f"{[s['session_id'] for s in now.audit.get('sessions', []) if not s['holds']]}"
         + (f" ({now.audit['error']})" if "error" in now.audit else ""))
    if isinstance(totals, dict) and isinstance(base.audit.get("totals"), dict):
        was = base.audit["totals"]
        said = {k: int(totals[k]) - int(was[k]) for k in ("credited_fen", "pending_fen",
                                                           "owed_fen")}
        need(said == {"credited_fen": loaded, "pending_fen": pending + unsent,
                      "owed_fen": owed}, "audit_agrees_with_central",
             f"audit says {said}; central loaded {loaded}, pending {pending} (+{unsent} "
             f"not yet sent), journal owed {owed}")
    if tapped is not None:
        stuck = [f"{o['id']} {o['state']}" for o in now.orders
                 if o["card_no"] == tapped and o["state"] in ("credit_sent", "debit_sent")]
        mid = [f"{o['id']} {o['state']}" for o in now.orders
               if o["state"] not in ("completed", "cancelled", "refused", "pending",
                                     "credit_sent", "debit_sent")]
        need(not stuck and not mid, "orders_settled",
             f"unsettled after the tap: {stuck}; mid-way: {mid}")

    for card, side in now.cards.items():
        was = base.cards[card]
        mine = [o for o in loads if o["card_no"] == card]
        paid_orders = [o for o in pays if o["card_no"] == card]
        c_loaded = sum(o["amount_fen"] for o in mine if o["status"] == "completed")
        c_pending = sum(o["amount_fen"] for o in mine if o["status"] in PENDING_LOAD)
        n_loaded = sum(1 for o in mine if o["status"] == "completed")
        n_pending = sum(1 for o in mine if o["status"] in PENDING_LOAD)
        c_paid = sum(o["amount_fen"] for o in paid_orders if o["status"] == "completed")
        n_paid = sum(1 for o in paid_orders if o["status"] == "completed")
        c_open = sum(o["amount_fen"] for o in paid_orders if o["status"] in OPEN_PURCHASE)
        n_open = sum(1 for o in paid_orders if o["status"] in OPEN_PURCHASE)
        quiet = not (c_pending or c_open) and not any(
            o["card_no"] == card and o["central_ref"] is None and o["state"] not in (
                "refused", "cancelled") for o in journal_loads)
        moved = side.balance_fen - was.balance_fen
        low, high = c_loaded - c_paid - c_open, c_loaded + c_pending - c_paid
        need(low <= moved <= high, "card_balance",
             f"card …{card[-4:]} moved {moved}: loads {c_loaded} (+{c_pending} pending) - "
             f"payments {c_paid} (+{c_open} open)")
        if quiet:
            need(now.central_balance[card] == side.balance_fen, "central_balance_is_the_cards",
                 f"card …{card[-4:]}: central {now.central_balance[card]}, card "
                 f"{side.balance_fen}")
        counted = side.online_counter - was.online_counter
        need(n_loaded <= counted <= n_loaded + n_pending, "online_counter_once_per_load",
             f"card …{card[-4:]}: online counter +{counted} for {n_loaded} loads "
             f"(+{n_pending} pending)")
        spent = side.offline_counter - was.offline_counter
        need(n_paid <= spent <= n_paid + n_open, "offline_counter_once_per_payment",
             f"card …{card[-4:]}: offline counter +{spent} for {n_paid} payments "
             f"(+{n_open} open)")
    return fail
