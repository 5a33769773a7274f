"""Load and purchase through nfcpy's own code: the fake driver under a real
ContactlessFrontend, RATS/ATS, ISO-DEP chaining both ways, S(WTX), 61xx, 6Cxx,
and the central side's MACs computed as the reference server computes them."""

from __future__ import annotations

import pytest

from hardware.card.errors import CardRemoved, InsufficientFunds, MacInvalid
from hardware.card.virtual import Faults, VirtualCard
from protocol.pboc.secure import (
    load_mac2,
    load_session_key,
    load_tac,
    purchase_mac1,
    purchase_mac2,
    purchase_session_key,
    purchase_tac,
)
from tests.hardware.card.cardkit import KEYS, TERMINAL, ZHANG, card, over_nfc

DAY, CLOCK = bytes.fromhex("20261124"), bytes.fromhex("093000")
SMALL_ATS = bytes.fromhex("0570807002")  # FSCI 0: the reader may send 16-byte frames


def _load(purse, vc: VirtualCard, amount: int) -> bytes:  # type: ignore[no-untyped-def]
    keys = KEYS.card_keys(ZHANG)
    init = purse.init_load(amount, TERMINAL)
    ses = load_session_key(keys.dlk, init.random, init.online_counter)
    tac = purse.credit_load(DAY, CLOCK, load_mac2(ses, amount, TERMINAL, DAY, CLOCK))
    assert tac == load_tac(keys.dtk, init.balance_fen + amount, init.counter, amount, TERMINAL,
                           DAY, CLOCK)
    return tac


def _purchase(purse, amount: int, seq: int = 41) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    keys = KEYS.card_keys(ZHANG)
    init = purse.init_purchase(amount, TERMINAL)
    ses = purchase_session_key(keys.dpk, init.random, init.offline_counter, seq)
    tac, mac2 = purse.debit_purchase(seq, DAY, CLOCK,
                                     purchase_mac1(ses, amount, TERMINAL, DAY, CLOCK))
    assert mac2 == purchase_mac2(ses, amount)
    assert tac == purchase_tac(keys.dtk, amount, TERMINAL, seq, DAY, CLOCK)
    return tac, mac2


@pytest.mark.parametrize(("ats", "max_inf"), [(None, 253), (SMALL_ATS, 8)],
                         ids=["fsc256", "fsc16-chained"])
def test_read_load_and_purchase_round_trip(ats: bytes | None, max_inf: int) -> None:
    vc = card(balance_fen=8650)
    kwargs = {"ats": ats} if ats else {}
    purse, tag, dev = over_nfc(vc, max_inf=max_inf, **kwargs)
    info = purse.read()
    assert (info.card_no, info.balance_fen, info.card_type) == (ZHANG, 8650, "ordinary")
    _load(purse, vc, 5000)
    _purchase(purse, 3720)
    assert vc.state.balance_fen == 8650 + 5000 - 3720
    assert (vc.state.online_counter, vc.state.offline_counter) == (1, 1)
    logged = [(r[18:20], int(r[10:18], 16)) for r in vc.state.records]
    assert logged == [("06", 3720), ("02", 5000)]  # newest first
    if ats == SMALL_ATS:
        # 17-byte INIT LOAD in 13-byte frames, 30-byte FCI answers in 8-byte blocks:
        # more frames than APDUs proves chaining ran both ways.
        assert tag._dep.miu == 13 and dev.card is not None
        assert dev.card.iso.frames > 2 * vc.commands
    else:
        assert dev.card is not None and dev.card.iso.frames == vc.commands + 1  # + RATS


def test_waiting_time_extension_for_a_slow_card() -> None:
    vc = card(balance_fen=100, faults=Faults(latency_ms={0x52: 30}))
    purse, _, dev = over_nfc(vc, wtx_above_ms=10)
    purse.select()
    _load(purse, vc, 100)
    assert vc.state.balance_fen == 200
    assert dev.card is not None and dev.card.iso.frames > vc.commands + 1  # the S(WTX) pair


def test_get_response_and_wrong_le_are_followed() -> None:
    vc = card(balance_fen=500, aid="A00000000386980701", faults=Faults(get_response=True))
    purse, _, _ = over_nfc(vc)
    info = purse.read()
    assert info.balance_fen == 500
    sent = [c[:2].hex().upper() for c, _ in vc.log]
    assert sent.count("00C0") >= 2  # SELECT's FCI, the public file, the balance…
    wrong_le = card()
    purse2, _, _ = over_nfc(wrong_le)
    purse2.select()
    data = purse2.command(bytes.fromhex("00B0950010"), "READ BINARY 15")
    assert len(data) == 30  # 6C1E, resent with Le = 1E
    assert [c.hex().upper() for c, _ in wrong_le.log][-2:] == ["00B0950010", "00B095001E"]


def test_the_card_refuses_a_wrong_mac2_and_a_debit_beyond_its_balance() -> None:
    vc = card(balance_fen=100)
    purse, _, _ = over_nfc(vc)
    purse.select()
    purse.init_load(500, TERMINAL)
    with pytest.raises(MacInvalid) as err:
        purse.credit_load(DAY, CLOCK, b"\x00\x00\x00\x00")
    assert err.value.sw == 0x9302 and vc.state.balance_fen == 100
    with pytest.raises(InsufficientFunds):
        purse.init_purchase(101, TERMINAL)


def test_a_card_that_leaves_mid_exchange_is_card_removed() -> None:
    vc = card(balance_fen=100)
    purse, _, dev = over_nfc(vc)
    purse.select()
    dev.place(None)
    with pytest.raises(CardRemoved):
        purse.balance()
