"""The receipt printer: render a receipt, check the printer, send the bytes.

:class:`ReceiptPrinter` sits over any python-escpos device (``device=``), the
way a gpiozero device sits over a pin factory. It uses only the device's raw
write and read; every receipt is rendered by our code (:mod:`.layout`,
:mod:`.encode`, :mod:`.preview`).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escpos.escpos import Escpos

from config.schema import PrinterSection
from hardware.printer.devices import describe, open_device, translate_errors
from hardware.printer.encode import encode_raster, encode_text
from hardware.printer.errors import PrinterError, PrinterNotReady, RenderError
from hardware.printer.layout import Paper, layout
from hardware.printer.model import Receipt
from hardware.printer.preview import paint, png_bytes
from hardware.printer.receipts import PrinterTestPage, ReceiptContext, printer_test_page
from hardware.printer.sim import SimPrinterDevice
from hardware.printer.status import QUERIES, PrinterStatus, parse_status, query_bytes

__all__ = ["PrintedReceipt", "ReceiptPrinter", "RenderedReceipt", "printer_from_config"]

log = logging.getLogger(__name__)

CHINESE_MODES = ("gb18030", "raster")


@dataclass(frozen=True)
class RenderedReceipt:
    """A receipt as bytes for the printer and (when asked) a PNG preview."""

    receipt: Receipt
    data: bytes
    png: bytes | None

    def save_png(self, path: Path | str) -> Path:
        if self.png is None:
            raise RenderError("this receipt was rendered without a preview")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.png)
        return target


@dataclass(frozen=True)
class PrintedReceipt(RenderedReceipt):
    """A receipt that was sent, with the status the printer gave before it."""

    status: PrinterStatus = field(default_factory=lambda: parse_status({}))
    printed_at: datetime = field(default_factory=datetime.now)


class ReceiptPrinter:
    """Prints :class:`~hardware.printer.model.Receipt` objects.

    ``device``: a python-escpos printer object; ``None`` gives a simulated one
    (:class:`~hardware.printer.sim.SimPrinterDevice`). ``chinese``:
    ``"gb18030"`` (printer has a Chinese font) or ``"raster"`` (print images).
    ``previews``: keep a PNG of each receipt (default: only when simulated).
    ``receipts`` keeps the last ``keep`` receipts printed.
    """

    def __init__(
        self,
        *,
        device: Escpos | None = None,
        paper_width_mm: int = 80,
        chinese: str = "gb18030",
        previews: bool | None = None,
        keep: int = 50,
        name: str | None = None,
    ) -> None:
        if chinese not in CHINESE_MODES:
            raise RenderError(f"chinese must be one of {CHINESE_MODES}, not {chinese!r}")
        self.device: Escpos = device if device is not None else SimPrinterDevice()
        self.simulated = isinstance(self.device, SimPrinterDevice)
        self.paper = Paper(paper_width_mm)
        self.chinese = chinese
        self.previews = self.simulated if previews is None else previews
        self.name = name or ("sim" if self.simulated else type(self.device).__name__.lower())
        self.receipts: collections.deque[PrintedReceipt] = collections.deque(maxlen=keep)
        self.last_status: PrinterStatus = parse_status({}, "not asked yet")
        self._lock = threading.Lock()
        self._connected = self.simulated
        self._closed = False

    @classmethod
    def from_config(cls, section: PrinterSection, **kwargs: Any) -> ReceiptPrinter:
        return printer_from_config(section, **kwargs)

    # -- rendering (pure) -------------------------------------------------

    def render(self, receipt: Receipt, *, preview: bool | None = None) -> RenderedReceipt:
        """Bytes for this printer's paper and Chinese mode, and a PNG if wanted."""
        rows = layout(receipt, self.paper)
        want_png = self.previews if preview is None else preview
        image = paint(rows, self.paper) if want_png or self.chinese == "raster" else None
        if self.chinese == "raster":
            assert image is not None
            data = encode_raster(image)
        else:
            data = encode_text(rows, self.paper)
        return RenderedReceipt(receipt, data, png_bytes(image) if want_png and image else None)

    # -- the device --------------------------------------------------------

    def status(self) -> PrinterStatus:
        """Ask DLE EOT 1-4. Never raises: an unreachable printer is ``unknown``."""
        with self._lock:
            self._check_open()
            self.last_status = self._query_status()
            return self.last_status

    def print_receipt(self, receipt: Receipt, *, check_status: bool = True,
                      preview: bool | None = None) -> PrintedReceipt:
        """Render and print. Refuses (:class:`PrinterNotReady`) only when the
        printer says it cannot print; an unknown status does not stop a print.
        ``preview``: keep a PNG of it (default: :attr:`previews`)."""
        rendered = self.render(receipt, preview=preview)
        with self._lock:
            self._check_open()
            status = self._query_status() if check_status else parse_status({}, "not checked")
            self.last_status = status
            if not status.can_print:
                raise PrinterNotReady(
                    f"receipt {receipt.reference} not printed: printer {status.state}", status
                )
            started = time.monotonic()
            self._write(rendered.data)
            log.info(
                "printed %s receipt %s (%d bytes, %.0f ms, status before: %s)",
                receipt.kind, receipt.reference, len(rendered.data),
                (time.monotonic() - started) * 1000, status.state,
            )
        printed = PrintedReceipt(rendered.receipt, rendered.data, rendered.png, status)
        self.receipts.append(printed)
        return printed

    def print_test_page(
        self, ctx: ReceiptContext, *, reference: str, when: datetime | None = None
    ) -> PrintedReceipt:
        """The test page for ``kioskctl printer test``: this printer's own settings."""
        status = self.status()
        facts = PrinterTestPage(
            reference=reference, when=when or datetime.now(UTC), backend=self.name,
            paper_width_mm=self.paper.width_mm, columns=self.paper.columns,
            chinese=self.chinese, status=status.state.value,
        )
        return self.print_receipt(printer_test_page(ctx, facts))

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready state for ``kioskctl status`` (the last status asked; no I/O)."""
        return {
            "name": self.name,
            "simulated": self.simulated,
            "paper_width_mm": self.paper.width_mm,
            "columns": self.paper.columns,
            "chinese": self.chinese,
            "status": self.last_status.to_dict(),
            "printed": len(self.receipts),
            "closed": self._closed,
        }

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                with translate_errors(self.name):
                    self.device.close()
            except PrinterError as exc:
                log.warning("closing the printer: %s", exc)
            self._connected = False

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> ReceiptPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._closed:
            return f"<ReceiptPrinter {self.name} closed>"
        return (
            f"<ReceiptPrinter {self.name} {self.paper.width_mm}mm/{self.paper.columns}col "
            f"{self.chinese} status={self.last_status.state} printed={len(self.receipts)}>"
        )

    # -- internals ---------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise PrinterError("the receipt printer is closed")

    def _connect(self) -> None:
        if not self._connected:
            with translate_errors(self.name):
                self.device.open()
            self._connected = True

    def _write(self, data: bytes) -> None:
        try:
            self._connect()
            with translate_errors(self.name):
                # escpos's one raw-write method; every command in `data` is ours
                self.device._raw(data)
        except PrinterError:
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        # The next call reopens: a printer plugged back in is found again.
        self._connected = False
        try:
            self.device.close()
        except Exception:  # closing a broken connection may fail too; nothing to add
            log.debug("closing after an error failed", exc_info=True)

    def _query_status(self) -> PrinterStatus:
        if type(self.device)._read is Escpos._read:
            # File and similar write-only backends: asking would only put
            # DLE EOT bytes in the stream, with nobody to read the answer.
            return parse_status({}, "this backend cannot read from the printer")
        try:
            self._connect()
        except PrinterError as exc:
            self._disconnect()
            return parse_status({}, str(exc))
        answers: dict[int, bytes | None] = {}
        detail = ""
        for n in QUERIES:
            try:
                answers[n] = bytes(self.device.query_status(query_bytes(n)))
                if not answers[n]:
                    # Silent now, silent for the rest: do not wait out every timeout.
                    detail = f"no answer to DLE EOT {n}"
                    break
            except NotImplementedError:
                detail = "this backend cannot read from the printer"
                break
            except Exception as exc:  # a status read must never take the daemon down
                detail = f"no answer to DLE EOT {n}: {exc}"
                log.debug("printer status query %d failed", n, exc_info=True)
                self._disconnect()
                break
        status = parse_status(answers, detail)
        log.debug("printer status %s %s", status.state, status.answers)
        return status


def printer_from_config(section: PrinterSection, **kwargs: Any) -> ReceiptPrinter:
    """The printer ``section`` describes (``printer.backend`` … ``printer.chinese``)."""
    device = open_device(section)
    kwargs.setdefault("name", describe(section))
    return ReceiptPrinter(
        device=device, paper_width_mm=section.paper_width_mm, chinese=section.chinese, **kwargs
    )
