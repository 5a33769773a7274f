"""The simulated printer: python-escpos's ``Dummy``, answering status queries.

:class:`SimPrinterDevice` keeps every byte printed (``output``, from Dummy) and
answers ``DLE EOT`` from a settable state, so the status parser and the
"paper out" paths run in simulation exactly as on a real printer. ``silent``
makes it answer nothing (status unknown); ``fail_writes`` makes writes raise
``OSError`` like a pulled cable.

Only the last ``keep`` writes stay in ``output`` (a receipt is one write): a
kiosk that runs for weeks on the simulation must not hold every receipt ever
printed (the soak found about 1 kB a receipt growing without end). The
receipts themselves are still on disk as PNGs under ``receipts_dir``.
"""

from __future__ import annotations

from escpos.printer import Dummy

from hardware.printer.status import DLE_EOT

__all__ = ["SimPrinterDevice"]


class SimPrinterDevice(Dummy):  # type: ignore[misc]
    """A Dummy printer with a paper roll, a cover and a status port."""

    def __init__(self, keep: int = 50) -> None:
        super().__init__()
        self.keep = keep
        self.paper_near_end = False
        self.paper_out = False
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.silent = False
        self.fail_writes = False
        self.status_queries = 0
        self._answer = b""

    def _raw(self, msg: bytes) -> None:
        if len(msg) == 3 and msg[:2] == DLE_EOT:
            self.status_queries += 1
            self._answer = b"" if self.silent else bytes([self._status_byte(msg[2])])
            return
        if self.fail_writes:
            raise OSError("simulated printer: write failed")
        super()._raw(msg)
        # Dummy's own list (python-escpos names it so); trimmed in place so
        # ``output`` and ``clear()`` keep working.
        del self._output_list[:-self.keep]

    def _read(self) -> bytes:
        answer, self._answer = self._answer, b""
        return answer

    def _status_byte(self, n: int) -> int:
        base = 0x12
        stopped = self.paper_out or self.cover_open or self.cutter_error
        if n == 1:
            return base | (0x08 if self.offline or stopped else 0)
        if n == 2:
            return base | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0) | (
                0x40 if self.cutter_error else 0
            )
        if n == 3:
            return base | (0x08 if self.cutter_error else 0)
        if n == 4:
            return base | (0x60 if self.paper_out else 0) | (0x0C if self.paper_near_end else 0)
        return base

    def __repr__(self) -> str:
        return f"<SimPrinterDevice {len(self.output)} bytes printed>"
