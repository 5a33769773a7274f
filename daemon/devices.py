"""The kiosk's devices, built from config: card reader, receipt printer, cash acceptor.

With ``simulate`` each gets its simulation *below* the production code: the
virtual card wallet under nfcpy, escpos's Dummy under the printer, gpiozero's
MockFactory under the acceptor. Opened in that order, closed in reverse.
The daemon reaches the libraries only through ``hardware``.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from config import Config
from hardware.card import open_reader
from hardware.card.nfc_reader import CardReader, ReaderListener
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet
from hardware.cash import CashAcceptor, CashboxCounters, CashListener
from hardware.cash.sim import CashSimulator, open_simulated
from hardware.printer import ReceiptPrinter, printer_from_config

__all__ = ["Devices", "open_devices"]

logger = logging.getLogger(__name__)


@dataclass
class Devices:
    """The opened devices. ``simulator`` (cards) and ``cash_sim`` exist only with --simulate."""

    reader: CardReader
    printer: ReceiptPrinter
    acceptor: CashAcceptor
    simulator: CardSimulator | None = None
    cash_sim: CashSimulator | None = None
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def status(self) -> dict[str, Any]:
        """Each device's state for ``kioskctl status`` (no device I/O)."""
        return {
            "reader": {"state": self.reader.state, "path": self.reader.path,
                       "taps": self.reader.taps},
            "printer": self.printer.snapshot(),
            "cash": self.acceptor.snapshot(),
        }

    def close(self) -> None:
        self._stack.close()


def open_devices(cfg: Config, *, listener: ReaderListener,
                 cash_listener: CashListener | None = None,
                 counters: CashboxCounters | None = None, simulate: bool) -> Devices:
    """Open the reader, the printer and the acceptor that ``cfg`` describes."""
    with ExitStack() as stack:
        simulator = None
        if simulate:
            simulator = CardSimulator(Wallet(cfg.wallet_path), rf_latency_ms=cfg.sim.rf_latency_ms,
                                      tac_counter=cfg.reader.tac_counter)
        reader = open_reader(cfg.reader, listener=listener, simulator=simulator)
        stack.callback(reader.close)

        if simulate:
            printer = ReceiptPrinter(paper_width_mm=cfg.printer.paper_width_mm,
                                     chinese=cfg.printer.chinese)
        else:
            printer = printer_from_config(cfg.printer)
        stack.callback(printer.close)
        printer.status()  # the first answer (or "unknown") for kioskctl status

        cash_sim = None
        if simulate:
            cash_sim = open_simulated(cfg.cash, listener=cash_listener, counters=counters)
            stack.callback(cash_sim.close)
            acceptor = cash_sim.acceptor
        else:
            acceptor = CashAcceptor(cfg.cash.pulse_pin, cfg.cash.inhibit_pin, settings=cfg.cash,
                                    listener=cash_listener, counters=counters)
            stack.callback(acceptor.close)
        devices = Devices(reader, printer, acceptor, simulator, cash_sim, stack.pop_all())
    logger.info("devices open: reader %s, printer %s, cash acceptor%s", reader.path,
                printer.name, " (simulated)" if simulate else "")
    return devices
