"""The simulated reader for ``kioskd --simulate``: a wallet of virtual cards
behind the fake nfcpy driver, and the controls ``kioskctl sim`` reaches.

The reader service above it is the production :class:`~hardware.card.nfc_reader.CardReader`;
only the device driver under nfcpy is simulated.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import nfc

from hardware.card.errors import ReaderUnavailable
from hardware.card.isodep import DEFAULT_ATS
from hardware.card.nfc_device import FieldCard, SimulatedDevice
from hardware.card.virtual import Faults, VirtualCard
from hardware.card.wallet import DEV_KEYS_FILE, Wallet
from protocol.masking import mask_card_no
from protocol.pboc.secure import IssuerKeys

__all__ = ["CardSimulator"]

logger = logging.getLogger(__name__)


class CardSimulator:
    """Virtual cards on a simulated reader.

    ``faults`` maps a card number to the :class:`~hardware.card.virtual.Faults`
    its next taps carry; ``rf_latency_ms`` is added to every command.
    """

    def __init__(self, wallet: Wallet, *, keys_file: Path = DEV_KEYS_FILE,
                 rf_latency_ms: float = 0, tac_counter: str = "before",
                 ats: bytes = DEFAULT_ATS, max_inf: int = 253,
                 device: SimulatedDevice | None = None) -> None:
        self.wallet = wallet
        self.keys = IssuerKeys.from_file(keys_file)
        self.device = device or SimulatedDevice()
        self.faults: dict[str, Faults] = {}
        self._latency = rf_latency_ms
        self._tac_counter = tac_counter
        self._ats = ats
        self._max_inf = max_inf
        self._lock = threading.Lock()
        self.current: VirtualCard | None = None

    def __repr__(self) -> str:
        on = self.current.state.card_no if self.current else None
        return f"<CardSimulator card={on} plugged={self.device.plugged}>"

    def cards(self) -> list[str]:
        return self.wallet.card_nos()

    def tap(self, card_no: str) -> VirtualCard:
        """Put ``card_no`` on the reader, as the wallet file holds it now."""
        state = self.wallet.load(card_no)
        faults = self.faults.get(card_no) or Faults()
        if self._latency and "*" not in faults.latency_ms:
            faults.latency_ms["*"] = self._latency
        card = VirtualCard(state, self.keys, faults=faults, on_change=self.wallet.save,
                           tac_counter=self._tac_counter)
        with self._lock:
            self.current = card
            self.device.place(FieldCard.of(card, ats=self._ats, max_inf=self._max_inf))
        logger.info("virtual card %s tapped", mask_card_no(card_no))
        return card

    def remove(self) -> None:
        with self._lock:
            self.current = None
            self.device.place(None)

    def unplug(self) -> None:
        self.device.unplug()

    def replug(self) -> None:
        self.device.replug()

    def open_frontend(self) -> Any:
        """A ContactlessFrontend over the simulated device, as ``nfc.ContactlessFrontend(path)``
        would be over a real one; OSError while 'unplugged'."""
        if not self.device.plugged:
            raise ReaderUnavailable("simulated reader unplugged")
        clf = nfc.ContactlessFrontend()
        clf.device = self.device
        return clf
