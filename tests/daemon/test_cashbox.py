"""A cashbox collection: the counters' reset and its event for the central side are
one journal transaction, and the slip can never undo or hide either (issue 12.3)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import daemon.cashbox
from daemon.cashbox import Cashbox
from daemon.journal import Journal
from daemon.printing import Printing
from hardware.cash import CashboxCounters
from hardware.printer import ReceiptPrinter


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "j.sqlite") as j:
        yield j


def _filled(journal: Journal) -> Cashbox:
    cashbox = Cashbox(journal, CashboxCounters())
    for fen in (2000, 1000, 1000):
        cashbox.counters.record_note(fen)
    with journal.transaction() as db:
        cashbox.save(db)
    return cashbox


def _printing(tmp_path: Path, journal: Journal, printer: ReceiptPrinter) -> Printing:
    return Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                    receipts_dir=tmp_path / "receipts")


def _events(journal: Journal) -> list[dict[str, Any]]:
    rows = journal.query("SELECT payload FROM outbox WHERE kind = 'event'")
    return [e for r in rows for e in json.loads(r["payload"])["events"]]


def _journaled_short_fen(journal: Journal) -> int:
    saved = Cashbox.load(journal)
    return saved.short.total_fen


def test_an_operator_name_with_a_line_break_is_collected_printed_and_reported(
        tmp_path: Path, journal: Journal) -> None:
    printer = ReceiptPrinter()
    cashbox = _filled(journal)
    done = cashbox.collect("Li\u0085Lei", _printing(tmp_path, journal, printer), "zh")
    assert (done["collected_fen"], done["pieces"], done["printed"]) == (4000, 3, True)
    assert "操作员" in printer.receipts[-1].receipt.text
    assert "Li Lei" in printer.receipts[-1].receipt.text
    [event] = _events(journal)
    assert event["kind"] == "cashbox_collection"
    assert event["data"]["collected_fen"] == 4000 and event["data"]["reference"] == \
        done["reference"]
    assert _journaled_short_fen(journal) == 0


def test_a_slip_that_cannot_be_drawn_still_leaves_the_collection_reported(
        tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    printer = ReceiptPrinter()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("raqm_layout() failed")

    monkeypatch.setattr(printer, "print_receipt", broken)
    cashbox = _filled(journal)
    done = cashbox.collect("op-17", _printing(tmp_path, journal, printer), "zh")
    assert done["printed"] is False and done["collected_fen"] == 4000
    assert [e["data"]["collected_fen"] for e in _events(journal)] == [4000]
    assert _journaled_short_fen(journal) == 0
    unprinted = [r["id"] for r in _printing(tmp_path, journal, printer).journaled(
        unprinted_only=True)]
    assert unprinted == [f"{done['reference']}-cashbox_collection"]


def test_the_reset_is_not_kept_without_its_event(
        tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(db: sqlite3.Connection, kind: str, data: dict[str, Any]) -> str:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(daemon.cashbox, "queue_event", refuse)
    printer = ReceiptPrinter()
    cashbox = _filled(journal)
    with pytest.raises(sqlite3.OperationalError):
        cashbox.collect("op-17", _printing(tmp_path, journal, printer), "zh")
    assert _journaled_short_fen(journal) == 4000  # the reset was rolled back with the event
    assert _events(journal) == []
    assert len(printer.receipts) == 0


def test_the_collection_needs_an_operator(tmp_path: Path, journal: Journal) -> None:
    cashbox = _filled(journal)
    with pytest.raises(ValueError, match="operator"):
        cashbox.collect("  ", _printing(tmp_path, journal, ReceiptPrinter()), "zh")
    assert _journaled_short_fen(journal) == 4000 and _events(journal) == []
