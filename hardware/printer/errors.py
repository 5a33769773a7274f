"""Errors of the receipt printer package (tree drawn in :mod:`hardware.printer`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hardware.errors import HardwareError

if TYPE_CHECKING:
    from hardware.printer.status import PrinterStatus

__all__ = [
    "FontNotFound",
    "PrinterError",
    "PrinterNotReady",
    "PrinterUnavailable",
    "PrinterWriteError",
    "RenderError",
]


class PrinterError(HardwareError):
    """The receipt could not be printed, or the printer not reached."""


class PrinterUnavailable(PrinterError):
    """The printer could not be opened: not found, no permission, no driver library."""


class PrinterWriteError(PrinterError):
    """Bytes could not be sent (cable pulled, timeout, socket closed)."""


class PrinterNotReady(PrinterError):
    """The printer answered, and its answer rules printing out (paper out, cover open)."""

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


class RenderError(PrinterError):
    """A receipt could not be turned into bytes or an image."""


class FontNotFound(RenderError):
    """No CJK font for previews and raster receipts; the message says what to install."""
