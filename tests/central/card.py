"""A test card: the e-purse side of CARD_PROTOCOL.md written out byte by byte.

Independent of ``protocol.pboc.secure`` on purpose: it concatenates the bytes the
card would MAC, using only the primitive functions of ``protocol.pboc.crypto``
and the development master keys, so a layout mistake on the server side fails
the tests instead of agreeing with itself.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from protocol.pboc.crypto import diversify, mac, session_key, tac_key

KEYS_FILE = Path(__file__).resolve().parents[2] / "config" / "sim" / "dev-keys.toml"


def master_keys() -> dict[str, bytes]:
    with KEYS_FILE.open("rb") as fh:
        issuer = tomllib.load(fh)["issuer"]
    return {name: bytes.fromhex(issuer[f"master_{name}_key"])
            for name in ("load", "purchase", "tac")}


class CardRefused(Exception):
    def __init__(self, sw: str) -> None:
        super().__init__(sw)
        self.sw = sw


@dataclass
class EPurse:
    """Balance, counters, keys and a transaction log, like the chip."""

    card_no: str
    balance: int = 0
    online_ctr: int = 0
    offline_ctr: int = 0
    tac_counter_after: bool = False
    log: list[bytes] = field(default_factory=list)
    _pending: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        serial = bytes.fromhex(self.card_no)
        keys = master_keys()
        self.dlk = diversify(keys["load"], serial)
        self.dpk = diversify(keys["purchase"], serial)
        self.dtk = diversify(keys["tac"], serial)

    # -- load -------------------------------------------------------------------
    def init_load(self, amount: int, terminal: str) -> bytes:
        rnd = secrets.token_bytes(4)
        ctr = self.online_ctr.to_bytes(2, "big")
        seslk = session_key(self.dlk, rnd + ctr + b"\x80\x00")
        bal = self.balance.to_bytes(4, "big")
        mac1 = mac(seslk, bal + amount.to_bytes(4, "big") + b"\x02" + bytes.fromhex(terminal))
        self._pending = {"kind": "load", "seslk": seslk, "amount": amount, "terminal": terminal}
        return bal + ctr + b"\x01\x00" + rnd + mac1

    def credit_load(self, date: str, time: str, mac2: str) -> bytes:
        p = self._pending
        assert p.get("kind") == "load", "no INITIALIZE FOR LOAD"
        amount, terminal = int(p["amount"]), bytes.fromhex(str(p["terminal"]))  # type: ignore[call-overload]
        expected = mac(p["seslk"], amount.to_bytes(4, "big") + b"\x02" + terminal  # type: ignore[arg-type]
                       + bytes.fromhex(date) + bytes.fromhex(time))
        if expected != bytes.fromhex(mac2):
            raise CardRefused("9302")
        ctr = self.online_ctr + (1 if self.tac_counter_after else 0)
        self.balance += amount
        tac = mac(tac_key(self.dtk), self.balance.to_bytes(4, "big") + ctr.to_bytes(2, "big")
                  + amount.to_bytes(4, "big") + b"\x02" + terminal + bytes.fromhex(date)
                  + bytes.fromhex(time))
        self.online_ctr += 1
        self._record(self.online_ctr, amount, 0x02, terminal, date + time)
        self._pending = {}
        return tac

    # -- purchase ---------------------------------------------------------------
    def init_purchase(self, amount: int, terminal: str) -> bytes:
        rnd = secrets.token_bytes(4)
        self._pending = {"kind": "purchase", "rnd": rnd, "amount": amount, "terminal": terminal}
        return (self.balance.to_bytes(4, "big") + self.offline_ctr.to_bytes(2, "big")
                + bytes(3) + b"\x01\x00" + rnd)

    def debit_purchase(self, term_seq: int, date: str, time: str, mac1: str) -> bytes:
        p = self._pending
        assert p.get("kind") == "purchase", "no INITIALIZE FOR PURCHASE"
        amount, terminal = int(p["amount"]), bytes.fromhex(str(p["terminal"]))  # type: ignore[call-overload]
        seq = term_seq.to_bytes(4, "big")
        sespk = session_key(self.dpk, p["rnd"] + self.offline_ctr.to_bytes(2, "big")  # type: ignore[operator]
                            + seq[2:])
        amt = amount.to_bytes(4, "big")
        when = bytes.fromhex(date) + bytes.fromhex(time)
        if mac(sespk, amt + b"\x06" + terminal + when) != bytes.fromhex(mac1):
            raise CardRefused("9302")
        if self.balance < amount:
            raise CardRefused("9401")
        self.balance -= amount
        self.offline_ctr += 1
        tac = mac(tac_key(self.dtk), amt + b"\x06" + terminal + seq + when)
        self._record(self.offline_ctr, amount, 0x06, terminal, date + time)
        self._pending = {}
        return tac + mac(sespk, amt)

    def _record(self, ctr: int, amount: int, kind: int, terminal: bytes, when: str) -> None:
        self.log.insert(0, ctr.to_bytes(2, "big") + bytes(3) + amount.to_bytes(4, "big")
                        + bytes([kind]) + terminal + bytes.fromhex(when))
