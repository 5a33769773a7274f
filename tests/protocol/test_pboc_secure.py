"""The e-purse transaction formulas against the published vector and hand-built byte
strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.pboc.crypto import diversify, mac, session_key, tac_key
from protocol.pboc.secure import (
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

DEV_KEYS = Path(__file__).resolve().parents[2] / "config" / "sim" / "dev-keys.toml"
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
    keys = IssuerKeys.from_file(DEV_KEYS)
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


def test_a_cards_keys_are_derived_once_per_issuer_and_never_across_issuers() -> None:
    """MAC2 and the confirm's TAC ask for the same card's keys within a load."""
    keys = IssuerKeys.from_file(DEV_KEYS)
    first = keys.card_keys("31044403000000100017")
    assert keys.card_keys("31044403000000100017") is first
    other_issuer = IssuerKeys(bytes(16), keys.purchase_master, keys.tac_master,
                              keys.key_version, keys.algorithm_id)
    theirs = other_issuer.card_keys("31044403000000100017")
    assert theirs.dlk == diversify(bytes(16), bytes.fromhex("31044403000000100017"))
    assert theirs.dlk != first.dlk and theirs.dtk == first.dtk
