"""The day's figures: the X report (a view) and the Z report (closing the day, once)
are computed by the audit's own function, so the three never disagree."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from daemon.audit import audit
from daemon.journal import Journal
from daemon.orders import OrderStore
from daemon.printing import Printing
from daemon.settlement import settle, x_report
from hardware.printer import ReceiptPrinter
from hardware.printer.model import Row, Text
from hardware.printer.sim import SimPrinterDevice

CARD = "03104440300000100017"


@dataclass
class Kit:
    journal: Journal
    store: OrderStore
    printer: ReceiptPrinter
    printing: Printing
    events: list[tuple[str, dict[str, Any]]]

    def report(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, data))

    def topup(self, notes: list[int], loads: list[tuple[int, str]]) -> str:
        """A top-up session with these notes journaled and its load orders in these states."""
        session = f"S{uuid.uuid4().hex[:12].upper()}"
        with self.journal.transaction() as db:
            db.execute("INSERT INTO sessions (id, kind, card_no, state, started_at)"
                       " VALUES (?, 'topup', ?, 'completed', ?)", (session, CARD, time.time()))
            for value in notes:
                db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at)"
                           " VALUES (?, 'note', ?, 1, ?)", (session, value, time.time()))
        for amount, state in loads:
            order = self.store.create(kind="load", card_no=CARD, amount_fen=amount,
                                      session_id=session)
            self.store.advance(order, state)
        return session

    def printed_words(self) -> str:
        lines = self.printer.receipts[-1].receipt.lines
        return "\n".join(f"{x.label} {x.value}" if isinstance(x, Row) else x.text
                         for x in lines if isinstance(x, Row | Text))

    def settlement_rows(self) -> int:
        return int(self.journal.query(
            "SELECT COUNT(*) FROM receipts WHERE kind = 'settlement'")[0][0])


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[Kit]:
    printer = ReceiptPrinter(device=SimPrinterDevice())
    with Journal(tmp_path / "journal.sqlite") as journal:
        printing = Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                            receipts_dir=tmp_path / "receipts")
        yield Kit(journal, OrderStore(journal), printer, printing, [])


def test_a_refused_top_up_is_owed_in_the_audit_and_the_z_report_alike(kit: Kit) -> None:
    kit.topup([10000, 10000, 10000, 10000, 2000, 1000, 100], [(43100, "refused")])
    checked = audit(kit.journal)
    assert checked["holds"] is True and checked["totals"]["owed_fen"] == 43100

    z = settle(kit.journal, kit.printing, kit.report, date.today(), "zh")
    words = kit.printed_words()
    assert "不平衡" not in words and "平衡" in words  # it was "不平衡 +¥431.00"
    assert (z["cash_fen"], z["loads_owed"], z["holds"], z["difference_fen"]) == \
        (43100, [1, 43100], True, 0)


def test_the_day_s_figures_are_the_audit_s(kit: Kit) -> None:
    kit.topup([2000, 2000, 1000], [(5000, "completed")])
    kit.topup([2000], [(2000, "pending")])
    kit.topup([10000, 500], [(10000, "completed"), (500, "refused")])
    with kit.journal.transaction() as db:  # cash with no session: outside every balance
        db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at)"
                   " VALUES (NULL, 'note', 5000, 50, ?)", (time.time(),))
        db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at)"
                   " VALUES (NULL, 'unidentified', 0, 7, ?)", (time.time(),))
    totals = audit(kit.journal)["totals"]
    x = x_report(kit.journal, date.today())
    assert x["report"] == "X"
    assert x["loads_credited"] == [2, totals["credited_fen"]] == [2, 15000]
    assert x["loads_pending"] == [1, totals["pending_fen"]] == [1, 2000]
    assert x["loads_owed"] == [1, totals["owed_fen"]] == [1, 500]
    assert x["unattributed_fen"] == totals["unattributed_fen"] == 5000
    assert x["unrecognised"] == totals["unidentified"] == 1
    assert x["cash_fen"] == totals["cash_in_fen"] + 5000 == 22500
    assert x["cash_counts"] == {"10000": 1, "5000": 1, "2000": 3, "1000": 1, "500": 1}
    assert (x["holds"], x["difference_fen"]) == (True, 0)


def test_the_x_report_prints_numbers_and_sends_nothing(kit: Kit) -> None:
    kit.topup([2000], [(2000, "completed")])
    x = x_report(kit.journal, date.today())
    assert x["closed"] is None and "z_number" not in x
    assert (len(kit.printer.receipts), kit.events, kit.settlement_rows()) == (0, [], 0)
    # A Z after any number of X reports is still the first.
    assert settle(kit.journal, kit.printing, kit.report, date.today(), "en")["z_number"] == 1
    after = x_report(kit.journal, date.today())
    assert after["closed"]["z_number"] == 1 and after["closed"]["reference"].startswith("Z")


def test_a_day_is_closed_once_and_a_second_close_reprints_it(kit: Kit) -> None:
    kit.topup([2000], [(2000, "completed")])
    first = settle(kit.journal, kit.printing, kit.report, date.today(), "en")
    assert (first["z_number"], first["already_closed"], first["printed"]) == (1, False, True)
    kit.topup([1000], [(1000, "completed")])  # after the close
    again = settle(kit.journal, kit.printing, kit.report, date.today(), "en")
    assert (again["z_number"], again["reference"]) == (first["z_number"], first["reference"])
    assert again["already_closed"] is True and again["printed"] is True
    assert again["loads_credited"] == first["loads_credited"] == [1, 2000]  # as closed
    assert again["changed_since_close"] is True
    assert [kind for kind, _ in kit.events] == ["settlement"]  # sent once
    assert kit.settlement_rows() == 1
    assert len(kit.printer.receipts) == 2  # printed, then reprinted as a marked copy
    first_print, reprint = (r.data for r in kit.printer.receipts)
    assert b"REPRINT" in reprint and b"REPRINT" not in first_print
    assert first["reference"].encode() in reprint
