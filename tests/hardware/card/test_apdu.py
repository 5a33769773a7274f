"""Golden APDU tables: every command byte for byte, and the exact sequences the
kiosk sends for a read, a load and a purchase (CARD_PROTOCOL.md)."""

from __future__ import annotations

import pytest

from hardware.card import apdu
from protocol.pboc.secure import load_mac2, load_session_key
from tests.hardware.card.cardkit import CITY_UNION, KEYS, TERMINAL, ZHANG, card, direct


@pytest.mark.parametrize(("built", "golden"), [
    (apdu.select_aid(bytes.fromhex("A000000632010105")), "00A4040008A00000063201010500"),
    (apdu.select_fid(b"\x3F\x00"), "00A40000023F00"),
    (apdu.read_binary_sfi(0x15), "00B0950000"),
    (apdu.read_record(1), "00B201C400"),
    (apdu.read_record(10), "00B20AC400"),
    (apdu.get_balance(), "805C000204"),
    (apdu.get_response(0x10), "00C0000010"),
    (apdu.with_le(apdu.read_binary_sfi(0x15), 0x1E), "00B095001E"),
    (apdu.init_load(1, 5000, TERMINAL), "805000020B010000138844030000000110"),
    (apdu.credit_load(bytes.fromhex("20261124"), bytes.fromhex("120000"),
                      bytes.fromhex("3A845BF0")), "805200000B202611241200003A845BF004"),
    (apdu.init_purchase(1, 3720, TERMINAL), "805001020B0100000E884403000000010F"),
    (apdu.debit_purchase(7, bytes.fromhex("20261124"), bytes.fromhex("120000"),
                         bytes.fromhex("01020304")),
     "805401000F00000007202611241200000102030408"),
])
def test_command_bytes(built: bytes, golden: str) -> None:
    assert built.hex().upper() == golden


def test_builders_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        apdu.init_load(1, -1, TERMINAL)
    with pytest.raises(ValueError):
        apdu.init_load(1, 1 << 32, TERMINAL)
    with pytest.raises(ValueError):
        apdu.init_purchase(1, 100, b"\x00" * 5)
    with pytest.raises(ValueError):
        apdu.credit_load(b"\x20\x26", b"\x12\x00\x00", b"\x00" * 4)


def _sent(vc) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.hex().upper() for c, _ in vc.log]


def test_t_union_read_uses_the_fci_and_stops_at_6a83() -> None:
    vc = card(balance_fen=100)
    info = direct(vc).read()
    assert _sent(vc) == ["00A4040008A00000063201010500", "805C000204", "00B201C400"]
    assert info.apdu_count == 3 and info.balance_fen == 100


def test_an_empty_t_union_purse_is_asked_for_its_overdraft() -> None:
    vc = card(balance_fen=0, overdraft_fen=250)
    info = direct(vc).read()
    assert _sent(vc) == ["00A4040008A00000063201010500", "805C000204", "805C010204",
                         "00B201C400"]
    assert (info.balance_fen, info.overdraft_fen) == (0, 250)


def test_city_union_read_selects_past_6a82_and_reads_the_public_file() -> None:
    vc = card(aid=CITY_UNION, records=[])
    info = direct(vc).read()
    assert _sent(vc) == ["00A4040008A00000063201010500", "00A4040009A0000000038698070100",
                         "00B0950000", "805C000204", "00B201C400"]
    assert info.aid == CITY_UNION and info.apdu_count == 5


def test_older_cards_by_mf_and_df_1001() -> None:
    vc = card(aid="3F00/1001")
    info = direct(vc).read()
    assert _sent(vc)[2:5] == ["00A40000023F00", "00A40000021001", "00B0950000"]
    assert info.aid == "3F00/1001"


def test_a_full_log_reads_ten_records_and_no_more() -> None:
    records = [f"{i:04X}000000000001F402440300000001202611241200{i:02d}" for i in range(12)]
    vc = card(records=records[:10], balance_fen=100)
    info = direct(vc).read()
    assert len(info.records) == 10 and info.apdu_count == 2 + 10
    assert _sent(vc)[-1] == "00B20AC400"


def test_load_sequence_and_the_card_checks_mac2() -> None:
    vc = card(balance_fen=8650, online_counter=3)
    purse = direct(vc)
    purse.select()
    init = purse.init_load(5000, TERMINAL)
    assert init.raw.hex().upper().startswith("000021CA" "0003" "0100" "11223344")
    keys = KEYS.card_keys(ZHANG)
    ses = load_session_key(keys.dlk, init.random, init.online_counter)
    day, clock = bytes.fromhex("20261124"), bytes.fromhex("120000")
    tac = purse.credit_load(day, clock, load_mac2(ses, 5000, TERMINAL, day, clock))
    assert len(tac) == 4 and vc.state.balance_fen == 13650 and vc.state.online_counter == 4
    assert _sent(vc)[1:] == ["805000020B010000138844030000000110",
                             "805200000B20261124120000"
                             + load_mac2(ses, 5000, TERMINAL, day, clock).hex().upper() + "04"]
