"""PIN blocks: ISO 9564-1 format 4 under AES-128, the PIN key from HKDF-SHA256.

Published vectors: RFC 5869 appendix A (HKDF-SHA256, test cases 1-3); the
worked example of the ep2 (eft/pos 2000) Security Specification 8.0.0, §8.4
"PIN Encryption" (a format-4 block deciphered to its PIN); the format-4 PIN and
PAN fields of the ANSI X9.24-3-2017 supplement test vectors ("Calculation of
AES PIN Block Format 4"). The rest checks the layout against the standard's
description: control field 4, the PIN length nibble, fill ``A``, the random
half, the PAN field, and the two encipherments chained by the XOR.
"""

from __future__ import annotations

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st

from protocol import pinblock

CARD = "31044403000000100017"


@pytest.mark.parametrize(("ikm", "salt", "info", "length", "okm"), [
    # RFC 5869 A.1: basic test case with SHA-256
    ("0b" * 22, "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
     "34007208d5b887185865"),
    # RFC 5869 A.2: longer inputs and outputs
    ("".join(f"{i:02x}" for i in range(0x00, 0x50)),
     "".join(f"{i:02x}" for i in range(0x60, 0xb0)),
     "".join(f"{i:02x}" for i in range(0xb0, 0x100)), 82,
     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
     "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
     "cc30c58179ec3e87c14c01d5c1f3434f1d87"),
    # RFC 5869 A.3: zero-length salt and info (what pin_key uses for the salt)
    ("0b" * 22, "", "", 42,
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
     "9d201395faa4b61a96c8"),
])
def test_hkdf_sha256_gives_the_rfc_5869_vectors(ikm: str, salt: str, info: str, length: int,
                                               okm: str) -> None:
    got = pinblock.hkdf_sha256(bytes.fromhex(ikm), length, salt=bytes.fromhex(salt),
                               info=bytes.fromhex(info))
    assert got.hex() == okm


def test_the_pin_key_is_hkdf_of_the_kiosk_secret_with_the_fixed_info() -> None:
    secret = b"0123456789abcdef0123456789abcdef"
    key = pinblock.pin_key(secret)
    assert key == pinblock.hkdf_sha256(secret, 16, info=pinblock.PIN_KEY_INFO)
    assert len(key) == 16
    # not a piece of an HMAC of the signing secret, and one key per kiosk
    assert key != pinblock.pin_key(b"another kiosk's secret, as long")


def test_the_published_ep2_block_deciphers_to_its_pin() -> None:
    key = bytes.fromhex("C1D0F8FB4958670DBA40AB1F3752EF0D")
    block = "CC17F65586BFD0953010226C4FC5B3CA"
    assert pinblock.decode(block, "432198765432109870", key) == "1234"


def test_the_published_format_4_fields() -> None:
    # X9.24-3-2017 supplement: PIN 1234, PAN 4111111111111111 (16 digits: M = 4)
    assert pinblock.pin_field("1234", bytes(8))[:8].hex().upper() == "441234AAAAAAAAAA"
    assert pinblock.pan_field("4111111111111111").hex().upper() == \
        "44111111111111111000000000000000"


@pytest.mark.parametrize(("card_no", "field"), [
    ("1234567890123456789", "71234567890123456789000000000000"),  # 19 digits: M = 7
    ("123456789012", "01234567890120000000000000000000"),         # 12 digits: M = 0
    ("12345", "00000000123450000000000000000000"),                # short: zeros left, M = 0
    (CARD, "71044403000000100017000000000000"),                   # a city card: 19 rightmost
])
def test_pan_field_layout(card_no: str, field: str) -> None:
    assert pinblock.pan_field(card_no).hex().upper() == field


@pytest.mark.parametrize(("pin", "first_half"), [
    ("1234", "441234AAAAAAAAAA"),
    ("147258", "46147258AAAAAAAA"),
    ("12345", "4512345AAAAAAAAA"),
    ("123456789012", "4C123456789012AA"),
])
def test_pin_field_layout(pin: str, first_half: str) -> None:
    fill = bytes.fromhex("0123456789ABCDEF")
    field = pinblock.pin_field(pin, fill)
    assert field.hex().upper() == first_half + "0123456789ABCDEF"


def test_the_block_is_the_two_encipherments_chained_by_the_pan_field() -> None:
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    fill = bytes.fromhex("1122334455667788")
    block = bytes.fromhex(pinblock.encode("147258", CARD, key, fill=fill))
    cipher = AES.new(key, AES.MODE_ECB)
    intermediate = bytes(a ^ b for a, b in zip(cipher.decrypt(block),
                                               pinblock.pan_field(CARD), strict=True))
    assert cipher.decrypt(intermediate) == bytes.fromhex("46147258AAAAAAAA1122334455667788")
    assert len(block) == 16


def test_the_random_half_makes_each_block_of_one_pin_different() -> None:
    key = pinblock.pin_key(b"secret-of-a-kiosk-0001")
    blocks = {pinblock.encode("147258", CARD, key) for _ in range(8)}
    assert len(blocks) == 8
    assert {pinblock.decode(b, CARD, key) for b in blocks} == {"147258"}


def test_a_block_for_another_card_or_key_does_not_decode() -> None:
    key = pinblock.pin_key(b"k" * 32)
    block = pinblock.encode("147258", CARD, key)
    with pytest.raises(pinblock.PinBlockError):
        pinblock.decode(block, "31044403000000100025", key)
    with pytest.raises(pinblock.PinBlockError):
        pinblock.decode(block, CARD, pinblock.pin_key(b"x" * 32))


@pytest.mark.parametrize("bad", [
    "12a4", "123", "1234567890123", "１２３４５６",  # not 4-12 ASCII digits
])
def test_a_pin_that_is_not_4_to_12_digits_is_refused(bad: str) -> None:
    with pytest.raises(pinblock.PinBlockError):
        pinblock.encode(bad, CARD, pinblock.pin_key(b"k" * 32))


@pytest.mark.parametrize("block", [
    "00" * 15, "00" * 17, "zz" * 16,
    # a format-0 block as the kiosk sent it before: 8 bytes, refused
    "06147258FFFFFFFF",
])
def test_a_block_that_is_not_16_hex_bytes_is_refused(block: str) -> None:
    with pytest.raises(pinblock.PinBlockError):
        pinblock.decode(block, CARD, pinblock.pin_key(b"k" * 32))


def test_a_well_enciphered_field_that_is_not_format_4_is_refused() -> None:
    key = bytes(16)
    cipher = AES.new(key, AES.MODE_ECB)
    pan = pinblock.pan_field(CARD)

    def block_of(field_hex: str) -> str:
        a = cipher.encrypt(bytes.fromhex(field_hex))
        return cipher.encrypt(bytes(x ^ y for x, y in zip(a, pan, strict=True))).hex()

    assert pinblock.decode(block_of("441234AAAAAAAAAA" + "00" * 8), CARD, key) == "1234"
    for field in ("041234AAAAAAAAAA", "431234AAAAAAAAAA", "441234AAAAAAAAAF",
                  "4412B4AAAAAAAAAA"):
        with pytest.raises(pinblock.PinBlockError):
            pinblock.decode(block_of(field + "00" * 8), CARD, key)


@given(st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_any_pin_round_trips(pin: str) -> None:
    key = pinblock.pin_key(b"secret-of-a-kiosk-0001")
    assert pinblock.decode(pinblock.encode(pin, CARD, key), CARD, key) == pin
