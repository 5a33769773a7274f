"""The e-purse's cryptographic primitives (PBOC / JT/T 978).

Pure functions over bytes, shared by the virtual card and the reference central
server.

- ``mac(key8, data)``: single-DES CBC-MAC, zero IV, data padded ``80 00…`` to a
  multiple of 8, leftmost 4 bytes.
- ``session_key(key16, data8)``: 2-key 3DES-ECB of one block (SESLK, SESPK).
- ``diversify(master16, card_no)``: per-card key from an issuer master key,
  ``3DES(MK, D) ‖ 3DES(MK, ~D)`` with D the rightmost 8 bytes of the 10-byte
  application serial. The diversification data is *issuer-specific*.
- ``tac_key(key16)``: left half XOR right half, the single-DES key for TACs.
"""

from __future__ import annotations

from Crypto.Cipher import DES

__all__ = ["diversify", "mac", "pad80", "session_key", "tac_key"]


def pad80(data: bytes) -> bytes:
    """ISO 9797-1 method 2 padding: ``80`` then zeros to a multiple of 8."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % 8)


def mac(key: bytes, data: bytes) -> bytes:
    """Single-DES CBC-MAC with a zero IV; the leftmost 4 bytes."""
    if len(key) != 8:
        raise ValueError("MAC key must be 8 bytes")
    cipher = DES.new(key, DES.MODE_CBC, iv=bytes(8))
    return cipher.encrypt(pad80(data))[-8:][:4]


def _tdes_block(key: bytes, block: bytes) -> bytes:
    if len(key) != 16 or len(block) != 8:
        raise ValueError("3DES takes a 16-byte key and an 8-byte block")
    k1, k2 = key[:8], key[8:]
    # Textbook EDE, written out so a key with equal halves (single-DES
    # equivalent, which pycryptodome's DES3 refuses) still works.
    step = DES.new(k1, DES.MODE_ECB).encrypt(block)
    step = DES.new(k2, DES.MODE_ECB).decrypt(step)
    return DES.new(k1, DES.MODE_ECB).encrypt(step)


def session_key(key: bytes, data: bytes) -> bytes:
    """``3DES-ECB(key, data)`` for one 8-byte block: the load/purchase session key."""
    return _tdes_block(key, data)


def diversify(master: bytes, card_serial: bytes) -> bytes:
    """A 16-byte per-card key from a 16-byte issuer master key."""
    if len(card_serial) < 8:
        raise ValueError("card serial must be at least 8 bytes")
    d = card_serial[-8:]
    return _tdes_block(master, d) + _tdes_block(master, bytes(b ^ 0xFF for b in d))


def tac_key(key: bytes) -> bytes:
    """The TAC key: the two halves of DTK XORed together."""
    if len(key) != 16:
        raise ValueError("DTK must be 16 bytes")
    return bytes(a ^ b for a, b in zip(key[:8], key[8:], strict=True))


