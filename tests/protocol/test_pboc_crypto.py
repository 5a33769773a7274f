"""The published worked example from CARD_PROTOCOL.md, reproduced byte for byte by
the primitives."""

import pytest

from protocol.pboc.crypto import diversify, mac, pad80, session_key, tac_key

DLK = bytes.fromhex("11223344556677888877665544332211")


def test_published_load_vector() -> None:
    seslk = session_key(DLK, bytes.fromhex("11223344" "0000" "8000"))
    assert seslk.hex().upper() == "9B1D924E05595603"
    mac1 = mac(seslk, bytes.fromhex("00000000" "00001000" "01" "001122334455"))
    assert mac1.hex().upper() == "2988AE5A"
    mac2 = mac(seslk, bytes.fromhex("00001000" "01" "001122334455" "20111221" "214822"))
    assert mac2.hex().upper() == "3A845BF0"


def test_padding() -> None:
    assert pad80(b"") == b"\x80" + bytes(7)
    assert pad80(bytes(7)) == bytes(7) + b"\x80"
    assert pad80(bytes(8)) == bytes(8) + b"\x80" + bytes(7)


def test_diversified_keys_differ_per_card_and_halves_differ() -> None:
    a = diversify(DLK, bytes.fromhex("31040000000000000001"))
    b = diversify(DLK, bytes.fromhex("31040000000000000002"))
    assert len(a) == 16 and a != b and a[:8] != a[8:]


def test_tac_key_and_bad_lengths() -> None:
    assert tac_key(bytes(8) + b"\xff" * 8) == b"\xff" * 8
    with pytest.raises(ValueError):
        mac(bytes(16), b"x")
    with pytest.raises(ValueError):
        session_key(bytes(8), bytes(8))
