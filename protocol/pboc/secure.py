"""The e-purse's transaction cryptography: issuer keys, per-card keys, MACs and TACs.

Used by both sides of a transaction: the reference central server (standing in
for the issuer's HSM for loads and the terminal's PSAM for purchases) and the
virtual card (:mod:`hardware.card.virtual`); the daemon reads the INITIALIZE
answers with these types. One implementation, so the two sides cannot disagree
on an algorithm — only on inputs, which are written out here byte by byte
(CARD_PROTOCOL.md). Pure functions over bytes.

Load (type ``02``)::

    SESLK = 3DES(DLK, random4 ‖ onlineCtr2 ‖ 8000)
    MAC1  = MAC(SESLK, balance4 ‖ amount4 ‖ 02 ‖ terminal6)
    MAC2  = MAC(SESLK, amount4 ‖ 02 ‖ terminal6 ‖ date4 ‖ time3)
    TAC   = MAC(DTKl ⊕ DTKr, newBalance4 ‖ onlineCtr2 ‖ amount4 ‖ 02 ‖ terminal6 ‖ date4 ‖ time3)

with onlineCtr in the TAC before the increment by default (issuer-specific:
``Settings.tac_counter``).

Purchase (type ``06``, PBOC e-purse purchase; the PSAM's side)::

    SESPK = 3DES(DPK, random4 ‖ offlineCtr2 ‖ termSeq4[2:4])
    MAC1  = MAC(SESPK, amount4 ‖ 06 ‖ terminal6 ‖ date4 ‖ time3)
    MAC2  = MAC(SESPK, amount4)                        (returned by the card)
    TAC   = MAC(DTKl ⊕ DTKr, amount4 ‖ 06 ‖ terminal6 ‖ termSeq4 ‖ date4 ‖ time3)

Only algorithm id ``00`` (3DES) is computed; any other id is refused, since
SM4 variants are issuer-specific and not publicly documented.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from protocol.pboc.crypto import diversify, mac, session_key, tac_key

__all__ = ["LOAD_TYPE", "PURCHASE_TYPE", "CardKeys", "CardRecord", "InitLoad",
           "InitPurchase", "IssuerKeys", "load_mac1", "load_mac2", "load_session_key",
           "load_tac", "purchase_mac1", "purchase_mac2", "purchase_session_key",
           "purchase_tac"]

LOAD_TYPE = 0x02
PURCHASE_TYPE = 0x06


@dataclass(frozen=True)
class CardKeys:
    """One card's diversified keys."""

    dlk: bytes
    dpk: bytes
    dtk: bytes


@dataclass(frozen=True)
class IssuerKeys:
    """The issuer's master keys (development key file in this reference server)."""

    load_master: bytes
    purchase_master: bytes
    tac_master: bytes
    key_version: int
    algorithm_id: int

    @classmethod
    def from_file(cls, path: Path) -> IssuerKeys:
        with path.open("rb") as fh:
            issuer = tomllib.load(fh)["issuer"]
        keys = cls(bytes.fromhex(issuer["master_load_key"]),
                   bytes.fromhex(issuer["master_purchase_key"]),
                   bytes.fromhex(issuer["master_tac_key"]),
                   int(issuer.get("key_version", 1)), int(issuer.get("algorithm_id", 0)))
        for key in (keys.load_master, keys.purchase_master, keys.tac_master):
            if len(key) != 16:
                raise ValueError(f"{path}: master keys must be 16 bytes")
        return keys

    def card_keys(self, card_no: str) -> CardKeys:
        """Per-card keys; ``card_no`` is the 20-digit application serial (10 bytes BCD).

        Kept for the last :data:`CARD_KEYS_KEPT` cards: the three 3DES
        diversifications cost ~0.5 ms, and a load asks for them twice (MAC2,
        then the TAC at confirm) while the card is in the field."""
        return _card_keys(self.load_master, self.purchase_master, self.tac_master, card_no)


CARD_KEYS_KEPT = 4096  # cards; ~100 bytes each


@functools.lru_cache(maxsize=CARD_KEYS_KEPT)
def _card_keys(load_master: bytes, purchase_master: bytes, tac_master: bytes,
               card_no: str) -> CardKeys:
    serial = bytes.fromhex(card_no)
    return CardKeys(diversify(load_master, serial), diversify(purchase_master, serial),
                    diversify(tac_master, serial))


@dataclass(frozen=True)
class InitLoad:
    """The 16-byte answer to INITIALIZE FOR LOAD."""

    balance: bytes
    online_counter: bytes
    key_version: int
    algorithm_id: int
    random: bytes
    mac1: bytes

    @classmethod
    def parse(cls, raw: bytes) -> InitLoad:
        if len(raw) != 16:
            raise ValueError("INITIALIZE FOR LOAD answer must be 16 bytes")
        return cls(raw[0:4], raw[4:6], raw[6], raw[7], raw[8:12], raw[12:16])

    @property
    def raw(self) -> bytes:
        """The 16 bytes as the card sent them (what the central side is given)."""
        return (self.balance + self.online_counter + bytes([self.key_version, self.algorithm_id])
                + self.random + self.mac1)

    @property
    def balance_fen(self) -> int:
        return int.from_bytes(self.balance, "big")

    @property
    def counter(self) -> int:
        return int.from_bytes(self.online_counter, "big")


