"""Receipts journaled with their facts: one that could not print is listed and
printed again later, identical."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from daemon.journal import Journal
from daemon.printing import Printing
from hardware.printer import ReceiptPrinter
from hardware.printer.receipts import TopUp
from hardware.printer.sim import SimPrinterDevice


def test_a_receipt_that_could_not_print_is_reprinted_from_its_facts(tmp_path: Path) -> None:
    device = SimPrinterDevice()
    printer = ReceiptPrinter(device=device)
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                            receipts_dir=tmp_path / "receipts")
        facts = TopUp("L1", datetime(2026, 11, 24, 9, 0), "31044403000000100017", 5000, 8650,
                      13650, notes=((2000, 2), (1000, 1)), tac="1A2B3C4D")
        device.paper_out = True
        first = printing.receipt("topup", facts, "zh")
        assert first["printed"] is False and "paper" in first["error"]
        assert [r["id"] for r in printing.journaled(unprinted_only=True)] == ["L1-topup"]

        device.paper_out = False  # the operator loads paper
        again = printing.reprint("L1-topup")
        assert again["printed"] is True
        assert printing.journaled(unprinted_only=True) == []
        assert printer.receipts[-1].receipt.reference == "L1"
        assert printer.receipts[-1].data == printer.render(printer.receipts[-1].receipt).data
        assert (tmp_path / "receipts" / "L1-topup.png").exists()
