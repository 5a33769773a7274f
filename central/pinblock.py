"""Payment-password (支付密码) PIN blocks: ISO 9564-1 format 0 under a per-kiosk key.

The kiosk never sends a PIN in clear. It builds the format-0 block

    PIN field  = 0 ‖ len ‖ PIN digits ‖ F…F          (16 nibbles)
    PAN field  = 0000 ‖ 12 rightmost digits of the card number,
                 excluding its last digit             (16 nibbles)
    clear      = PIN field ⊕ PAN field

and encrypts it with 2-key 3DES-ECB under the kiosk's PIN key, which both
sides derive from the kiosk's shared secret:
``HMAC-SHA256(secret, "citycard pin key v1")[:16]``. The block travels as 16
hex digits. Both the kiosk and the reference server import this module.
"""

from __future__ import annotations

import hashlib
import hmac

from Crypto.Cipher import DES3

__all__ = ["PinBlockError", "decode", "encode", "pin_key"]

_LABEL = b"citycard pin key v1"


class PinBlockError(ValueError):
    """A PIN block that does not decode to a PIN."""


def pin_key(secret: bytes) -> bytes:
    """The kiosk's 16-byte PIN encryption key, derived from its HMAC secret."""
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()[:16]


def _pan_field(card_no: str) -> bytes:
    if not card_no.isdigit() or len(card_no) < 13:
        raise PinBlockError("card number must have at least 13 digits")
    return bytes.fromhex("0000" + card_no[-13:-1])


def _cipher(key: bytes) -> DES3.DES3Cipher:  # type: ignore[name-defined]
    return DES3.new(key, DES3.MODE_ECB)


def encode(pin: str, card_no: str, key: bytes) -> str:
    """The encrypted block for ``pin`` (4–12 digits), as 16 hex digits."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise PinBlockError("a PIN is 4 to 12 digits")
    field = bytes.fromhex((f"0{len(pin):X}{pin}").ljust(16, "F"))
    clear = bytes(a ^ b for a, b in zip(field, _pan_field(card_no), strict=True))
    return bytes(_cipher(key).encrypt(clear)).hex().upper()


def decode(block_hex: str, card_no: str, key: bytes) -> str:
    """The PIN inside an encrypted block; :class:`PinBlockError` if it is not one."""
    try:
        block = bytes.fromhex(block_hex)
    except ValueError:
        raise PinBlockError("PIN block is not hex") from None
    if len(block) != 8:
        raise PinBlockError("PIN block must be 8 bytes")
    clear = bytes(_cipher(key).decrypt(block))
    field = bytes(a ^ b for a, b in zip(clear, _pan_field(card_no), strict=True)).hex().upper()
    length = int(field[1], 16)
    pin, filler = field[2:2 + length], field[2 + length:]
    if field[0] != "0" or not 4 <= length <= 12 or not pin.isdigit() or set(filler) - {"F"}:
        raise PinBlockError("PIN block does not decode to a format-0 PIN")
    return pin
