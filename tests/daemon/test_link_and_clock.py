"""What the link loop shows after each round: the link, the clock, and whether
the acceptor may take money; the skew on screen moves only in steps, so a
round trip's jitter publishes no new state (each one restarts the UI's idle
countdown)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from daemon.central import LinkStatus
from daemon.clockskew import ClockReading
from daemon.events import EventBus
from daemon.main import _show_link_and_clock
from daemon.state import KioskState


class Acceptor:
    def __init__(self) -> None:
        self.online: list[bool] = []

    def update(self, *, online: bool) -> None:
        self.online.append(online)


class Kiosk:
    def __init__(self) -> None:
        self.state = KioskState(EventBus(), language="zh")
        self.acceptor = Acceptor()

    def round(self, link: str, skew: float | None, refused: bool = False) -> bool:
        """One link round whose answers left ``link`` and this clock reading."""
        reading = ClockReading(skew, None if skew is None else 1.0, refused)
        central: Any = SimpleNamespace(link=LinkStatus(link, None, None),  # type: ignore[arg-type]
                                       clock=SimpleNamespace(reading=reading))
        devices: Any = SimpleNamespace(acceptor=self.acceptor)
        return _show_link_and_clock(central, self.state, devices)


@pytest.fixture
def kiosk() -> Kiosk:
    return Kiosk()


def test_money_needs_the_link_up_and_the_clock_not_skewed(kiosk: Kiosk) -> None:
    snap = kiosk.state.snapshot
    assert kiosk.round("up", None) is True  # not measured yet: the centre still checks
    assert (snap().clock, snap().clock_skew_s) == ("unknown", None)
    assert kiosk.round("up", 2.4) is True
    assert kiosk.round("up", 301.0) is False  # measured past the window
    assert kiosk.round("unauthorized", 420.0, refused=True) is False
    assert (snap().clock, snap().central) == ("skewed", "unauthorized")
    assert kiosk.round("down", 0.3) is False
    assert kiosk.round("up", 0.3) is True
    assert kiosk.acceptor.online == [True, True, False, False, False, True]


def test_the_skew_shown_moves_in_steps(kiosk: Kiosk) -> None:
    snap = kiosk.state.snapshot
    kiosk.round("up", 0.4)
    seq = snap().seq
    for jitter in (0.6, -0.4, 1.5, 4.0, -3.9):
        kiosk.round("up", jitter)
    assert snap().seq == seq and snap().clock_skew_s == 0
    kiosk.round("up", 7.6)
    assert snap().clock_skew_s == 8
    kiosk.round("up", -420.2)
    assert snap().clock_skew_s == -420 and snap().clock == "skewed"
