"""The cashbox: its counters kept in the journal, and the collection.

The acceptor counts each note (long counters since install, short since the
last collection); :meth:`Cashbox.save` writes them in the same journal
transaction as the note itself, so counters and cash rows never disagree
after a crash. A collection (``kioskctl cashbox collect``) resets the short
counters and queues its ``cashbox_collection`` event for the central side in
one journal transaction — a reset is never kept without its report — then
prints the slip, which can fail (the answer says so; ``kioskctl reprint``) but
never undoes or hides the collection.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from typing import Any

from daemon.journal import Journal
from daemon.printing import Printing
from daemon.reporting import queue_event
from hardware.cash import CashboxCounters
from hardware.printer.receipts import CashboxCollectionSlip

__all__ = ["Cashbox"]

logger = logging.getLogger(__name__)


class Cashbox:
    def __init__(self, journal: Journal, counters: CashboxCounters) -> None:
        self._journal = journal
        self.counters = counters

    @staticmethod
    def load(journal: Journal) -> CashboxCounters:
        rows = journal.query("SELECT counters FROM cashbox_state WHERE id = 1")
        return CashboxCounters.from_dict(json.loads(rows[0]["counters"])) if rows \
            else CashboxCounters()

    def save(self, db: sqlite3.Connection) -> None:
        """Inside the caller's transaction (the note's)."""
        db.execute("INSERT INTO cashbox_state (id, counters, updated_at) VALUES (1, ?, ?)"
                   " ON CONFLICT (id) DO UPDATE SET counters = excluded.counters,"
                   " updated_at = excluded.updated_at",
                   (json.dumps(self.counters.to_dict(), sort_keys=True), time.time()))

    def view(self) -> dict[str, Any]:
        data = self.counters.to_dict()
        data["short_fen"] = self.counters.short.total_fen
        data["long_fen"] = self.counters.long.total_fen
        return data

    def collect(self, operator: str, printing: Printing, language: str = "zh"
                ) -> dict[str, Any]:
        """The box was emptied: reset, report and print (see the module's docstring)."""
        if not operator.strip():
            raise ValueError("the operator's name or id is needed for the slip")
        now = printing.now()
        reference = f"C{now:%y%m%d%H%M%S}{uuid.uuid4().hex[:4].upper()}"
        with self._journal.transaction() as db:
            taken = self.counters.collect(now)
            contents = taken.contents
            self.save(db)
            queue_event(db, "cashbox_collection", {
                "reference": reference, "operator": operator,
                "collected_fen": contents.total_fen, "pieces": contents.pieces,
                "unidentified": contents.unidentified})
        logger.info("cashbox collected: %s, %d fen in %d pieces", reference,
                    contents.total_fen, contents.pieces)
        long = self.counters.long
        counts = tuple(sorted(((v, n) for v, n in contents.notes.items() if n), reverse=True))
        slip = CashboxCollectionSlip(reference, taken.collected_at, operator, counts,
                                     contents.unidentified, taken.previous_collection_at,
                                     long.total_fen, long.pieces)
        printed = printing.receipt("cashbox_collection", slip, language)
        return {"reference": reference, "collected_fen": contents.total_fen,
                "pieces": contents.pieces, "unidentified": contents.unidentified,
                "notes": {str(v): n for v, n in counts}, "printed": printed["printed"]}
