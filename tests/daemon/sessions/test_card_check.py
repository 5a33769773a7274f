"""Top up pressed while the card screen still says "checking with the card centre":
the chip's half of the tap is on screen, the centre's is on its way. The press is
for the card on screen: it waits for the centre's half (a short while), then goes
on, or is told ``card_checking``; never ``no_card``, never another card's session."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from daemon.cardflow import CardFlow
from daemon.errors import KioskError
from hardware.card.model import CardInfo, PublicInfo
from tests.daemon.sessions.kit import CARD, OTHER_CARD, Kit, make_kit

T_UNION = "A000000632010105"


class SlowCentre:
    """The card look-up of daemon.central.CentralClient, answering when told to."""

    def __init__(self) -> None:
        self.answer = threading.Event()

    def request(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        self.answer.wait(10)
        return {"status": "active", "card_type": "ordinary", "points": 0,
                "pending_loads": []}


def _kit(tmp_path: Path, check_wait_s: float) -> tuple[Kit, CardFlow, SlowCentre]:
    kit = make_kit(tmp_path, check_wait_s=check_wait_s)
    centre = SlowCentre()
    flow = CardFlow(kit.state, centre)  # type: ignore[arg-type]
    flow.hooks = kit.sessions
    kit.state.update(central="up")
    return kit, flow, centre


@pytest.fixture
def made() -> Iterator[list[tuple[Kit, CardFlow, SlowCentre]]]:
    kits: list[tuple[Kit, CardFlow, SlowCentre]] = []
    yield kits
    for kit, flow, centre in kits:
        centre.answer.set()
        flow.close(wait=True)  # its answer reaches the sessions before they close
        kit.sessions.close()
        kit.journal.close()


def _tap(flow: CardFlow, serial: str) -> None:
    public = PublicInfo(bytes.fromhex("3104440300000000"), 0x02, 0x01, serial,
                        date(2023, 1, 1), date(2033, 12, 31))
    flow.card_identified(serial)
    flow.card_read(CardInfo(T_UNION, public, balance_fen=8650))


def _until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, "the look-up's answer never arrived"
        time.sleep(0.01)


def _checked(kit: Kit) -> bool:
    card = kit.snap().card
    return card is not None and card.central == "ok"


def test_top_up_pressed_during_the_check_starts_once_the_centre_answers(
        tmp_path: Path, made: list[Any]) -> None:
    kit, flow, centre = _kit(tmp_path, check_wait_s=30)
    made.append((kit, flow, centre))
    _tap(flow, CARD)
    shown = kit.snap().card
    assert kit.snap().screen == "card" and shown is not None and shown.central == "pending"
    answers: list[Any] = []
    pressed = threading.Thread(target=lambda: answers.append(kit.sessions.start_topup()))
    pressed.start()
    pressed.join(0.2)
    assert pressed.is_alive() and answers == []  # waiting for the centre, not refused
    centre.answer.set()
    pressed.join(10)
    [view] = answers
    assert (view.kind, view.step) == ("topup", "inserting")
    assert [tuple(r) for r in kit.journal.query("SELECT card_no FROM sessions")] == [(CARD,)]


def test_a_centre_still_silent_is_told_as_checking_and_a_later_press_works(
        tmp_path: Path, made: list[Any]) -> None:
    kit, flow, centre = _kit(tmp_path, check_wait_s=0.05)
    made.append((kit, flow, centre))
    _tap(flow, CARD)
    with pytest.raises(KioskError) as err:
        kit.sessions.start_topup()
    assert err.value.code == "card_checking"
    assert "checking" in err.value.message and "核验" in (err.value.message_zh or "")
    assert kit.journaled() == []
    centre.answer.set()
    _until(lambda: _checked(kit))  # the look-up's answer has reached the screen
    assert kit.sessions.start_topup().step == "inserting"


def test_a_press_during_the_next_cards_check_is_never_for_the_card_before(
        tmp_path: Path, made: list[Any]) -> None:
    kit, flow, centre = _kit(tmp_path, check_wait_s=0.05)
    made.append((kit, flow, centre))
    centre.answer.set()
    _tap(flow, OTHER_CARD)
    _until(lambda: _checked(kit))  # this card is on screen, checked
    centre.answer.clear()
    _tap(flow, CARD)  # the next card: its check still under way
    with pytest.raises(KioskError) as err:
        kit.sessions.start_topup()
    assert err.value.code == "card_checking"
    assert kit.journaled() == []  # no session for the card tapped before
