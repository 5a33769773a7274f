"""The e-purse's command APDUs, built byte by byte (CARD_PROTOCOL.md).

Pure functions returning ``bytes``; the golden tables in
``tests/hardware/card/test_apdu.py`` pin every one of them.
"""

from __future__ import annotations

__all__ = ["SFI_LOG", "SFI_PUBLIC", "credit_load", "debit_purchase", "get_balance",
           "get_response", "init_load", "init_purchase", "read_binary_sfi", "read_record",
           "select_aid", "select_fid", "split_sw", "with_le"]

SFI_PUBLIC = 0x15
SFI_LOG = 0x18


def split_sw(answer: bytes) -> tuple[bytes, int]:
    """An answer APDU as (data, status word)."""
    if len(answer) < 2:
        raise ValueError("an answer APDU has at least the two status bytes")
    return bytes(answer[:-2]), int.from_bytes(answer[-2:], "big")


def with_le(command: bytes, le: int) -> bytes:
    """``command`` with its last byte (Le) replaced: the 6Cxx retry."""
    return command[:-1] + bytes([le & 0xFF])


def select_aid(aid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid + b"\x00"


def select_fid(fid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x00, 0x00, len(fid)]) + fid


def read_binary_sfi(sfi: int, le: int = 0) -> bytes:
    return bytes([0x00, 0xB0, 0x80 | sfi, 0x00, le])


def read_record(number: int, sfi: int = SFI_LOG, le: int = 0) -> bytes:
    return bytes([0x00, 0xB2, number, (sfi << 3) | 0x04, le])


def get_balance(*, overdraft: bool = False) -> bytes:
    """GET BALANCE of the e-purse, or (T-Union, P1 = 01) of its overdraft."""
    return bytes.fromhex("805C010204" if overdraft else "805C000204")


def get_response(le: int) -> bytes:
    return bytes([0x00, 0xC0, 0x00, 0x00, le])


def _u32(value: int) -> bytes:
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"amount {value} does not fit 4 bytes")
    return value.to_bytes(4, "big")


def _terminal(terminal: bytes) -> bytes:
    if len(terminal) != 6:
        raise ValueError("a terminal id is 6 bytes")
    return terminal


def init_load(key_index: int, amount_fen: int, terminal: bytes) -> bytes:
    return (bytes.fromhex("805000020B") + bytes([key_index]) + _u32(amount_fen)
            + _terminal(terminal) + b"\x10")


def credit_load(date: bytes, time: bytes, mac2: bytes) -> bytes:
    if (len(date), len(time), len(mac2)) != (4, 3, 4):
        raise ValueError("CREDIT FOR LOAD takes date(4) time(3) MAC2(4)")
    return bytes.fromhex("805200000B") + date + time + mac2 + b"\x04"


def init_purchase(key_index: int, amount_fen: int, terminal: bytes) -> bytes:
    return (bytes.fromhex("805001020B") + bytes([key_index]) + _u32(amount_fen)
            + _terminal(terminal) + b"\x0F")


def debit_purchase(terminal_seq: int, date: bytes, time: bytes, mac1: bytes) -> bytes:
    if (len(date), len(time), len(mac1)) != (4, 3, 4):
        raise ValueError("DEBIT FOR PURCHASE takes date(4) time(3) MAC1(4)")
    return bytes.fromhex("805401000F") + _u32(terminal_seq) + date + time + mac1 + b"\x08"
