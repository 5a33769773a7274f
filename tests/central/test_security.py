"""The security module against the published vector and hand-built byte strings."""

from __future__ import annotations

import pytest
from Crypto.Cipher import DES3
from hypothesis import given
from hypothesis import strategies as st

from central import pinblock
from central.routes.pin import is_weak
from central.security import (
    CardRecord,
    InitLoad,
    InitPurchase,
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
from central.settings import DEFAULT_KEYS_FILE
from hardware.card.crypto import diversify, mac, session_key, tac_key

DLK = bytes.fromhex("11223344556677888877665544332211")


def test_published_load_vector_through_the_security_module() -> None:
    seslk = load_session_key(DLK, bytes.fromhex("11223344"), bytes.fromhex("0000"))
    assert seslk.hex().upper() == "9B1D924E05595603"
    terminal = bytes.fromhex("001122334455")
    assert load_mac1(seslk, bytes(4), 0x1000, terminal, tx_type=0x01).hex().upper() == "2988AE5A"
    mac2 = load_mac2(seslk, 0x1000, terminal, bytes.fromhex("20111221"),
                     bytes.fromhex("214822"), tx_type=0x01)
    assert mac2.hex().upper() == "3A845BF0"


def test_load_tac_is_the_documented_concatenation() -> None:
    dtk = bytes(range(16))
    data = bytes.fromhex("00002710" "0005" "00001388" "02" "440300000001" "20261124" "103000")
    expected = mac(bytes(a ^ b for a, b in zip(dtk[:8], dtk[8:], strict=True)), data)
    got = load_tac(dtk, 10000, 5, 5000, bytes.fromhex("440300000001"),
                   bytes.fromhex("20261124"), bytes.fromhex("103000"))
    assert got == expected


def test_purchase_formulas_are_the_documented_concatenations() -> None:
    dpk, dtk = bytes(range(16)), bytes(range(16, 32))
    rnd, ctr = bytes.fromhex("A1B2C3D4"), bytes.fromhex("0007")
    sespk = purchase_session_key(dpk, rnd, ctr, 0x00012345)
    assert sespk == session_key(dpk, bytes.fromhex("A1B2C3D4" "0007" "2345"))
    terminal, date, time = (bytes.fromhex(x) for x in ("440300000001", "20261124", "103000"))
    assert purchase_mac1(sespk, 4560, terminal, date, time) == mac(
        sespk, bytes.fromhex("000011D0" "06" "440300000001" "20261124" "103000"))
    assert purchase_mac2(sespk, 4560) == mac(sespk, bytes.fromhex("000011D0"))
    assert purchase_tac(dtk, 4560, terminal, 0x00012345, date, time) == mac(
        tac_key(dtk),
        bytes.fromhex("000011D0" "06" "440300000001" "00012345" "20261124" "103000"))


def test_card_keys_are_diversified_from_the_card_serial() -> None:
    keys = IssuerKeys.from_file(DEFAULT_KEYS_FILE)
    card = keys.card_keys("31044403000000100017")
    serial = bytes.fromhex("31044403000000100017")
    assert card.dlk == diversify(keys.load_master, serial)
    assert card.dpk == diversify(keys.purchase_master, serial)
    assert card.dtk == diversify(keys.tac_master, serial)
    assert keys.card_keys("31044403000000100025").dlk != card.dlk


def test_answers_and_records_parse_field_by_field() -> None:
    init = InitLoad.parse(bytes.fromhex("000021CA" "0003" "01" "00" "DEADBEEF" "01020304"))
    assert (init.balance_fen, init.counter, init.key_version, init.algorithm_id) == (8650, 3, 1, 0)
    assert init.random.hex() == "deadbeef" and init.mac1.hex() == "01020304"
    purchase = InitPurchase.parse(bytes.fromhex("000004CE" "0009" "000000" "01" "00" "CAFEBABE"))
    assert (purchase.balance_fen, purchase.counter, purchase.random.hex()) == (1230, 9, "cafebabe")
    record = CardRecord.parse(bytes.fromhex("0004" "000000" "00001388" "02" "440300000001"
                                            "20261124103000"))
    assert (record.counter, record.amount_fen, record.type) == (4, 5000, 2)
    assert record.terminal_id.hex() == "440300000001"
    assert (record.date + record.time).hex() == "20261124103000"
    with pytest.raises(ValueError):
        InitLoad.parse(bytes(15))
    with pytest.raises(ValueError):
        CardRecord.parse(bytes(22))


def test_pin_block_is_iso_format_0_under_3des() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    block = pinblock.encode("147258", "31044403000000100017", key)
    clear = DES3.new(key, DES3.MODE_ECB).decrypt(bytes.fromhex(block))
    pin_field = bytes.fromhex("06147258FFFFFFFF")
    pan_field = bytes.fromhex("0000" "300000010001")  # 12 digits left of the last one
    assert clear == bytes(a ^ b for a, b in zip(pin_field, pan_field, strict=True))
    assert pinblock.decode(block, "31044403000000100017", key) == "147258"


def test_pin_block_for_another_card_or_key_does_not_decode() -> None:
    key = pinblock.pin_key(b"k" * 32)
    block = pinblock.encode("147258", "31044403000000100017", key)
    with pytest.raises(pinblock.PinBlockError):
        pinblock.decode(block, "31044403000000100025", key)
    with pytest.raises(pinblock.PinBlockError):
        pinblock.decode(block, "31044403000000100017", pinblock.pin_key(b"x" * 32))
    with pytest.raises(pinblock.PinBlockError):
        pinblock.encode("12a4", "31044403000000100017", key)


@given(st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_pin_block_round_trips_any_pin(pin: str) -> None:
    key = pinblock.pin_key(b"secret-of-a-kiosk-0001")
    assert pinblock.decode(pinblock.encode(pin, "31044403000000100017", key),
                           "31044403000000100017", key) == pin


@pytest.mark.parametrize(("pin", "weak"), [
    ("111111", True), ("123456", True), ("654321", True), ("890123", True), ("12345", True),
    ("147258", False), ("112233", False), ("209318", False)])
def test_weak_payment_passwords(pin: str, weak: bool) -> None:
    assert is_weak(pin) is weak
