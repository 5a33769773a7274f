"""Receipts journaled with their facts: one that could not print is listed and
printed again later, identical."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from daemon.journal import Journal
from daemon.printing import Printing
from hardware.printer import ReceiptPrinter
from hardware.printer.receipts import TopUp
from hardware.printer.sim import SimPrinterDevice
from tests.hardware.printer.escpos_reader import read


def test_a_receipt_that_could_not_print_is_reprinted_from_its_facts(tmp_path: Path) -> None:
    device = SimPrinterDevice()
    printer = ReceiptPrinter(device=device)
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                            receipts_dir=tmp_path / "receipts")
        facts = TopUp("L1", datetime(2026, 11, 24, 9, 0), "03104440300000100017", 5000, 8650,
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


def _printing(tmp_path: Path, journal: Journal, printer: ReceiptPrinter,
              **kwargs: Any) -> Printing:
    return Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                    receipts_dir=tmp_path / "receipts", **kwargs)


@pytest.mark.parametrize("failure", [RuntimeError("raqm_layout() failed"), OSError("disk"),
                                     ValueError("facts do not add up")])
def test_a_receipt_never_raises_past_printing(tmp_path: Path, failure: Exception,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    printer = ReceiptPrinter()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(printer, "print_receipt", broken)
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = _printing(tmp_path, journal, printer)
        answer = printing.receipt("topup", _topup(), "zh")
        assert answer["printed"] is False and str(failure) in answer["error"]
        # journaled with its error, so the operator sees it and can reprint it
        listed = printing.journaled(unprinted_only=True)
        assert [r["id"] for r in listed] == ["L1-topup"]
        assert str(failure) in listed[0]["last_error"]
        assert printing.reprint("L1-topup")["printed"] is False  # nor does a reprint raise


def test_a_reprint_is_marked_and_the_first_print_is_not(tmp_path: Path) -> None:
    printer = ReceiptPrinter()
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = _printing(tmp_path, journal, printer)
        assert printing.receipt("topup", _topup(), "zh")["printed"] is True
        assert "重印" not in printer.receipts[-1].receipt.text
        assert printing.reprint("L1-topup")["printed"] is True
        assert "重印" in printer.receipts[-1].receipt.text
        assert "重印" in read(printer.receipts[-1].data).text[2]


def test_every_receipt_carries_the_configured_hotline(tmp_path: Path) -> None:
    printer = ReceiptPrinter()
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = _printing(tmp_path, journal, printer, hotline="0755-12345")
        printing.receipt("topup", _topup(), "en")
        printing.test_page("zh")
    assert all("0755-12345" in printed.receipt.footer[0] for printed in printer.receipts)


def test_printing_uses_the_configured_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        printer = ReceiptPrinter()
        with Journal(tmp_path / "j.sqlite") as journal:
            printing = _printing(tmp_path, journal, printer, zone=ZoneInfo("Asia/Shanghai"))
            facts = dataclasses.replace(_topup(), when=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
            printing.receipt("topup", facts, "zh")
        assert "时间 2026-11-24 17:00:00" in printer.receipts[-1].receipt.text
    finally:
        monkeypatch.undo()
        time.tzset()


def _topup() -> TopUp:
    return TopUp("L1", datetime(2026, 11, 24, 9, 0), "03104440300000100017", 5000, 8650,
                 13650, notes=((2000, 2), (1000, 1)), tac="1A2B3C4D")


def test_a_preview_asked_for_later_is_drawn_by_write_previews(tmp_path: Path) -> None:
    """A session's receipt prints at once; its PNG (simulated printer) only when the
    session has answered and calls write_previews."""
    printer = ReceiptPrinter(device=SimPrinterDevice())
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = _printing(tmp_path, journal, printer)
        facts = TopUp("L2", datetime(2026, 11, 24, 9, 0), "03104440300000100017", 5000, 8650,
                      13650, notes=((5000, 1),), tac="1A2B3C4D")
        result = printing.receipt("topup", facts, "zh", preview_later=True)
        png = tmp_path / "receipts" / "L2-topup.png"
        assert result["printed"] is True and result["preview"] == str(png)
        assert printer.receipts[-1].data == printer.render(printer.receipts[-1].receipt).data
        assert not png.exists()
        printing.write_previews()
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        printing.write_previews()  # nothing left: nothing drawn twice
        assert len(list((tmp_path / "receipts").iterdir())) == 1


def test_a_receipt_journaled_with_the_serial_is_reprinted_as_it_was_printed(
        tmp_path: Path) -> None:
    # Before card numbers were printed as on the card, a T-Union receipt carried the
    # chip's 20-digit serial: a reprint of it prints that number again, not another.
    printer = ReceiptPrinter()
    with Journal(tmp_path / "j.sqlite") as journal:
        printing = _printing(tmp_path, journal, printer)
        old = TopUp("L1", datetime(2026, 11, 24, 9, 0), "03104440300000100017", 5000, 8650,
                    13650)
        printing.receipt("topup", old, "zh")
        first = printer.receipts[-1].receipt.text
        printing.reprint("L1-topup")
        again = printer.receipts[-1].receipt.text
        assert "0310****0017" in first and "0310****0017" in again
        assert "3104****0017" not in again
