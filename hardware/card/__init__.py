"""The contactless card: nfcpy reader service, the PBOC / JT/T 978 e-purse
application, and a faithful virtual card for ``kioskd --simulate``.

Modules, one job each:

* :mod:`~protocol.pboc.crypto`, :mod:`~protocol.pboc.secure` — MAC, session
  keys, diversification; load/purchase MAC1/MAC2/TAC (pure, shared with central).
* :mod:`~hardware.card.apdu` — the command APDUs, byte by byte.
* :mod:`~hardware.card.model` — typed card values and their byte layouts.
* :mod:`~hardware.card.errors` — the error tree and the status-word table.
* :mod:`~hardware.card.epurse` — :class:`EPurse`: read, load, purchase, tear check.
* :mod:`~hardware.card.nfc_reader` — :class:`CardReader`, the reader thread
  (imports ``nfc``; translates its failures).
* :mod:`~hardware.card.virtual`, :mod:`~hardware.card.isodep`,
  :mod:`~hardware.card.nfc_device`, :mod:`~hardware.card.wallet`,
  :mod:`~hardware.card.sim` — the virtual card, ISO-DEP framing, the fake
  nfcpy driver, the card wallet and the simulator.

Typical use (the daemon)::

    simulator = CardSimulator(Wallet(cfg.wallet_path)) if simulate else None
    reader = open_reader(cfg.reader, listener=flow, simulator=simulator)
    ...
    tac = reader.submit(lambda purse: purse.credit_load(date, time, mac2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hardware.card.errors import (
    CardBlocked,
    CardError,
    CardNotSupported,
    CardProtocolError,
    CardRemoved,
    CardStatusError,
    ReaderUnavailable,
)
from hardware.card.model import CardInfo, CardRecord, PublicInfo

if TYPE_CHECKING:
    from hardware.card.nfc_reader import CardReader, ReaderListener, ReaderSettings
    from hardware.card.sim import CardSimulator

__all__ = ["CardBlocked", "CardError", "CardInfo", "CardNotSupported", "CardProtocolError",
           "CardRecord", "CardRemoved", "CardStatusError", "PublicInfo", "ReaderUnavailable",
           "open_reader"]


def open_reader(settings: ReaderSettings, *, listener: ReaderListener,
                simulator: CardSimulator | None = None) -> CardReader:
    """Start the reader thread on ``settings.path``, or on the simulator's device."""
    from hardware.card.nfc_reader import CardReader  # nfcpy is imported on first use

    path = "sim" if simulator is not None else str(getattr(settings, "path", "usb"))
    opener = simulator.open_frontend if simulator is not None else None
    return CardReader(path, settings=settings, listener=listener, open_frontend=opener).start()
