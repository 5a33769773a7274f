"""A personalised virtual e-purse card: the APDU side of a real CPU card.

:class:`VirtualCard` answers command APDUs exactly as CARD_PROTOCOL.md says a
card does — files 0x15 and 0x18, GET BALANCE, load and purchase with 3DES
session keys, MAC1/MAC2/TAC — with per-card keys diversified from the issuer
master keys in the development key file shared with the reference central
server. :mod:`hardware.card.isodep` puts it behind ISO-DEP framing and
:mod:`hardware.card.nfc_device` behind a fake nfcpy driver.

Its state (:class:`CardState`) is plain data the wallet persists after every
command that changes it. :class:`Faults` injects what real cards do wrong.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from config.schema import T_UNION_AID
from hardware.card.apdu import SFI_LOG, SFI_PUBLIC
from hardware.card.model import CARD_TYPES, PublicInfo
from protocol.pboc.secure import (
    LOAD_TYPE,
    PURCHASE_TYPE,
    CardKeys,
    CardRecord,
    IssuerKeys,
    load_mac1,
    load_mac2,
    load_session_key,
    load_tac,
    purchase_mac1,
    purchase_mac2,
    purchase_session_key,
    purchase_tac,
)

__all__ = ["CardState", "Faults", "Torn", "VirtualCard"]

logger = logging.getLogger(__name__)

MAX_BALANCE_FEN = 0x7FFFFFFF
LOG_SIZE = 10
_SPIN_S = 0.0005  # the end of a modelled latency waited for in zero sleeps


class Torn(Exception):
    """The card left the field before (``applied`` False) or after it acted."""

    def __init__(self, applied: bool) -> None:
        super().__init__("torn after the command" if applied else "torn before the command")
        self.applied = applied


@dataclass
class CardState:
    """Everything the chip holds. ``aid`` is hex, or "3F00/1001" for an older card;
    ``kind`` is "epurse", "foreign_isodep" (a bank card, a phone) or "mifare"."""

    card_no: str
    aid: str = "A000000632010105"
    card_type: str = "ordinary"
    issuer_id: str = "3104440300000000"
    valid_from: str = "2023-01-01"
    valid_until: str = "2033-12-31"
    balance_fen: int = 0
    online_counter: int = 0
    offline_counter: int = 0
    records: list[str] = field(default_factory=list)  # hex, newest first
    app_blocked: bool = False
    overdraft_fen: int = 0  # a T-Union card's overdraft (GET BALANCE P1 = 01)
    kind: str = "epurse"
    uid: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CardState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        state = cls(**known)
        if not state.uid:
            digits = "".join(c for c in state.card_no if c.isdigit())[-6:].rjust(6, "0")
            state.uid = "08" + digits  # a random-UID style 4-byte NFCID1
        return state

    @property
    def public_info(self) -> PublicInfo:
        return PublicInfo(bytes.fromhex(self.issuer_id), 0x02, 0x01, self.card_no,
                          date.fromisoformat(self.valid_from),
                          date.fromisoformat(self.valid_until),
                          self.card_type if self.card_type in CARD_TYPES.values() else "ordinary")


@dataclass
class Faults:
    """What to do wrong, for tests and benchmarks.

    ``tear_before``/``tear_after``: the n-th APDU of the tap (1-based) loses
    the card before it acts / after it acted. ``latency_ms``: per instruction
    byte (``{0x50: 40}``) or ``"*"`` for every command, to model RF timing: the
    card's whole answer time, its own work (crypto, the wallet write) inside it.
    ``wrong_mac``: MAC1 (load) and MAC2 (purchase) answers are corrupted.
    ``get_response``: answers with data come as 61xx first (T=0 style).
    """

    tear_before: int | None = None
    tear_after: int | None = None
    latency_ms: dict[int | str, float] = field(default_factory=dict)
    wrong_mac: bool = False
    get_response: bool = False


@dataclass
class _Pending:
    """An INITIALIZE waiting for its CREDIT or DEBIT."""

    kind: int
    amount_fen: int
    terminal: bytes
    session_key: bytes


class VirtualCard:
    """Answers command APDUs for one :class:`CardState`.

    ``on_change`` is called with the state after every command that changed it
    (the wallet saves it); ``faults`` may be changed between taps.
    """

    def __init__(self, state: CardState, keys: IssuerKeys, *,
                 faults: Faults | None = None,
                 on_change: Callable[[CardState], None] | None = None,
                 random: Callable[[int], bytes] = os.urandom,
                 tac_counter: str = "before",
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self._clock = clock
        self._sleep = sleep
        self.faults = faults or Faults()
        self._issuer = keys
        # Foreign cards (a bank card, a MIFARE tag) carry no e-purse keys.
        self._keys: CardKeys = keys.card_keys(state.card_no) if state.kind == "epurse" else \
            CardKeys(bytes(16), bytes(16), bytes(16))
        self._on_change = on_change
        self._random = random
        self._tac_after = tac_counter == "after"
        self._selected = False
        self._pending: _Pending | None = None
        self._withheld = b""
        self.commands = 0  # APDUs this tap
        self.log: list[tuple[bytes, bytes]] = []  # (command, answer) this tap
        # When the reader's first APDU of this tap arrived (time.monotonic), and when
        # this tap's INITIALIZE FOR LOAD did: the benchmarks time detection and the
        # load window (INITIALIZE sent → CREDIT answered) from the card's side.
        self.first_command_at: float | None = None
        self._init_load_at: float | None = None
        self.load_window_ms: float | None = None
        self.timeline: list[tuple[bytes, float, float]] = []  # (CLA INS, arrived, answered)

    def reset(self) -> None:
        """The field went off: a new tap starts from nothing selected."""
        self._selected = False
        self._pending = None
        self._withheld = b""
        self.commands = 0
        self.log = []
        self.first_command_at = None
        self._init_load_at = None
        self.timeline = []

    # -- APDU entry point ------------------------------------------------------------
    def process(self, command: bytes) -> bytes:
        """The answer APDU (data ‖ SW) to ``command``; raises :class:`Torn`."""
        arrived = self._clock()
        self.commands += 1
        n = self.commands
        if n == 1:
            self.first_command_at = arrived
        if command[:2] == b"\x80\x50" and command[2:3] == b"\x00":  # INITIALIZE FOR LOAD
            self._init_load_at = arrived
        if self.faults.tear_before == n:
            raise Torn(applied=False)
        delay = self.faults.latency_ms.get(command[1] if len(command) > 1 else -1,
                                           self.faults.latency_ms.get("*", 0))
        # The latency is the card's whole answer time, its own work included (a real
        # card's crypto and EEPROM write happen inside it): the answer is computed —
        # the wallet written — first, then held until ``arrived + delay``.
        answer = self._answer(bytes(command))
        if delay:
            self._wait_until(arrived + float(delay) / 1000)
        answered = self._clock()
        self.log.append((bytes(command), answer))
        self.timeline.append((bytes(command[:2]), arrived, answered))
        if command[:2] == b"\x80\x52" and answer[-2:] == b"\x90\x00" \
                and self._init_load_at is not None:
            self.load_window_ms = (answered - self._init_load_at) * 1000
            logger.info("virtual card: load window %.1f ms (INITIALIZE arrived → CREDIT "
                        "answered)", self.load_window_ms)
        if self.faults.tear_after == n:
            raise Torn(applied=True)
        return answer

    def _wait_until(self, deadline: float) -> None:
        """Sleep until ``deadline``: most of the way in one sleep, the last
        :data:`_SPIN_S` in zero sleeps, so the answer is not late by a timer's slack
        (``time.sleep`` overshoots by 0.1 ms and more under load)."""
        left = deadline - self._clock()
        if left > _SPIN_S:
            self._sleep(left - _SPIN_S)
        while self._clock() < deadline:
            self._sleep(0)

    def _answer(self, cmd: bytes) -> bytes:
        if len(cmd) < 4:
            return _sw(0x6700)
        cla, ins, p1, p2 = cmd[0], cmd[1], cmd[2], cmd[3]
        body, le = _body_and_le(cmd)
        if body is None:
            return _sw(0x6700)
        if (cla, ins) == (0x00, 0xC0):
            return self._get_response(p1, p2, le or 0)
        self._withheld = b""
        if self.state.kind != "epurse":
            return _sw(0x6A82) if ins == 0xA4 else _sw(0x6D00)
        handler = {(0x00, 0xA4): self._select, (0x00, 0xB0): self._read_binary,
                   (0x00, 0xB2): self._read_record, (0x80, 0x5C): self._balance,
                   (0x80, 0x50): self._initialize, (0x80, 0x52): self._credit,
                   (0x80, 0x54): self._debit}.get((cla, ins))
        if handler is None:
            return _sw(0x6E00) if cla not in (0x00, 0x80) else _sw(0x6D00)
        answer = handler(p1, p2, body, le)
        return self._maybe_withhold(answer)

    def _maybe_withhold(self, answer: bytes) -> bytes:
        if self.faults.get_response and len(answer) > 2 and answer[-2:] == b"\x90\x00":
            self._withheld = answer[:-2]
            return bytes([0x61, len(self._withheld) & 0xFF])
        return answer

    def _get_response(self, p1: int, p2: int, le: int) -> bytes:
        data, self._withheld = self._withheld, b""
        if not data or (p1, p2) != (0, 0):
            return _sw(0x6985)
        return data[:le or 256] + _sw(0x9000)

    # -- files -------------------------------------------------------------------------
    def _fci(self) -> bytes:
        aid = bytes.fromhex(self.state.aid)
        prop = b""
        if self.state.aid.upper().startswith("A000000632"):  # T-Union: 9F0C saves a READ
            public = self.state.public_info.to_bytes()
            prop = b"\x9F\x0C" + bytes([len(public)]) + public
        a5 = b"\xA5" + bytes([len(prop)]) + prop
        inner = b"\x84" + bytes([len(aid)]) + aid + a5
        return b"\x6F" + bytes([len(inner)]) + inner

    def _select(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        self._pending = None
        legacy = self.state.aid == "3F00/1001"
        if p1 == 0x04:
            if legacy or body.hex().upper() != self.state.aid.upper():
                return _sw(0x6A82)
            self._selected = not self.state.app_blocked
            return self._fci() + _sw(0x6283 if self.state.app_blocked else 0x9000)
        if p1 == 0x00 and body == b"\x3F\x00":
            self._selected = False
            return _sw(0x9000)
        if p1 == 0x00 and body == b"\x10\x01" and legacy:
            self._selected = not self.state.app_blocked
            return _sw(0x6283 if self.state.app_blocked else 0x9000)
        return _sw(0x6A82)

    def _read_binary(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if not self._selected:
            return _sw(0x6985)
        if p1 != 0x80 | SFI_PUBLIC or p2 != 0:
            return _sw(0x6A82)
        data = self.state.public_info.to_bytes()
        if le not in (None, 0, len(data)):
            return _sw(0x6C00 | len(data))
        return data + _sw(0x9000)

    def _read_record(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if not self._selected:
            return _sw(0x6985)
        if p2 != (SFI_LOG << 3) | 0x04:
            return _sw(0x6A82)
        if not 1 <= p1 <= len(self.state.records):
            return _sw(0x6A83)
        return bytes.fromhex(self.state.records[p1 - 1]) + _sw(0x9000)

    def _balance(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        if not self._selected:
            return _sw(0x6985)
        if (p1, p2) == (0x01, 0x02) and self.state.aid.upper() == T_UNION_AID:
            return self.state.overdraft_fen.to_bytes(4, "big") + _sw(0x9000)
        if (p1, p2) != (0x00, 0x02):
            return _sw(0x6A86)
        return self.state.balance_fen.to_bytes(4, "big") + _sw(0x9000)

    # -- value ---------------------------------------------------------------------------
    def _initialize(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        self._pending = None
        if not self._selected:
            return _sw(0x6985)
        if p1 not in (0x00, 0x01) or p2 != 0x02 or len(body) != 11:
            return _sw(0x6A86)
        if body[0] != 1:
            return _sw(0x9403)
        amount = int.from_bytes(body[1:5], "big")
        terminal = body[5:11]
        rnd = self._random(4)
        if p1 == 0x00:  # load
            if self.state.online_counter >= 0xFFFF:
                return _sw(0x9402)
            if self.state.balance_fen + amount > MAX_BALANCE_FEN:
                return _sw(0x6985)
            ctr = self.state.online_counter.to_bytes(2, "big")
            ses = load_session_key(self._keys.dlk, rnd, ctr)
            balance = self.state.balance_fen.to_bytes(4, "big")
            mac1 = load_mac1(ses, balance, amount, terminal)
            if self.faults.wrong_mac:
                mac1 = bytes(b ^ 0xFF for b in mac1)
            self._pending = _Pending(LOAD_TYPE, amount, terminal, ses)
            return (balance + ctr + bytes([self._issuer.key_version, self._issuer.algorithm_id])
                    + rnd + mac1 + _sw(0x9000))
        if self.state.offline_counter >= 0xFFFF:
            return _sw(0x9402)
        if amount > self.state.balance_fen:
            return _sw(0x9401)
        ctr = self.state.offline_counter.to_bytes(2, "big")
        self._pending = _Pending(PURCHASE_TYPE, amount, terminal, rnd + ctr)  # key at DEBIT
        return (self.state.balance_fen.to_bytes(4, "big") + ctr + b"\x00\x00\x00"
                + bytes([self._issuer.key_version, self._issuer.algorithm_id]) + rnd
                + _sw(0x9000))

    def _credit(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        pending, self._pending = self._pending, None
        if pending is None or pending.kind != LOAD_TYPE or len(body) != 11:
            return _sw(0x6985)
        day, clock, mac2 = body[0:4], body[4:7], body[7:11]
        if load_mac2(pending.session_key, pending.amount_fen, pending.terminal, day,
                     clock) != mac2:
            return _sw(0x9302)
        before = self.state.online_counter
        self.state.balance_fen += pending.amount_fen
        self.state.online_counter += 1
        self._log(before + 1, pending.amount_fen, LOAD_TYPE, pending.terminal, day, clock)
        counter = self.state.online_counter if self._tac_after else before
        tac = load_tac(self._keys.dtk, self.state.balance_fen, counter, pending.amount_fen,
                       pending.terminal, day, clock)
        self._changed()
        return tac + _sw(0x9000)

    def _debit(self, p1: int, p2: int, body: bytes, le: int | None) -> bytes:
        pending, self._pending = self._pending, None
        if pending is None or pending.kind != PURCHASE_TYPE or len(body) != 15:
            return _sw(0x6985)
        seq = int.from_bytes(body[0:4], "big")
        day, clock, mac1 = body[4:8], body[8:11], body[11:15]
        rnd, ctr = pending.session_key[:4], pending.session_key[4:6]
        ses = purchase_session_key(self._keys.dpk, rnd, ctr, seq)
        if purchase_mac1(ses, pending.amount_fen, pending.terminal, day, clock) != mac1:
            return _sw(0x9302)
        if pending.amount_fen > self.state.balance_fen:
            return _sw(0x9401)
        self.state.balance_fen -= pending.amount_fen
        self.state.offline_counter += 1
        self._log(self.state.offline_counter, pending.amount_fen, PURCHASE_TYPE,
                  pending.terminal, day, clock)
        tac = purchase_tac(self._keys.dtk, pending.amount_fen, pending.terminal, seq, day, clock)
        mac2 = purchase_mac2(ses, pending.amount_fen)
        if self.faults.wrong_mac:
            mac2 = bytes(b ^ 0xFF for b in mac2)
        self._changed()
        return tac + mac2 + _sw(0x9000)

    def _log(self, counter: int, amount: int, tx_type: int, terminal: bytes, day: bytes,
             clock: bytes) -> None:
        record = CardRecord(counter & 0xFFFF, amount, tx_type, terminal, day, clock)
        self.state.records = [record.to_bytes().hex().upper(), *self.state.records][:LOG_SIZE]

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(replace(self.state, records=list(self.state.records)))


def _body_and_le(cmd: bytes) -> tuple[bytes | None, int | None]:
    """ISO 7816-4 short cases: 4 bytes (1), Le only (2), Lc data (3), Lc data Le (4)."""
    if len(cmd) == 4:
        return b"", None
    if len(cmd) == 5:
        return b"", cmd[4]
    lc = cmd[4]
    if len(cmd) == 5 + lc:
        return cmd[5:], None
    if len(cmd) == 6 + lc:
        return cmd[5:-1], cmd[-1]
    return None, None


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")