@dataclass(frozen=True)
class InitPurchase:
    """The 15-byte answer to INITIALIZE FOR PURCHASE."""

    balance: bytes
    offline_counter: bytes
    overdraft: bytes
    key_version: int
    algorithm_id: int
    random: bytes

    @classmethod
    def parse(cls, raw: bytes) -> InitPurchase:
        if len(raw) != 15:
            raise ValueError("INITIALIZE FOR PURCHASE answer must be 15 bytes")
        return cls(raw[0:4], raw[4:6], raw[6:9], raw[9], raw[10], raw[11:15])

    @property
    def raw(self) -> bytes:
        """The 15 bytes as the card sent them."""
        return (self.balance + self.offline_counter + self.overdraft
                + bytes([self.key_version, self.algorithm_id]) + self.random)

    @property
    def balance_fen(self) -> int:
        return int.from_bytes(self.balance, "big")

    @property
    def counter(self) -> int:
        return int.from_bytes(self.offline_counter, "big")


@dataclass(frozen=True)
class CardRecord:
    """One 23-byte record of the card's transaction log (SFI 0x18).

    The fields keep the card's bytes; :attr:`timestamp` decodes the BCD
    date-time (and raises ``ValueError`` when it is not a valid one).
    """

    counter: int
    amount_fen: int
    type: int
    terminal_id: bytes
    date: bytes
    time: bytes
    overdraft: bytes = b"\x00\x00\x00"

    @classmethod
    def parse(cls, raw: bytes) -> CardRecord:
        if len(raw) != 23:
            raise ValueError("a transaction record is 23 bytes")
        return cls(int.from_bytes(raw[0:2], "big"), int.from_bytes(raw[5:9], "big"), raw[9],
                   bytes(raw[10:16]), bytes(raw[16:20]), bytes(raw[20:23]), bytes(raw[2:5]))

    def to_bytes(self) -> bytes:
        return (self.counter.to_bytes(2, "big") + self.overdraft + _u32(self.amount_fen)
                + bytes([self.type]) + self.terminal_id + self.date + self.time)

    @property
    def terminal_hex(self) -> str:
        return self.terminal_id.hex().upper()

    @property
    def timestamp(self) -> datetime:
        """The record's date-time (China time, naive)."""
        digits = (self.date + self.time).hex()
        if not digits.isdigit():
            raise ValueError(f"record date-time {digits} is not BCD")
        return datetime.strptime(digits, "%Y%m%d%H%M%S")


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def load_session_key(dlk: bytes, random: bytes, online_counter: bytes) -> bytes:
    return session_key(dlk, random + online_counter + b"\x80\x00")


def load_mac1(seslk: bytes, balance: bytes, amount_fen: int, terminal: bytes, *,
              tx_type: int = LOAD_TYPE) -> bytes:
    return mac(seslk, balance + _u32(amount_fen) + bytes([tx_type]) + terminal)


def load_mac2(seslk: bytes, amount_fen: int, terminal: bytes, date: bytes, time: bytes, *,
              tx_type: int = LOAD_TYPE) -> bytes:
    return mac(seslk, _u32(amount_fen) + bytes([tx_type]) + terminal + date + time)


def load_tac(dtk: bytes, new_balance_fen: int, online_counter: int, amount_fen: int,
             terminal: bytes, date: bytes, time: bytes) -> bytes:
    data = (_u32(new_balance_fen) + online_counter.to_bytes(2, "big") + _u32(amount_fen)
            + bytes([LOAD_TYPE]) + terminal + date + time)
    return mac(tac_key(dtk), data)


def purchase_session_key(dpk: bytes, random: bytes, offline_counter: bytes,
                         terminal_seq: int) -> bytes:
    return session_key(dpk, random + offline_counter + _u32(terminal_seq)[2:])


def purchase_mac1(sespk: bytes, amount_fen: int, terminal: bytes, date: bytes,
                  time: bytes) -> bytes:
    return mac(sespk, _u32(amount_fen) + bytes([PURCHASE_TYPE]) + terminal + date + time)


def purchase_mac2(sespk: bytes, amount_fen: int) -> bytes:
    return mac(sespk, _u32(amount_fen))


def purchase_tac(dtk: bytes, amount_fen: int, terminal: bytes, terminal_seq: int,
                 date: bytes, time: bytes) -> bytes:
    data = (_u32(amount_fen) + bytes([PURCHASE_TYPE]) + terminal + _u32(terminal_seq)
            + date + time)
    return mac(tac_key(dtk), data)
