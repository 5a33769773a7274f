"""Start-up recovery's vouchers, against the reference central server: a load the
centre refuses outright is owed back with a refund voucher (not a pending-load
voucher), and an order gets its voucher once, however often recovery runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.audit import audit
from daemon.loadflow import LoadFlow
from daemon.printing import Printing
from daemon.purchaseflow import PurchaseFlow
from daemon.recovery import Recovery
from hardware.printer import ReceiptPrinter
from hardware.printer.sim import SimPrinterDevice
from tests.central.helpers import LIU, Central
from tests.daemon.flowkit import TERMINAL, Kit, make_kit


@pytest.fixture
def kit(tmp_path: Path, central: Central) -> Iterator[Kit]:
    k = make_kit(tmp_path, central)
    yield k
    k.close()


def test_a_load_refused_at_recovery_is_owed_with_a_refund_voucher(kit: Kit,
                                                                   tmp_path: Path) -> None:
    # ¥20 went in for a card that was reported lost meanwhile; kioskd died before
    # the load reached the centre.
    with kit.journal.transaction() as db:
        db.execute("INSERT INTO sessions (id, kind, card_no, state, started_at)"
                   " VALUES ('S1', 'topup', ?, 'open', ?)", (LIU, time.time()))
        db.execute("INSERT INTO cash (session_id, kind, value_fen, pulses, at)"
                   " VALUES ('S1', 'note', 2000, 20, ?)", (time.time(),))
    printer = ReceiptPrinter(device=SimPrinterDevice())
    printing = Printing(printer, kit.journal, kiosk_id="K1", mac_key=b"k" * 16,
                        receipts_dir=tmp_path / "receipts")
    recovery = Recovery(kit.journal, kit.store,
                        LoadFlow(kit.store, kit.client, kit.reader, terminal_id=TERMINAL),
                        PurchaseFlow(kit.store, kit.client, kit.reader, terminal_id=TERMINAL),
                        printing)
    recovery.run("en", startup=True)

    [order] = kit.store.for_session("S1")
    assert (order.state, order.amount_fen, order.facts["code"]) == ("refused", 2000, "card_lost")
    totals = audit(kit.journal)["totals"]
    assert (totals["cash_in_fen"], totals["owed_fen"], totals["pending_fen"]) == (2000, 2000, 0)
    assert [tuple(r) for r in kit.journal.query("SELECT id, kind FROM receipts")] == \
        [(f"{order.id}-refund", "refund")]
    receipt = printer.receipts[-1].receipt
    assert receipt.title == "REFUND VOUCHER" and "¥20.00" in receipt.text

    recovery.run("en", startup=True)  # again: nothing new is printed
    assert len(kit.journal.query("SELECT id FROM receipts")) == len(printer.receipts) == 1
