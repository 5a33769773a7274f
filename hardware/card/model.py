"""Typed values read from the e-purse application, and their byte layouts.

Parsers take the card's bytes and either return a value or raise
:class:`~hardware.card.errors.CardProtocolError`; the ``to_bytes`` methods
write the same layouts (the virtual card uses them), so the two round-trip.

Public info, SFI 0x15 (30 bytes)::

    0-7 issuer id (city code at 2-3) · 8 application type · 9 version ·
    10-19 application serial = card number, BCD · 20-23 valid from ·
    24-27 valid until (YYYYMMDD BCD) · 28-29 issuer-defined

Byte 28 carries the card type in this project's issuer profile
(:data:`CARD_TYPES`); that is *issuer-specific* (docs/card-protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hardware.card.errors import CardProtocolError
from protocol.cardno import printed_card_no
from protocol.pboc.secure import CardRecord

__all__ = ["CARD_TYPES", "CardInfo", "CardRecord", "PublicInfo", "parse_balance",
           "parse_record", "record_kind"]

# Issuer-defined byte 28 of the public info -> card type (issuer-specific).
CARD_TYPES: dict[int, str] = {0x00: "ordinary", 0x01: "student", 0x02: "senior",
                              0x03: "concession", 0x04: "staff"}
_TYPE_CODES = {name: code for code, name in CARD_TYPES.items()}

RECORD_KINDS = {0x01: "passbook_load", 0x02: "load", 0x06: "purchase", 0x09: "transit"}


def record_kind(tx_type: int) -> str:
    return RECORD_KINDS.get(tx_type, "other")


def _bcd_date(raw: bytes, what: str) -> date:
    digits = raw.hex()
    try:
        if not digits.isdigit():
            raise ValueError(digits)
        return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise CardProtocolError(f"{what} {digits} is not a BCD date") from None


def _date_bcd(value: date) -> bytes:
    return bytes.fromhex(value.strftime("%Y%m%d"))


@dataclass(frozen=True)
class PublicInfo:
    """The public application file (SFI 0x15)."""

    issuer_id: bytes
    app_type: int
    app_version: int
    card_no: str  # 20 digits
    valid_from: date
    valid_until: date
    card_type: str = "ordinary"

    @property
    def city_code(self) -> str:
        return self.issuer_id[2:4].hex()

    @classmethod
    def parse(cls, raw: bytes) -> PublicInfo:
        if len(raw) != 30:
            raise CardProtocolError(f"public info is {len(raw)} bytes, not 30")
        serial = raw[10:20].hex()
        if not serial.isdigit():
            raise CardProtocolError(f"card number {serial} is not BCD")
        return cls(bytes(raw[0:8]), raw[8], raw[9], serial,
                   _bcd_date(raw[20:24], "valid-from"), _bcd_date(raw[24:28], "valid-until"),
                   CARD_TYPES.get(raw[28], "other"))

    def to_bytes(self) -> bytes:
        if len(self.issuer_id) != 8 or len(self.card_no) != 20 or not self.card_no.isdigit():
            raise ValueError("issuer id must be 8 bytes and the card number 20 digits")
        return (self.issuer_id + bytes([self.app_type, self.app_version])
                + bytes.fromhex(self.card_no) + _date_bcd(self.valid_from)
                + _date_bcd(self.valid_until) + bytes([_TYPE_CODES.get(self.card_type, 0xFF), 0]))


def parse_balance(raw: bytes, high_bit: str = "ignore") -> int:
    """GET BALANCE's 4 bytes as fen. ``high_bit``: "ignore" masks the top bit,
    "overdraft" reads the value as signed (issuer-specific)."""
    if len(raw) != 4:
        raise CardProtocolError(f"balance is {len(raw)} bytes, not 4")
    if high_bit == "overdraft":
        return int.from_bytes(raw, "big", signed=True)
    return int.from_bytes(raw, "big") & 0x7FFFFFFF


def parse_record(raw: bytes) -> CardRecord:
    """One 23-byte log record, its date-time checked."""
    try:
        record = CardRecord.parse(raw)
        record.timestamp  # noqa: B018 - validates the BCD date-time now, not on display
    except ValueError as exc:
        raise CardProtocolError(f"transaction record: {exc}") from None
    return record


@dataclass(frozen=True)
class CardInfo:
    """Everything one tap reads from the card."""

    aid: str  # hex; "3F00/1001" for the MF/DF fallback
    public: PublicInfo
    balance_fen: int
    records: list[CardRecord] = field(default_factory=list)
    apdu_count: int = 0
    # A T-Union card whose e-purse is empty: its overdraft (the second GET BALANCE);
    # None when not read or not answered.
    overdraft_fen: int | None = None

    @property
    def printed_no(self) -> str:
        """The number as printed on the card: a T-Union number is the serial without
        its first digit (a BCD pad, 19 digits); others as the serial."""
        return printed_card_no(self.card_no, self.aid)

    @property
    def city_code(self) -> str:
        return self.public.city_code

    @property
    def card_no(self) -> str:
        return self.public.card_no

    @property
    def card_type(self) -> str:
        return self.public.card_type

    @property
    def valid_from(self) -> date:
        return self.public.valid_from

    @property
    def valid_until(self) -> date:
        return self.public.valid_until

    def to_json(self) -> dict[str, Any]:
        """The parsed card for operators (``kioskctl card read --json``)."""
        return {
            "card_no": self.card_no,
            "printed_no": self.printed_no,
            "aid": self.aid,
            "issuer_id": self.public.issuer_id.hex().upper(),
            "city_code": self.public.city_code,
            "card_type": self.card_type,
            "app_type": self.public.app_type,
            "app_version": self.public.app_version,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "balance_fen": self.balance_fen,
            "overdraft_fen": self.overdraft_fen,
            "records": [{"counter": r.counter, "amount_fen": r.amount_fen, "type": r.type,
                         "kind": record_kind(r.type), "terminal_id": r.terminal_hex,
                         "timestamp": r.timestamp.isoformat()} for r in self.records],
            "apdu_count": self.apdu_count,
        }
