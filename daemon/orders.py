"""Orders in the journal: one row per load or purchase, one step per move.

An order's ``state`` only ever moves forward, and every move is written
(with the facts it rests on: the card's answer, the central reply) in one
durable transaction *before* the next action is taken. A flow that crashes
anywhere can therefore be resumed from its row alone; :mod:`daemon.loadflow`
and :mod:`daemon.purchaseflow` do that.

Final states: ``completed``, ``pending`` (a load held by the central side
for the card's next tap, voucher printed), ``cancelled`` (no value moved),
``refused`` (the central side or the card said no before any value moved, or
the cash was over the load limits: a load's cash is then owed back).

``pending`` is final for recovery, not forever: when the cardholder comes back
to finish that load, the same order goes on (``created`` again, driven by the
new session), so one central order always has one journal row.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from daemon.journal import Journal
from protocol.cardno import printed_card_no

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
    # Steps taken but not journaled yet (OrderStore.stage): the next advance writes
    # them in its own transaction, before its step.
    staged: tuple[tuple[str, dict[str, Any]], ...] = field(default=(), compare=False)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def printed_no(self) -> str:
        """The card number as printed on the card (its ``aid`` fact says how); the
        serial for an order journaled before orders kept the AID."""
        aid = self.facts.get("aid")
        return printed_card_no(self.card_no, aid if isinstance(aid, str) else None)

    def key(self, step: str) -> str:
        """The idempotency key of one central request of this order."""
        return f"{self.id}:{step}"


class OrderStore:
    """Orders and their steps in the journal."""

    def __init__(self, journal: Journal, *,
                 after_step: Callable[[Order], None] | None = None) -> None:
        self.journal = journal
        # Called with each order just journaled; kioskd --simulate uses it to die at a
        # chosen step (POST /v1/sim/crash), which is how the crash tests find every step.
        self._after_step = after_step

    def create(self, *, kind: str, card_no: str, amount_fen: int, session_id: str | None,
               facts: dict[str, Any] | None = None) -> Order:
        with self.journal.transaction() as db:
            order_id = self.insert(db, kind=kind, card_no=card_no, amount_fen=amount_fen,
                                   session_id=session_id, facts=facts)
        return self.get(order_id)

    def insert(self, db: sqlite3.Connection, *, kind: str, card_no: str, amount_fen: int,
               session_id: str | None, facts: dict[str, Any] | None = None,
               refused: dict[str, Any] | None = None) -> str:
        """A new order inside the caller's transaction, so several are journaled
        together; returns its id. ``refused`` (why: code, message) makes it final at
        once: no value will move, and a load's cash is owed."""
        if amount_fen <= 0:
            raise ValueError("an order moves a positive amount")
        order_id = f"{'L' if kind == 'load' else 'P'}{time.strftime('%y%m%d%H%M%S')}" \
                   f"{secrets.token_hex(3).upper()}"
        now = time.time()
        db.execute("INSERT INTO orders (id, session_id, kind, card_no, amount_fen,"
                   " idempotency_key, state, created_at, updated_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (order_id, session_id, kind, card_no, amount_fen, order_id,
                    "new" if refused is None else "refused", now, now))
        self.journal.add_step(db, order_id, "new", facts or {})
        if refused is not None:
            self.journal.add_step(db, order_id, "refused", refused)
        return order_id

    def advance(self, order: Order, state: str, **facts: Any) -> Order:
        """Record ``state`` and its facts durably, after the steps ``order`` has
        staged, in one transaction; returns the order as now journaled."""
        central_ref = facts.pop("central_ref", None)
        with self.journal.transaction() as db:
            db.execute("UPDATE orders SET state = ?, central_ref = COALESCE(?, central_ref),"
                       " updated_at = ? WHERE id = ?", (state, central_ref, time.time(), order.id))
            if central_ref:
                facts["central_ref"] = central_ref
            for staged, staged_facts in order.staged:
                self.journal.add_step(db, order.id, staged, staged_facts)
            self.journal.add_step(db, order.id, state, facts)
        journaled = self.get(order.id)
        if self._after_step is not None:
            for staged, _ in order.staged:
                self._after_step(replace(journaled, state=staged))
            self._after_step(journaled)
        return journaled

    def stage(self, order: Order, state: str, **facts: Any) -> Order:
        """``order`` moved to ``state`` in memory only: the step is journaled with the
        next :meth:`advance` (or :meth:`flush`), in the same transaction. For a step
        whose loss in a crash is harmless (the journal then says the state before
        it, and recovery goes on from there), so that a short window — INITIALIZE
        FOR LOAD to CREDIT FOR LOAD — pays one durable write, not three."""
        return replace(order, state=state, facts={**order.facts, **facts},
                       staged=(*order.staged, (state, facts)))

    def flush(self, order: Order) -> Order:
        """Journal the steps ``order`` has staged (none: ``order`` unchanged)."""
        if not order.staged:
            return order
        (*earlier, (state, facts)) = order.staged
        return self.advance(replace(order, staged=tuple(earlier)), state, **facts)

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

    def by_central_ref(self, central_ref: str) -> Order | None:
        """The journal's order for a central order, if this kiosk made or finished it."""
        rows = self.journal.query("SELECT id FROM orders WHERE central_ref = ?"
                                  " ORDER BY created_at LIMIT 1", (central_ref,))
        return self.get(rows[0]["id"]) if rows else None

    def for_session(self, session_id: str) -> list[Order]:
        rows = self.journal.query("SELECT id FROM orders WHERE session_id = ? ORDER BY created_at",
                                  (session_id,))
        return [self.get(r["id"]) for r in rows]
