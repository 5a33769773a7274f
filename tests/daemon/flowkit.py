"""The real parts a money-flow test needs: a journal, the daemon's central client
against the reference server, and the production card reader over the virtual
card wallet (nfcpy path)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from config.schema import CentralSection, ReaderSection
from daemon.central import CentralClient
from daemon.journal import Journal
from daemon.orders import OrderStore
from hardware.card.model import CardInfo
from hardware.card.nfc_device import SimulatedDevice
from hardware.card.nfc_reader import CardReader
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet
from tests.central.helpers import KIOSK, TERMINAL, Central

__all__ = ["TERMINAL", "Kit", "make_kit"]


class Listener:
    def __init__(self) -> None:
        self.read = threading.Event()
        self.removed = threading.Event()
        self.card: CardInfo | None = None

    def reader_state(self, state: str) -> None: ...
    def card_identified(self, card_no: str) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...

    def card_read(self, card: CardInfo) -> None:
        self.card = card
        self.read.set()

    def card_removed(self) -> None:
        self.removed.set()


@dataclass
class Kit:
    central: Central
    client: CentralClient
    journal: Journal
    store: OrderStore
    sim: CardSimulator
    reader: CardReader
    listener: Listener

    def tap(self, card_no: str) -> CardInfo:
        self.remove()
        self.listener.read.clear()
        self.sim.tap(card_no)
        assert self.listener.read.wait(10), "card not read"
        assert self.listener.card is not None
        return self.listener.card

    def remove(self) -> None:
        if self.sim.current is not None:
            self.listener.removed.clear()
            self.sim.remove()
            assert self.listener.removed.wait(10), "removal not seen"

    def balance(self, card_no: str) -> int:
        return self.sim.wallet.load(card_no).balance_fen

    def close(self) -> None:
        self.reader.close()
        self.client.close()
        self.journal.close()


def make_kit(tmp: Path, central: Central, *, device: SimulatedDevice | None = None) -> Kit:
    """``device``: the simulated reader's device (one that records what it carries)."""
    journal = Journal(tmp / "journal.sqlite")
    client = CentralClient(CentralSection(url=central.url, connect_timeout_s=1,
                                          read_timeout_s=5, retries=1),
                           kiosk_id=KIOSK, secret=central.secret)
    sim = CardSimulator(Wallet(tmp / "wallet.json"), device=device)
    listener = Listener()
    reader = CardReader("sim", settings=ReaderSection(), listener=listener,
                        open_frontend=sim.open_frontend).start()
    return Kit(central, client, journal, OrderStore(journal), sim, reader, listener)
