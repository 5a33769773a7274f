"""Start-up recovery: every unfinished order driven to a final state before the
acceptor may take cash again. Also run whenever the central link comes back,
for the orders that waited on it.

- A top-up session left open (the daemon died mid-session) gets a load order
  for the cash the journal holds for it, if it has none yet.
- A load that needs the card (not on the reader now) is held at the central
  side as a pending load for the card's next tap, with a voucher (a refund
  voucher if the central side refuses the load outright); a load
  already on the card (``credited``) is confirmed; a load the central side
  never heard of (``new``) is created there first — until the link is up it
  stays in the journal, counted as pending by the audit.
- A bill payment that moved no value is cancelled; one whose DEBIT answer was
  lost (``debit_sent``) waits for its card's log at the next tap.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from daemon.central import CentralError
from daemon.flow import NeedsCard
from daemon.journal import Journal
from daemon.loadflow import LoadFlow, is_transfer
from daemon.orders import Order, OrderStore
from daemon.printing import Printing
from daemon.purchaseflow import PurchaseFlow
from daemon.vouchers import voucher
from hardware.card.errors import CardError

__all__ = ["Recovery"]

logger = logging.getLogger(__name__)


class Recovery:
    def __init__(self, journal: Journal, store: OrderStore, loads: LoadFlow,
                 purchases: PurchaseFlow, printing: Printing) -> None:
        self._journal = journal
        self._store = store
        self._loads = loads
        self._purchases = purchases
        self._printing = printing

    def run(self, language: str = "zh", *, startup: bool = False) -> dict[str, Any]:
        """Recover what can be recovered now; returns what was done (for the log).

        At start-up every open session is an orphan of the previous run and is
        closed. Later (``startup`` False) a session still open is live, and its
        orders are its own: only orders of closed sessions are touched."""
        report: dict[str, Any] = {"sessions": self._close_sessions() if startup else {},
                                  "orders": {}}
        open_sessions = {r["id"] for r in self._journal.query(
            "SELECT id FROM sessions WHERE state = 'open'")}
        for order in self._store.unfinished():
            if open_sessions & {order.session_id, order.facts.get("driven_by")}:
                continue  # a live session is driving it (or finishing it as a pending load)
            before = order.state
            try:
                after = (self._load(order) if order.kind == "load"
                         else self._purchase(order))
            except CentralError as exc:
                logger.info("order %s waits for the central link (%s)", order.id, exc)
                after = self._store.get(order.id)
            if after.kind == "load" and after.state in ("pending", "refused") \
                    and not is_transfer(after):  # a transfer took no cash: no voucher
                voucher(self._printing, self._store, after, "restart", language)
            if after.state != before:
                report["orders"][order.id] = f"{before} -> {after.state}"
        if report["orders"] or report["sessions"]:
            logger.info("recovery: %s", report)
        return report

    def _close_sessions(self) -> dict[str, str]:
        done: dict[str, str] = {}
        for row in self._journal.query("SELECT id, kind, card_no, aid FROM sessions"
                                       " WHERE state = 'open'"):
            if row["kind"] == "topup" and not self._store.for_session(row["id"]):
                cash = self._journal.query(
                    "SELECT COALESCE(SUM(value_fen), 0) AS fen FROM cash"
                    " WHERE session_id = ? AND kind = 'note'", (row["id"],))[0]["fen"]
                if cash:
                    order = self._store.create(kind="load", card_no=row["card_no"],
                                               amount_fen=int(cash), session_id=row["id"],
                                               facts={"recovered": True, "aid": row["aid"]})
                    done[row["id"]] = f"load order {order.id} for {cash} fen"
            with self._journal.transaction() as db:
                db.execute("UPDATE sessions SET state = 'recovered', ended_at = ? WHERE id = ?",
                           (time.time(), row["id"]))
            done.setdefault(row["id"], "closed")
        return done

    def _load(self, order: Order) -> Order:
        try:
            order = self._loads.drive(order)
        except NeedsCard:
            order = self._loads.hold(self._store.get(order.id), "restart")
        except CardError:  # not reachable without a card in the field; kept for safety
            order = self._store.get(order.id)
        return order

    def _purchase(self, order: Order) -> Order:
        if order.state == "debit_sent":
            return order  # only the card's log can say; settled at its next tap
        try:
            return self._purchases.drive(order) if order.state == "debited" else \
                self._purchases.give_up(order, "restart")
        except NeedsCard:
            return self._store.get(order.id)
