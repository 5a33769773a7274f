"""The virtual card wallet: every card ``kioskd --simulate`` can tap, on disk.

A JSON file (``paths.sim_wallet``), created on first use from the demo card
set shared with the reference central server (``config/sim/demo-cards.toml``)
plus two cards that are not ours (a bank card and a MIFARE Classic tag). It
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

__all__ = ["DEMO_CARDS_FILE", "DEV_KEYS_FILE", "FOREIGN_CARDS", "Wallet"]

logger = logging.getLogger(__name__)

_SIM_DIR = Path(__file__).resolve().parent.parent.parent / "config" / "sim"
DEMO_CARDS_FILE = _SIM_DIR / "demo-cards.toml"
DEV_KEYS_FILE = _SIM_DIR / "dev-keys.toml"

FOREIGN_CARDS = [
    CardState(card_no="bank-card", aid="", kind="foreign_isodep", uid="08AB12CD"),
    CardState(card_no="mifare-classic", aid="", kind="mifare", uid="5A3C9E01"),
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
        for foreign in FOREIGN_CARDS:
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
