"""kioskctl card read's half in the card flow: the card in the field, read now."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from daemon.cardflow import CardBusy, CardFlow
from daemon.events import EventBus
from daemon.state import KioskState
from hardware.card.errors import CardRemoved


class Tap:
    """What the reader hands the listener at a tap (what the flow looks at)."""

    def __init__(self, card_no: str) -> None:
        self.card_no = card_no
        self.balance_fen = 8650
        self.valid_from, self.valid_until = date(2023, 1, 1), date(2033, 12, 31)
        self.records: list[Any] = []


class Chip:
    """The reader's submit over whatever card is in the field now."""

    def __init__(self) -> None:
        self.in_field: str | None = None
        self.reads = 0

    def submit(self, operation: Callable[[Any], Any], timeout: float) -> Any:
        if self.in_field is None:
            raise CardRemoved("no card in the field")
        self.reads += 1
        return operation(self)

    def read(self) -> str:
        return f"{self.in_field} read #{self.reads}"


class Busy:
    """A money session in progress (daemon.sessions' side of the hooks)."""

    def busy(self) -> bool:
        return True

    def tapped(self, card: Any) -> None:
        pass

    def card_checking(self, card: Any) -> None:
        pass

    def card_shown(self, card: Any, central: Any) -> None:
        pass


def _flow() -> CardFlow:
    return CardFlow(KioskState(EventBus(), language="zh"), None)


def _tapped(flow: CardFlow, chip: Chip, card_no: str) -> None:
    chip.in_field = card_no
    flow.card_identified(card_no)
    flow.card_read(Tap(card_no))


def test_a_card_on_the_reader_is_read_again_from_the_chip() -> None:
    flow, chip = _flow(), Chip()
    _tapped(flow, chip, "A")
    assert flow.read_now(chip.submit, 1) == "A read #1"
    assert flow.read_now(chip.submit, 1) == "A read #2"


def test_a_card_taken_away_is_not_returned_and_the_next_tap_is() -> None:
    flow, chip = _flow(), Chip()
    _tapped(flow, chip, "A")
    flow.card_removed()
    assert flow.read_now(chip.submit, 0.2) is None
    threading.Timer(0.1, lambda: _tapped(flow, chip, "B")).start()
    assert flow.read_now(chip.submit, 5) == "B read #1"


def test_a_card_gone_before_the_reader_noticed_waits_for_the_next_tap() -> None:
    flow, chip = _flow(), Chip()
    _tapped(flow, chip, "A")
    chip.in_field = None  # lifted; card_removed has not come yet
    assert flow.read_now(chip.submit, 0.2) is None
    threading.Timer(0.1, lambda: _tapped(flow, chip, "B")).start()
    assert flow.read_now(chip.submit, 5) == "B read #1"


def test_no_read_while_a_money_session_uses_the_card() -> None:
    flow, chip = _flow(), Chip()
    _tapped(flow, chip, "A")
    flow.hooks = Busy()
    with pytest.raises(CardBusy):
        flow.read_now(chip.submit, 1)
    assert chip.reads == 0


def test_the_card_types_discount_reaches_the_view_and_a_bad_one_is_malformed() -> None:
    from daemon.cardflow import CentralCard
    from daemon.central import CentralMalformed
    card = {"status": "active", "card_type": "student", "points": 0}
    discount = {"bus_percent": 50, "metro_percent": 50, "transfer_off_fen": 100,
                "transfer_window_min": 90}
    assert CentralCard({**card, "discount": discount}).discount == discount
    assert CentralCard(card).discount is None  # an older central side gives none
    for bad in ({**discount, "metro_percent": 150}, {**discount, "transfer_off_fen": -1},
                {"bus_percent": 50}):
        with pytest.raises(CentralMalformed):
            CentralCard({**card, "discount": bad})


def test_a_replacement_cards_transfer_and_a_blacklist_entry_are_read_or_malformed() -> None:
    from daemon.cardflow import CentralCard
    from daemon.central import CentralMalformed
    card = {"status": "blacklisted", "card_type": "ordinary", "points": 0}
    transfer = {"old_card_no": "03104440300000100041", "status": "held",
                "available_at": "2026-12-08T10:00:00+08:00", "transferable_fen": 4700}
    read = CentralCard({**card, "transfer": transfer,
                        "blacklist": {"reason": "overdraft", "owed_fen": 800}})
    assert read.transfer is not None and read.transfer.transferable_fen == 4700
    assert read.transfer.view(0, 1000)["amount_fen"] == 1000  # up to the e-purse cap
    assert read.blacklist == ("overdraft", 800)
    # a reason this kiosk does not know reads as "other" (the screen has words for it)
    assert CentralCard({**card, "blacklist": {"reason": "court_order", "owed_fen": 0}}
                       ).blacklist == ("other", 0)
    for bad in ({"transfer": {**transfer, "transferable_fen": -1}},
                {"transfer": {**transfer, "status": "maybe"}},
                {"blacklist": {"reason": "overdraft", "owed_fen": "800"}},
                {"blacklist": "overdraft"}):
        with pytest.raises(CentralMalformed):
            CentralCard({**card, **bad})


def _chip_card(serial: str, aid: str) -> Any:
    from hardware.card.model import CardInfo, PublicInfo
    public = PublicInfo(bytes.fromhex("3104440300000000"), 0x02, 0x01, serial,
                        date(2023, 1, 1), date(2033, 12, 31))
    return CardInfo(aid, public, balance_fen=8650)


@pytest.mark.parametrize(("serial", "aid", "shown"), [
    # T-Union: the 19 printed digits (the chip's serial has a pad digit before them)
    ("03104440300000100017", "A000000632010105", "3104 **** **** 0017"),
    # City Union: the serial, as its issuer prints it
    ("31044403000000100033", "A00000000386980701", "3104 **** **** 0033"),
])
def test_the_card_screen_masks_the_number_as_printed_on_the_card(serial: str, aid: str,
                                                                 shown: str) -> None:
    state = KioskState(EventBus(), language="zh")
    flow = CardFlow(state, None)
    flow.card_identified(serial)
    flow.card_read(_chip_card(serial, aid))
    view = state.snapshot().card
    assert view is not None and view.card_no_masked == shown


def test_a_replacement_card_names_the_lost_card_as_printed() -> None:
    from daemon.cardflow import CentralCard
    card = {"status": "active", "card_type": "ordinary", "points": 0}
    transfer = {"old_card_no": "03104440300000100041", "status": "held",
                "available_at": "2026-12-08T10:00:00+08:00", "transferable_fen": 4700}
    t_union = CentralCard({**card, "transfer": {**transfer, "old_aid": "A000000632010105"}})
    assert t_union.transfer is not None
    assert t_union.transfer.view(0, None)["old_card_no_masked"] == "3104 **** **** 0041"
    older_centre = CentralCard({**card, "transfer": transfer})  # no AID: the serial
    assert older_centre.transfer is not None
    assert older_centre.transfer.view(0, None)["old_card_no_masked"] == "0310 **** **** 0041"
