"""The virtual card wallet: every card ``kioskd --simulate`` can tap, on disk.

A JSON file (``paths.sim_wallet``), created on first use from the demo card
set shared with the reference central server (``config/sim/demo-cards.toml``)
plus two cards that are not ours (a bank card and a MIFARE Classic tag) and two
city cards of other cities (:data:`OTHER_CITY_CARDS`, unknown to the central
side: a Beijing T-Union card in overdraft, a Shanghai City Union card). It
is read again at every tap, so editing a balance in the file shows at the
next tap, and written (atomically) after every command that changes a card,
so balances survive daemon restarts.

The write is atomic (a temporary file renamed over the old one) but not
fsynced: the file outlives a killed kioskd (the crash tests and the crash loop
kill it), only a power cut could lose a write, and an fsync inside CREDIT FOR
LOAD would put milliseconds of *simulation* into the load window that a real
card spends in its own EEPROM write — modelled by the RF latency instead.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import tomllib
from pathlib import Path
from typing import Any

from hardware.card.virtual import CardState
from protocol.pboc.secure import CardRecord

__all__ = ["DEMO_CARDS_FILE", "DEV_KEYS_FILE", "FOREIGN_CARDS", "OTHER_CITY_CARDS", "Wallet"]

logger = logging.getLogger(__name__)

_SIM_DIR = Path(__file__).resolve().parent.parent.parent / "config" / "sim"
DEMO_CARDS_FILE = _SIM_DIR / "demo-cards.toml"
DEV_KEYS_FILE = _SIM_DIR / "dev-keys.toml"

FOREIGN_CARDS = [
    CardState(card_no="bank-card", aid="", kind="foreign_isodep", uid="08AB12CD"),
    CardState(card_no="mifare-classic", aid="", kind="mifare", uid="5A3C9E01"),
]


def _ride(counter: int, amount_fen: int, when: str) -> str:
    """A transit record of the card's log, as hex (SFI 0x18)."""
    return CardRecord(counter, amount_fen, 0x09, bytes.fromhex("100000000001"),
                      bytes.fromhex(when[:8]), bytes.fromhex(when[8:])).to_bytes().hex()


# Read like ours (balance, log, validity); the kiosk names their city (issuer id,
# city code at bytes 2-3) and offers what config says (interop.*).
OTHER_CITY_CARDS = [
    # T-Union, Beijing (1000): printed as 19 digits (the serial without its pad digit);
    # the e-purse is empty and the card is ¥3.50 into its overdraft.
    CardState(card_no="03104100000000000051", aid="A000000632010105",
              issuer_id="3104100000000000", valid_from="2022-06-01", valid_until="2032-05-31",
              balance_fen=0, overdraft_fen=350,
              records=[_ride(12, 400, "20261128083015"), _ride(11, 300, "20261127181000")]),
    # City Union, Shanghai (3100): numbered as its issuer prints it (20 digits).
    CardState(card_no="23103100000000000088", aid="A00000000386980701",
              issuer_id="2310310000000000", valid_from="2021-03-01", valid_until="2031-02-28",
              balance_fen=4200, records=[_ride(5, 300, "20261129091500")]),
]


class Wallet:
    """The cards of one simulated kiosk, persisted in ``path``."""

    def __init__(self, path: Path, *, seed: Path = DEMO_CARDS_FILE) -> None:
        self.path = path
        self._seed = seed
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            self._write(self._seeded())
        data: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        if not isinstance(data.get("cards"), dict):
            raise ValueError(f"{self.path}: no 'cards' object")
        return data

    def _seeded(self) -> dict[str, Any]:
        with self._seed.open("rb") as fh:
            entries = tomllib.load(fh)["card"]
        cards = {}
        for entry in entries:
            state = CardState.from_json({
                "card_no": entry["card_no"], "aid": entry["aid"],
                "card_type": entry["card_type"], "balance_fen": int(entry["balance_fen"]),
                "valid_from": str(entry["valid_from"]), "valid_until": str(entry["valid_until"]),
                "app_blocked": bool(entry.get("app_blocked", False))})
            cards[state.card_no] = state.to_json()
        for foreign in (*FOREIGN_CARDS, *OTHER_CITY_CARDS):
            cards[foreign.card_no] = foreign.to_json()
        logger.info("virtual card wallet %s created with %d cards", self.path, len(cards))
        return {"version": 1, "cards": cards}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        os.replace(tmp, self.path)

    def card_nos(self) -> list[str]:
        with self._lock:
            return list(self._read()["cards"])

    def load(self, card_no: str) -> CardState:
        """The card as the file holds it now. KeyError when there is no such card."""
        with self._lock:
            return CardState.from_json(self._read()["cards"][card_no])

    def save(self, state: CardState) -> None:
        with self._lock:
            data = self._read()
            data["cards"][state.card_no] = state.to_json()
            self._write(data)
