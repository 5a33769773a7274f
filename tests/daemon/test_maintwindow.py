"""Central maintenance windows from a heartbeat answer, on the kiosk's own clock."""

from __future__ import annotations

import math
from typing import Any

import pytest

from daemon.maintwindow import CentralWindows

SERVER = 1_800_000_000  # the server's clock
HERE = 500.0  # the kiosk's monotonic clock when the answer arrived


def _ack(**fields: Any) -> dict[str, Any]:
    return {"kiosk_id": "K", "server_time": SERVER, "maintenance": False,
            "maintenance_until": None, "next_maintenance": None, **fields}


def test_a_window_on_now_ends_when_the_server_says() -> None:
    windows = CentralWindows.from_ack(_ack(maintenance=True, maintenance_until=SERVER + 90),
                                      HERE)
    assert windows is not None
    assert windows.on(HERE) and windows.on(HERE + 89.9)
    assert not windows.on(HERE + 90)


def test_the_next_window_starts_and_ends_on_time_between_heartbeats() -> None:
    ack = _ack(next_maintenance={"starts_at": SERVER + 30, "ends_at": SERVER + 150})
    windows = CentralWindows.from_ack(ack, HERE)
    assert windows is not None
    assert [windows.on(HERE + dt) for dt in (0, 29.9, 30, 149.9, 150)] == \
        [False, False, True, True, False]


def test_the_end_of_the_window_on_now() -> None:
    ack = _ack(maintenance=True, maintenance_until=SERVER + 20,
               next_maintenance={"starts_at": SERVER + 30, "ends_at": SERVER + 150})
    windows = CentralWindows.from_ack(ack, HERE)
    assert windows is not None
    assert [windows.end_of_current(HERE + dt) for dt in (0, 19, 20, 29, 30, 149, 150)] == \
        [HERE + 20, HERE + 20, None, None, HERE + 150, HERE + 150, None]


def test_an_older_server_saying_only_on_keeps_the_window_until_told() -> None:
    windows = CentralWindows.from_ack({"server_time": SERVER, "maintenance": True}, HERE)
    assert windows == CentralWindows(active_until=math.inf)
    assert windows.on(HERE + 10 ** 6)
    off = CentralWindows.from_ack({"server_time": SERVER, "maintenance": False}, HERE)
    assert off == CentralWindows() and not off.on(HERE)


@pytest.mark.parametrize("ack", [
    None, [], "maintenance", {"maintenance": "yes"}, {"server_time": SERVER},
])
def test_an_answer_without_a_usable_maintenance_flag_says_nothing(ack: Any) -> None:
    assert CentralWindows.from_ack(ack, HERE) is None


@pytest.mark.parametrize("coming", [
    {"starts_at": SERVER + 60},                              # no end
    {"starts_at": SERVER + 60, "ends_at": SERVER + 60},      # empty
    {"starts_at": SERVER + 60, "ends_at": SERVER + 30},      # ends before it starts
    {"starts_at": "soon", "ends_at": SERVER + 90},           # not seconds
    {"starts_at": True, "ends_at": SERVER + 90},             # a bool is not a time
    "tonight",
])
def test_a_malformed_next_window_is_ignored_not_guessed(coming: Any) -> None:
    windows = CentralWindows.from_ack(_ack(next_maintenance=coming), HERE)
    assert windows == CentralWindows()
    assert not any(windows.on(HERE + dt) for dt in (0, 45, 60, 75, 120))
