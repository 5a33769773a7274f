"""A tear at every APDU of a load and of a purchase, through nfcpy: afterwards
the card's own log says whether the value moved, and the balances add up."""

from __future__ import annotations

import pytest

from hardware.card.errors import CardRemoved
from hardware.card.virtual import CardState, Faults, VirtualCard
from protocol.pboc.secure import (
    load_mac2,
    load_session_key,
    purchase_mac1,
    purchase_session_key,
)
from tests.hardware.card.cardkit import KEYS, TERMINAL, ZHANG, over_nfc

DAY, CLOCK = bytes.fromhex("20261124"), bytes.fromhex("101500")
BEFORE = 5000


def _run(kind: str, purse) -> None:  # type: ignore[no-untyped-def]
    keys = KEYS.card_keys(ZHANG)
    purse.select()
    if kind == "load":
        init = purse.init_load(1000, TERMINAL)
        ses = load_session_key(keys.dlk, init.random, init.online_counter)
        purse.credit_load(DAY, CLOCK, load_mac2(ses, 1000, TERMINAL, DAY, CLOCK))
    else:
        init = purse.init_purchase(1000, TERMINAL)
        ses = purchase_session_key(keys.dpk, init.random, init.offline_counter, 9)
        purse.debit_purchase(9, DAY, CLOCK, purchase_mac1(ses, 1000, TERMINAL, DAY, CLOCK))


# APDUs of the session: 1 SELECT, 2 INITIALIZE, 3 CREDIT / DEBIT
@pytest.mark.parametrize("kind", ["load", "purchase"])
@pytest.mark.parametrize("apdu", [1, 2, 3])
@pytest.mark.parametrize("when", ["before", "after"])
def test_tear_then_the_log_decides(kind: str, apdu: int, when: str) -> None:
    state = CardState.from_json({"card_no": ZHANG, "balance_fen": BEFORE})
    saved: list[CardState] = []
    vc = VirtualCard(state, KEYS, faults=Faults(**{f"tear_{when}": apdu}),
                     on_change=saved.append)
    purse, _, dev = over_nfc(vc)
    with pytest.raises(CardRemoved):
        _run(kind, purse)
    assert dev.card is None  # the card left the field
    applied = apdu == 3 and when == "after"
    moved = 1000 if kind == "load" else -1000
    assert vc.state.balance_fen == BEFORE + (moved if applied else 0)
    assert bool(saved) == applied  # the wallet saw exactly the change the card made

    # The cardholder taps again (a fresh card session, no faults): the log decides.
    again = VirtualCard(vc.state, KEYS)
    purse2, _, _ = over_nfc(again)
    purse2.select()
    found = purse2.was_applied(amount_fen=1000, terminal=TERMINAL, date=DAY, time=CLOCK,
                               purchase=kind == "purchase")
    assert found == applied
    assert not purse2.was_applied(amount_fen=1000, terminal=TERMINAL, date=DAY,
                                  time=bytes.fromhex("101501"), purchase=kind == "purchase")
