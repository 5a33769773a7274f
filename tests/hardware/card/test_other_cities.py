"""Cards of other cities read like ours, over nfcpy: balance, log, validity, the
issuer's city, the number as printed, and a T-Union card's overdraft."""

from __future__ import annotations

from hardware.card.virtual import CardState, VirtualCard
from hardware.card.wallet import OTHER_CITY_CARDS
from tests.hardware.card.cardkit import CITY_UNION, KEYS, T_UNION, card, direct, over_nfc


def _virtual(state: CardState) -> VirtualCard:
    return VirtualCard(CardState.from_json(state.to_json()), KEYS)


def test_a_beijing_t_union_card_in_overdraft_is_read_whole_over_nfc() -> None:
    beijing = next(c for c in OTHER_CITY_CARDS if c.aid == T_UNION)
    purse, _, _ = over_nfc(_virtual(beijing))
    info = purse.read()
    assert info.city_code == "1000" and info.balance_fen == 0
    assert info.overdraft_fen == 350  # the second GET BALANCE (P1 = 01)
    assert info.printed_no == "3104100000000000051" and len(info.printed_no) == 19
    assert [r.amount_fen for r in info.records] == [400, 300]
    assert info.valid_until.isoformat() == "2032-05-31"
    assert info.to_json()["printed_no"] == info.printed_no


def test_a_shanghai_city_union_card_keeps_its_number_and_has_no_overdraft_read() -> None:
    shanghai = next(c for c in OTHER_CITY_CARDS if c.aid == CITY_UNION)
    purse, _, _ = over_nfc(_virtual(shanghai))
    info = purse.read()
    assert (info.city_code, info.balance_fen, info.overdraft_fen) == ("3100", 4200, None)
    assert info.printed_no == info.card_no == "23103100000000000088"
    assert len(info.records) == 1


def test_the_overdraft_costs_an_apdu_only_when_the_purse_is_empty() -> None:
    with_money = direct(card(balance_fen=500, overdraft_fen=0))
    with_money.read()
    empty = direct(card(balance_fen=0, overdraft_fen=120))
    info = empty.read()
    assert info.overdraft_fen == 120
    assert empty.apdu_count == with_money.apdu_count + 1


def test_a_card_that_does_not_answer_its_overdraft_is_read_without_it() -> None:
    city_union_empty = direct(card(aid=CITY_UNION, balance_fen=0))
    assert city_union_empty.overdraft() is None
    t_union = direct(card(balance_fen=0))
    t_union.select()
    assert t_union.overdraft() == 0
