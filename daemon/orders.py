"""Orders in the journal: one row per load or purchase, one step per move.

An order's ``state`` only ever moves forward, and every move is written
(with the facts it rests on: the card's answer, the central reply) in one
durable transaction *before* the next action is taken. A flow that crashes
anywhere can therefore be resumed from its row alone; :mod:`daemon.loadflow`
and :mod:`daemon.purchaseflow` do that.

Final states: ``completed``, ``pending`` (a load held by the central side
for the card's next tap, voucher printed), ``cancelled`` (no value moved),
``refused`` (the central side or the card said no before any value moved).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daemon.journal import Journal

__all__ = ["FINAL", "Order", "OrderStore"]

FINAL = ("completed", "pending", "cancelled", "refused")


@dataclass(frozen=True)
class Order:
    id: str
    session_id: str | None
    kind: str  # load | purchase
    card_no: str
    amount_fen: int
    state: str
    central_ref: str | None
    facts: dict[str, Any]  # the latest value of every fact the steps recorded

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def key(self, step: str) -> str:
        """The idempotency key of one central request of this order."""
        return f"{self.id}:{step}"


class OrderStore:
    """Orders and their steps in the journal."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        # Called with each order just journaled; kioskd --simulate uses it to die at a
        # chosen step (POST /v1/sim/crash), which is how the crash tests find every step.
        self.after_step: Callable[[Order], None] | None = None

    def create(self, *, kind: str, card_no: str, amount_fen: int, session_id: str | None,
               facts: dict[str, Any] | None = None) -> Order:
        if amount_fen <= 0:
            raise ValueError("an order moves a positive amount")
        order_id = f"{'L' if kind == 'load' else 'P'}{time.strftime('%y%m%d%H%M%S')}" \
                   f"{secrets.token_hex(3).upper()}"
        now = time.time()
        with self.journal.transaction() as db:
            db.execute("INSERT INTO orders (id, session_id, kind, card_no, amount_fen,"
                       " idempotency_key, state, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?)",
                       (order_id, session_id, kind, card_no, amount_fen, order_id, now, now))
            self.journal.add_step(db, order_id, "new", facts or {})
        return self.get(order_id)

    def advance(self, order: Order, state: str, **facts: Any) -> Order:
        """Record ``state`` and its facts durably; returns the order as now journaled."""
        central_ref = facts.pop("central_ref", None)
        with self.journal.transaction() as db:
            db.execute("UPDATE orders SET state = ?, central_ref = COALESCE(?, central_ref),"
                       " updated_at = ? WHERE id = ?", (state, central_ref, time.time(), order.id))
            if central_ref:
                facts["central_ref"] = central_ref
            self.journal.add_step(db, order.id, state, facts)
        journaled = self.get(order.id)
        if self.after_step is not None:
            self.after_step(journaled)
        return journaled

    def get(self, order_id: str) -> Order:
        rows = self.journal.query("SELECT * FROM orders WHERE id = ?", (order_id,))
        if not rows:
            raise KeyError(order_id)
        row = rows[0]
        facts: dict[str, Any] = {}
        for step in self.journal.query("SELECT detail FROM steps WHERE order_id = ? ORDER BY id",
                                       (order_id,)):
            facts.update(json.loads(step["detail"]))
        return Order(row["id"], row["session_id"], row["kind"], row["card_no"],
                     row["amount_fen"], row["state"], row["central_ref"], facts)

    def unfinished(self) -> list[Order]:
        rows = self.journal.query("SELECT id FROM orders WHERE state NOT IN (?, ?, ?, ?)"
                                  " ORDER BY created_at", FINAL)
        return [self.get(r["id"]) for r in rows]

    def for_session(self, session_id: str) -> list[Order]:
        rows = self.journal.query("SELECT id FROM orders WHERE session_id = ? ORDER BY created_at",
                                  (session_id,))
        return [self.get(r["id"]) for r in rows]
