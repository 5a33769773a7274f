"""Payment-password (支付密码) PIN blocks: ISO 9564-1 format 4 under AES-128.

The kiosk never sends a PIN in clear. It builds two 16-byte fields (nibbles)::

    PIN field = 4 ‖ N ‖ PIN digits ‖ A…A  (to nibble 16)  ‖ 16 random nibbles
    PAN field = M ‖ PAN digits ‖ 0…0      (to nibble 32)

with N the PIN's length (4–12) and M the PAN's length minus 12 (0–7; a PAN
shorter than 12 digits is left-padded with zeros to 12 and M is 0), and
enciphers them in the standard's chain under the kiosk's PIN key K::

    A     = AES-128(K, PIN field)
    B     = A ⊕ PAN field
    block = AES-128(K, B)                 (32 hex digits on the wire)

Format 4 takes a PAN of at most 19 digits. A city card number has 20; its first
digit is the first of the card scheme's prefix (``3104…``), the same on every
card, so the PAN field takes the 19 rightmost digits — the whole number but a
digit that tells no card from another.

The PIN key is per kiosk, derived from the kiosk's secret with HKDF-SHA256
(RFC 5869, no salt, the fixed ``info`` :data:`PIN_KEY_INFO`), so it is a key of
its own and not a piece of the request-signing key. Both the kiosk and the
reference server import this module.
"""

from __future__ import annotations

import secrets

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

__all__ = ["PIN_KEY_INFO", "PinBlockError", "decode", "encode", "hkdf_sha256", "pan_field",
           "pin_field", "pin_key"]

PIN_KEY_INFO = b"citycard pin key v2: ISO 9564-1 format 4, AES-128"
_BLOCK = 16


class PinBlockError(ValueError):
    """A PIN block that does not decode to a PIN (or a PIN or PAN that cannot be encoded)."""


def hkdf_sha256(ikm: bytes, length: int, *, salt: bytes = b"", info: bytes = b"") -> bytes:
    """RFC 5869 HKDF with SHA-256: ``length`` bytes of output keying material."""
    # An empty salt is the RFC's "not provided": HMAC pads the key with zeros,
    # so it equals HashLen zero bytes.
    okm = HKDF(ikm, length, salt, SHA256, context=info)
    assert isinstance(okm, bytes)  # num_keys=1: one key, not a tuple
    return okm


def pin_key(secret: bytes) -> bytes:
    """The kiosk's AES-128 PIN key, derived from its secret."""
    return hkdf_sha256(secret, 16, info=PIN_KEY_INFO)


def pin_field(pin: str, fill: bytes | None = None) -> bytes:
    """The plain-text PIN field; ``fill`` is its 8 random bytes (tests fix them)."""
    if not (pin.isascii() and pin.isdigit()) or not 4 <= len(pin) <= 12:
        raise PinBlockError("a PIN is 4 to 12 digits")
    fill = secrets.token_bytes(8) if fill is None else fill
    if len(fill) != 8:
        raise PinBlockError("the random fill is 8 bytes")
    return bytes.fromhex(f"4{len(pin):X}{pin}".ljust(16, "A")) + fill


def pan_field(card_no: str) -> bytes:
    """The plain-text PAN field for a card number (see the module docstring)."""
    if not (card_no.isascii() and card_no.isdigit()) or not 1 <= len(card_no) <= 20:
        raise PinBlockError("a card number is 1 to 20 digits")
    pan = card_no[-19:].rjust(12, "0")
    return bytes.fromhex(f"{len(pan) - 12}{pan}".ljust(2 * _BLOCK, "0"))


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def encode(pin: str, card_no: str, key: bytes, *, fill: bytes | None = None) -> str:
    """The enciphered block for ``pin`` (4–12 digits) on ``card_no``, as 32 hex digits."""
    cipher = AES.new(_checked(key), AES.MODE_ECB)
    intermediate = _xor(cipher.encrypt(pin_field(pin, fill)), pan_field(card_no))
    return bytes(cipher.encrypt(intermediate)).hex().upper()


def decode(block_hex: str, card_no: str, key: bytes) -> str:
    """The PIN inside an enciphered block; :class:`PinBlockError` if it is not one."""
    try:
        block = bytes.fromhex(block_hex)
    except ValueError:
        raise PinBlockError("PIN block is not hex") from None
    if len(block) != _BLOCK:
        raise PinBlockError("PIN block must be 16 bytes")
    cipher = AES.new(_checked(key), AES.MODE_ECB)
    intermediate = _xor(cipher.decrypt(block), pan_field(card_no))
    field = bytes(cipher.decrypt(intermediate)).hex().upper()
    length = int(field[1], 16)
    pin, filler = field[2:2 + length], field[2 + length:16]
    if field[0] != "4" or not 4 <= length <= 12 or not pin.isdigit() or set(filler) - {"A"}:
        raise PinBlockError("PIN block does not decode to a format-4 PIN")
    return pin


def _checked(key: bytes) -> bytes:
    if len(key) != 16:
        raise PinBlockError("the PIN key is 16 bytes (AES-128)")
    return key
