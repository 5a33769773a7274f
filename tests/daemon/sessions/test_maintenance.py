"""Maintenance through the machine, on the fake clock: the operator's mode and
the centre's windows start and end on time, a session in progress finishes,
and the operator's "off" ends a central window for the rest of it."""

from __future__ import annotations

import pytest

from daemon.errors import Unavailable
from daemon.maintwindow import CentralWindows
from daemon.sessions import CENTRAL_MAINTENANCE
from tests.daemon.sessions.kit import Kit


def test_the_operators_maintenance_stops_new_sessions_not_the_one_in_progress(
        kit: Kit) -> None:
    kit.show_card()
    kit.sessions.start_topup()
    kit.acceptor.insert(1000)
    kit.sessions.maintenance("Cleaning")
    assert kit.snap().maintenance == "Cleaning" and kit.step() == "inserting"
    kit.sessions.finish_topup()
    kit.worker.run()
    assert kit.step() == "done"
    kit.sessions.end()
    assert kit.snap().screen == "maintenance"
    kit.show_card()
    with pytest.raises(Unavailable):
        kit.sessions.start_topup()
    kit.sessions.maintenance(None)
    assert kit.snap().screen == "attract" and kit.snap().maintenance is None
    assert [(kind, data["on"]) for kind, data in kit.reports] == [("maintenance", True),
                                                                  ("maintenance", False)]


def test_a_central_window_starts_and_ends_on_time(kit: Kit) -> None:
    start = kit.clock.now
    kit.sessions.central_maintenance(CentralWindows(next_start=start + 30, next_end=start + 90))
    kit.sessions.tick(kit.clock.advance(29.5))
    assert kit.snap().maintenance is None
    kit.sessions.tick(kit.clock.advance(0.5))
    assert kit.snap().maintenance == CENTRAL_MAINTENANCE and kit.snap().screen == "maintenance"
    kit.sessions.tick(kit.clock.advance(59.5))
    assert kit.snap().maintenance == CENTRAL_MAINTENANCE
    kit.sessions.tick(kit.clock.advance(0.5))
    assert kit.snap().maintenance is None and kit.snap().screen == "attract"


def test_the_operators_off_ends_a_central_window_for_the_rest_of_it(kit: Kit) -> None:
    start = kit.clock.now
    kit.sessions.central_maintenance(CentralWindows(active_until=start + 60,
                                                    next_start=start + 120,
                                                    next_end=start + 180))
    assert kit.snap().maintenance == CENTRAL_MAINTENANCE
    kit.sessions.maintenance(None)  # the operator on site knows better
    kit.sessions.tick(kit.clock.advance(30))
    assert kit.snap().maintenance is None
    kit.sessions.tick(kit.clock.advance(90))  # the next window still applies
    assert kit.snap().maintenance == CENTRAL_MAINTENANCE


def test_the_operators_own_maintenance_outlasts_a_central_window(kit: Kit) -> None:
    start = kit.clock.now
    kit.sessions.maintenance("New printer")
    kit.sessions.central_maintenance(CentralWindows(active_until=start + 60))
    kit.sessions.tick(kit.clock.advance(61))
    assert kit.snap().maintenance == "New printer"
