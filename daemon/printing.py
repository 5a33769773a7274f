"""Receipts as the daemon prints them: journaled, printed, and (simulated) kept as PNG.

Every receipt gets a journal row, with the facts it is printed from, before it
is sent to the printer, and its ``printed_at`` (or ``last_error``) after, so an
operator can list what did not print and print it again (``kioskctl receipts``,
``kioskctl reprint``). With a simulated printer the PNG preview is written to
``<state_dir>/receipts/<reference>.png`` (the demo collects them from there).
A session's own receipt may ask for its preview *later*
(``receipt(..., preview_later=True)``, then :meth:`Printing.write_previews`
once the session has answered): a real text-mode printer pays nothing for a
picture, so the simulated one must not put 20–40 ms of Pillow on the path to
the cardholder's "done" either.

A receipt never raises past :meth:`Printing.receipt`: whatever goes wrong
between the facts and the paper (the printer, the preview, facts that do not
add up) is written on the journal row and answered as "not printed", so the
step that printed it — a load, a payment, a cashbox collection — stands as
journaled. Every receipt carries the configured hotline and prints its times
in the configured zone; a reprint is marked as one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from daemon.journal import Journal
from daemon.receiptfacts import facts_from_json, facts_to_json
from hardware.printer import PrinterError, Receipt, ReceiptContext, ReceiptPrinter
from hardware.printer.printer import PrintedReceipt
from hardware.printer.receipts import DEFAULT_ZONE, build_receipt

__all__ = ["Printing", "receipt_mac_key"]

logger = logging.getLogger(__name__)


def receipt_mac_key(secret: bytes) -> bytes:
    """The key of the receipts' QR MAC, derived from the kiosk secret."""
    return hmac.new(secret, b"citycard receipt qr v1", hashlib.sha256).digest()[:16]


class Printing:
    """Prints receipts for one kiosk."""

    def __init__(self, printer: ReceiptPrinter, journal: Journal, *, kiosk_id: str,
                 mac_key: bytes, receipts_dir: Path, zone: tzinfo = DEFAULT_ZONE,
                 hotline: str = "") -> None:
        self.printer = printer
        self._journal = journal
        self._kiosk_id = kiosk_id
        self._mac_key = mac_key
        self._dir = receipts_dir
        self.zone = zone
        self._hotline = hotline
        self._later: list[tuple[str, Receipt]] = []  # previews asked for later
        self._later_lock = threading.Lock()

    def context(self, language: str, *, reprinted_at: datetime | None = None) -> ReceiptContext:
        return ReceiptContext(self._kiosk_id, language, self._mac_key, hotline=self._hotline,
                              zone=self.zone, reprinted_at=reprinted_at)

    def now(self) -> datetime:
        """The time as receipts print it (the configured zone), e.g. for references."""
        return datetime.now(self.zone)

    def test_page(self, language: str = "zh") -> dict[str, Any]:
        """Print the printer test page; the result for ``kioskctl printer test``."""
        reference = f"T{self.now():%Y%m%d%H%M%S}{uuid.uuid4().hex[:4].upper()}"
        self._journal_receipt(reference, "test_page", {"language": language})
        try:
            printed = self.printer.print_test_page(self.context(language), reference=reference)
        except PrinterError as exc:
            self._done(reference, error=str(exc))
            raise
        return self._done(reference, printed=printed)

    def receipt(self, kind: str, facts: Any, language: str, *,
                preview_later: bool = False) -> dict[str, Any]:
        """Journal and print one receipt (facts: a hardware.printer.receipts dataclass whose
        ``reference`` is the order's). Never raises once journaled: a failure is recorded on
        the journal row (for ``kioskctl reprint``) and reported in the answer.

        ``preview_later``: the printer's PNG preview (if it keeps them) is rendered by
        the next :meth:`write_previews`, not now; the answer names the file it will be."""
        reference = getattr(facts, "reference", None) or getattr(facts, "ticket_no", "")
        row = f"{reference}-{kind}"
        self._journal_receipt(row, kind, {"language": language, "facts": facts_to_json(facts)})
        return self._print(row, facts, self.context(language), preview_later=preview_later)

    def write_previews(self) -> None:
        """Render and keep the previews :meth:`receipt` was asked to leave for later."""
        with self._later_lock:
            later, self._later = self._later, []
        for row, receipt in later:
            try:
                png = self.printer.render(receipt, preview=True).png
                assert png is not None
                self._keep_preview(row, png)
            except Exception:  # a copy for the demo and the tests; the paper is out
                logger.exception("receipt %s preview not kept", row)

    def _print(self, row: str, facts: Any, ctx: ReceiptContext, *,
               preview_later: bool = False) -> dict[str, Any]:
        later = preview_later and self.printer.previews
        try:
            receipt = build_receipt(ctx, facts)
            printed = self.printer.print_receipt(receipt, preview=False if later else None)
        except PrinterError as exc:
            logger.warning("receipt %s not printed: %s", row, exc)
            return self._done(row, error=str(exc))
        except Exception as exc:  # a bug or bad facts must not undo what was journaled
            logger.exception("receipt %s could not be rendered", row)
            return self._done(row, error=f"{type(exc).__name__}: {exc}")
        done = self._done(row, printed=printed)
        if later:
            with self._later_lock:
                self._later.append((row, receipt))
            done["preview"] = str(self._dir / f"{row}.png")
        return done

    def _keep_preview(self, row: str, png: bytes) -> Path | None:
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            preview = self._dir / f"{row}.png"
            preview.write_bytes(png)
            return preview
        except OSError as exc:  # the paper is out already; the preview is a copy
            logger.warning("receipt %s preview not kept: %s", row, exc)
            return None

    def journaled(self, *, unprinted_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        """The newest journaled receipts (or only those that never printed)."""
        where = "WHERE printed_at IS NULL AND kind != 'test_page'" if unprinted_only else ""
        rows = self._journal.query(
            f"SELECT id, kind, created_at, printed_at, last_error FROM receipts {where}"
            " ORDER BY created_at DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def reprint(self, row: str) -> dict[str, Any]:
        """Print a journaled receipt again, from the facts it was first printed with."""
        found = self._journal.query("SELECT payload FROM receipts WHERE id = ?", (row,))
        if not found:
            raise KeyError(row)
        payload = json.loads(found[0]["payload"])
        if "facts" not in payload or not isinstance(payload["facts"], dict):
            raise ValueError(f"receipt {row} has no stored facts to print from")
        ctx = self.context(payload["language"], reprinted_at=self.now())
        return self._print(row, facts_from_json(payload["facts"]), ctx)

    def _journal_receipt(self, reference: str, kind: str, payload: dict[str, Any]) -> None:
        with self._journal.transaction() as db:
            db.execute("INSERT INTO receipts (id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                       (reference, kind, json.dumps(payload, ensure_ascii=False), time.time()))

    def _done(self, reference: str, *, printed: PrintedReceipt | None = None,
              error: str | None = None) -> dict[str, Any]:
        with self._journal.transaction() as db:
            db.execute("UPDATE receipts SET printed_at = ?, last_error = ? WHERE id = ?",
                       (time.time() if printed else None, error, reference))
        if printed is None:
            return {"reference": reference, "printed": False, "error": error}
        preview = self._keep_preview(reference, printed.png) if printed.png is not None else None
        logger.info("receipt %s printed (%d bytes)", reference, len(printed.data))
        return {"reference": reference, "printed": True, "bytes": len(printed.data),
                "status": printed.status.to_dict(), "preview": str(preview) if preview else None}
