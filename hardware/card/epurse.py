"""The PBOC / JT/T 978 e-purse application, over any APDU channel.

:class:`EPurse` speaks to one card in the field through a :class:`Channel`
(the nfcpy tag in production, the virtual card directly in unit tests). It
reads as few APDUs as the protocol allows:

=====================  =====================================================
SELECT application     one per configured AID until one answers (6A82: next)
public info            none when the FCI carries tag 9F0C, else READ BINARY
GET BALANCE            one
log records            one per record, plus the 6A83 that ends a short log
=====================  =====================================================

Load and purchase are two explicit phases each, so the caller can journal
between them and have the central side compute the MACs::

    init = purse.init_load(amount, terminal)        # -> central: MAC2
    tac = purse.credit_load(date, time, mac2)

    init = purse.init_purchase(amount, terminal)    # -> central: MAC1
    tac, mac2 = purse.debit_purchase(seq, date, time, mac1)

A status word other than 9000 raises the error from
:data:`hardware.card.errors.SW_ERRORS`; 61xx and 6Cxx are handled here,
since nfcpy does neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from config.schema import T_UNION_AID
from hardware.card import apdu
from hardware.card.errors import (
    CardBlocked,
    CardNotSupported,
    CardProtocolError,
    error_for_status,
)
from hardware.card.model import CardInfo, CardRecord, PublicInfo, parse_balance, parse_record
from protocol.pboc.secure import LOAD_TYPE, PURCHASE_TYPE, InitLoad, InitPurchase

__all__ = ["LEGACY_AID", "Channel", "EPurse", "find_fci_public", "record_matches"]

logger = logging.getLogger(__name__)

LEGACY_AID = "3F00/1001"  # MF 3F00, then the e-purse DF 1001 by file id
_SW_OK = 0x9000
_SW_NOT_FOUND = 0x6A82
_SW_NO_RECORD = 0x6A83
_BLOCKED = {0x6283, 0x6A81, 0x9303}
_MAX_RESPONSE_ROUNDS = 8  # 61xx/6Cxx chains longer than this are a broken card


class Channel(Protocol):
    """Sends one command APDU and returns the whole answer, status word included.

    Raises :class:`~hardware.card.errors.CardRemoved` (or another
    :class:`~hardware.card.errors.CardError`) when the exchange fails."""

    def transmit(self, command: bytes) -> bytes: ...


def _tlv(data: bytes) -> Iterable[tuple[int, bytes]]:
    """BER-TLV (tag, value) pairs, depth first; raises ValueError when malformed."""
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            tag = (tag << 8) | data[i]
            i += 1
        length = data[i]
        i += 1
        if length & 0x80:
            n = length & 0x7F
            if n == 0 or n > 2:
                raise ValueError("bad TLV length")
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        value = data[i:i + length]
        if len(value) != length:
            raise ValueError("TLV runs past the end")
        i += length
        yield tag, value
        if (tag >> 8 if tag > 0xFF else tag) & 0x20:  # constructed
            yield from _tlv(value)


def find_fci_public(fci: bytes) -> bytes | None:
    """The 30-byte public info under tag 9F0C in a SELECT answer, if present."""
    try:
        for tag, value in _tlv(fci):
            if tag == 0x9F0C and len(value) == 30:
                return value
    except (ValueError, IndexError):
        logger.debug("FCI is not valid BER-TLV; reading the public file instead")
    return None


def record_matches(record: CardRecord, *, amount_fen: int, tx_type: int, terminal: bytes,
                   date: bytes, time: bytes) -> bool:
    """Whether ``record`` is the log entry of exactly this transaction."""
    return (record.type == tx_type and record.amount_fen == amount_fen
            and record.terminal_id == terminal and record.date == date and record.time == time)


class EPurse:
    """One card's e-purse application, reached through ``channel``."""

    def __init__(self, channel: Channel, *, aids: Sequence[str], fallback_df: bool = True,
                 key_index: int = 1, balance_high_bit: str = "ignore",
                 max_records: int = 10) -> None:
        self._channel = channel
        self._aids = [a.upper() for a in aids]
        self._fallback_df = fallback_df
        self._key_index = key_index
        self._high_bit = balance_high_bit
        self._max_records = max_records
        self.apdu_count = 0
        self.aid: str | None = None

    # -- transport -----------------------------------------------------------------------
    def _send(self, command: bytes) -> tuple[bytes, int]:
        self.apdu_count += 1
        answer = self._channel.transmit(command)
        try:
            return apdu.split_sw(answer)
        except ValueError:
            raise CardProtocolError(f"answer of {len(answer)} bytes has no status word") from None

    def _exchange(self, command: bytes) -> tuple[bytes, int]:
        """Send ``command``, following 61xx (GET RESPONSE) and 6Cxx (resend with Le)."""
        data, sw = self._send(command)
        collected = b""
        for _ in range(_MAX_RESPONSE_ROUNDS):
            if sw >> 8 == 0x6C:
                command = apdu.with_le(command, sw & 0xFF)
                data, sw = self._send(command)
            elif sw >> 8 == 0x61:
                collected += data
                data, sw = self._send(apdu.get_response(sw & 0xFF))
            else:
                return collected + data, sw
        raise CardProtocolError("the card keeps asking for GET RESPONSE / a new Le")

    def command(self, command: bytes, what: str, length: int | None = None) -> bytes:
        """The data of a command that must answer 9000 (and ``length`` bytes, if given)."""
        data, sw = self._exchange(command)
        if sw != _SW_OK:
            raise error_for_status(sw, what)
        if length is not None and len(data) != length:
            raise CardProtocolError(f"{what} answered {len(data)} bytes, not {length}")
        return data

    # -- reading -------------------------------------------------------------------------
    def select(self) -> bytes | None:
        """Select the first configured application the card has; return its public
        info when the FCI carries it. Raises CardNotSupported when none answers."""
        for aid in self._aids:
            data, sw = self._exchange(apdu.select_aid(bytes.fromhex(aid)))
            if sw == _SW_NOT_FOUND:
                continue
            public = find_fci_public(data)
            if sw in _BLOCKED:
                card_no = _card_no_or_none(public)
                raise CardBlocked(sw, f"application {aid} is blocked", card_no=card_no)
            if sw != _SW_OK:
                raise error_for_status(sw, f"SELECT {aid}")
            self.aid = aid
            return public
        if self._fallback_df:
            _, sw = self._exchange(apdu.select_fid(b"\x3F\x00"))
            if sw == _SW_OK:
                _, sw = self._exchange(apdu.select_fid(b"\x10\x01"))
                if sw in _BLOCKED:
                    raise CardBlocked(sw, "e-purse DF 1001 is blocked")
                if sw == _SW_OK:
                    self.aid = LEGACY_AID
                    return None
        raise CardNotSupported("no configured e-purse application on the card")

    def public_info(self, from_fci: bytes | None = None) -> PublicInfo:
        raw = from_fci if from_fci is not None else self.command(
            apdu.read_binary_sfi(apdu.SFI_PUBLIC), "READ BINARY 15")
        return PublicInfo.parse(raw)

    def balance(self) -> int:
        return parse_balance(self.command(apdu.get_balance(), "GET BALANCE", 4), self._high_bit)

    def overdraft(self) -> int | None:
        """A T-Union card's overdraft (GET BALANCE, P1 = 01: 31 bits, fen); None for
        another application, or a card that does not answer it. Read only when the
        e-purse is empty (a card in overdraft shows 0), so a tap costs no APDU more."""
        if (self.aid or "").upper() != T_UNION_AID:
            return None
        data, sw = self._exchange(apdu.get_balance(overdraft=True))
        if sw != _SW_OK:
            logger.info("the card does not answer its overdraft (SW %04X)", sw)
            return None
        return parse_balance(data, "ignore")

    def records(self, limit: int | None = None) -> list[CardRecord]:
        """Up to ``limit`` log records, newest first; stops at 6A83."""
        found: list[CardRecord] = []
        for number in range(1, (self._max_records if limit is None else limit) + 1):
            data, sw = self._exchange(apdu.read_record(number))
            if sw == _SW_NO_RECORD:
                break
            if sw != _SW_OK:
                raise error_for_status(sw, f"READ RECORD {number}")
            found.append(parse_record(data))
        return found

    def read(self, on_identified: Callable[[PublicInfo], None] | None = None) -> CardInfo:
        """The whole tap: select, public info, balance, log. ``on_identified`` is
        called as soon as the card number is known (the central look-up starts)."""
        public = self.public_info(self.select())
        if on_identified is not None:
            on_identified(public)
        balance = self.balance()
        overdraft = self.overdraft() if balance == 0 else None
        records = self.records()
        assert self.aid is not None
        return CardInfo(self.aid, public, balance, records, self.apdu_count, overdraft)

    # -- value ---------------------------------------------------------------------------
    def init_load(self, amount_fen: int, terminal: bytes) -> InitLoad:
        raw = self.command(apdu.init_load(self._key_index, amount_fen, terminal),
                           "INITIALIZE FOR LOAD", 16)
        return InitLoad.parse(raw)

    def credit_load(self, date: bytes, time: bytes, mac2: bytes) -> bytes:
        """CREDIT FOR LOAD; returns the TAC."""
        return self.command(apdu.credit_load(date, time, mac2), "CREDIT FOR LOAD", 4)

    def init_purchase(self, amount_fen: int, terminal: bytes) -> InitPurchase:
        raw = self.command(apdu.init_purchase(self._key_index, amount_fen, terminal),
                           "INITIALIZE FOR PURCHASE", 15)
        return InitPurchase.parse(raw)

    def debit_purchase(self, terminal_seq: int, date: bytes, time: bytes,
                       mac1: bytes) -> tuple[bytes, bytes]:
        """DEBIT FOR PURCHASE; returns (TAC, MAC2)."""
        raw = self.command(apdu.debit_purchase(terminal_seq, date, time, mac1),
                           "DEBIT FOR PURCHASE", 8)
        return raw[:4], raw[4:]

    # -- tear check ------------------------------------------------------------------------
    def was_applied(self, *, amount_fen: int, terminal: bytes, date: bytes, time: bytes,
                    purchase: bool = False) -> bool:
        """After a lost answer: whether the card's log holds this load (or purchase).

        Reads from the newest record until a match or the end of the log."""
        tx_type = PURCHASE_TYPE if purchase else LOAD_TYPE
        return any(record_matches(r, amount_fen=amount_fen, tx_type=tx_type, terminal=terminal,
                                  date=date, time=time) for r in self.records())


def _card_no_or_none(public: bytes | None) -> str | None:
    if public is None:
        return None
    try:
        return PublicInfo.parse(public).card_no
    except CardProtocolError:
        return None
