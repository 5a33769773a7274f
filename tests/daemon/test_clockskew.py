"""The clock skew against the central side: measured from the answers that carry
the server's clock (a fake kiosk clock here), and the verdict that stops money."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from config.schema import CentralSection
from daemon.central import CentralClient, CentralRejected
from daemon.clockskew import MAX_SKEW_S, ClockReading, ClockSkew, server_time_of
from protocol.signing import MAX_SKEW_S as SIGNATURE_WINDOW_S

SECRET = b"0123456789abcdef0123456789abcdef"  # the scripted server's (conftest.py)
SERVER = 1_790_000_000  # the central side's clock, Unix seconds


class FakeWall:
    """The kiosk's wall clock: each reading moves it on by ``step`` (the round trip)."""

    def __init__(self, start: float, step: float = 0.2) -> None:
        self.now, self.step = start, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now - self.step


def _client(url: str, wall: FakeWall) -> CentralClient:
    return CentralClient(CentralSection(url=url, retries=0, read_timeout_s=2), kiosk_id="K1",
                         secret=SECRET, wall=wall)


def _ack(server_time: Any) -> bytes:
    return json.dumps({"kiosk_id": "K1", "server_time": server_time, "maintenance": False,
                       "maintenance_until": None, "next_maintenance": None}).encode()


def _refusal(reason: str, server_time: Any = SERVER) -> bytes:
    return json.dumps({"code": "unauthorized", "message": "no", "message_zh": "不",
                       "details": {"reason": reason, "server_time": server_time}}).encode()


def test_the_window_is_the_signatures_one() -> None:
    assert MAX_SKEW_S == SIGNATURE_WINDOW_S == 300


def test_skew_is_the_servers_second_against_the_middle_of_the_round_trip() -> None:
    skew = ClockSkew()
    # sent at S-10.0, answered at S-9.6: the middle is S-9.8; the server's second
    # S..S+1 has its middle at S+0.5
    reading = skew.measured(SERVER, SERVER - 10.0, SERVER - 9.6)
    assert reading == ClockReading(10.3, SERVER - 9.6, False)
    assert reading.state == "ok"


@pytest.mark.parametrize("skew, refused, state", [
    (None, False, "unknown"), (0.0, False, "ok"), (300.0, False, "ok"), (-300.0, False, "ok"),
    (300.1, False, "skewed"), (-300.1, False, "skewed"), (-4000.0, False, "skewed"),
    (None, True, "skewed"), (2.0, True, "skewed")])
def test_the_verdict(skew: float | None, refused: bool, state: str) -> None:
    assert ClockReading(skew, 1.0 if skew is not None else None, refused).state == state


@pytest.mark.parametrize("value", [None, "1790000000", 1790000000.5, True, 0, -5, [], {}])
def test_a_malformed_server_time_measures_nothing(value: Any) -> None:
    assert server_time_of({"kiosk_id": "K1", "server_time": value}) is None


@pytest.mark.parametrize("answer", [None, [SERVER], SERVER, "x", {}, {"time": SERVER}])
def test_an_answer_without_server_time_measures_nothing(answer: Any) -> None:
    assert server_time_of(answer) is None


def test_server_time_is_read_from_the_answer_unknown_fields_and_all() -> None:
    assert server_time_of({"kiosk_id": "K1", "server_time": SERVER, "later": 1}) == SERVER


def test_the_heartbeat_answer_measures_the_skew(server: Any) -> None:
    script, url = server
    script.answers = [(200, _ack(SERVER))]
    c = _client(url, FakeWall(SERVER - 420.0))  # the kiosk 7 minutes behind
    assert c.clock.reading.state == "unknown"
    c.request("POST", "/v1/kiosk/heartbeat", {"state": "idle"})
    reading = c.clock.reading
    assert reading.skew_s == pytest.approx(420.4) and reading.state == "skewed"
    assert not reading.refused and c.link.state == "up"


def test_a_clock_skew_refusal_measures_and_marks_refused_until_an_answer_is_accepted(
        server: Any) -> None:
    script, url = server
    wall = FakeWall(SERVER + 900.0)  # 15 minutes ahead
    c = _client(url, wall)
    script.answers = [(401, _refusal("clock_skew"))]
    with pytest.raises(CentralRejected):
        c.request("GET", "/v1/notices")
    reading = c.clock.reading
    assert reading.refused and reading.skew_s == pytest.approx(-899.6)
    assert (reading.state, c.link.state) == ("skewed", "unauthorized")

    # The clock is put right: the central side accepts again, and its next
    # server_time measures the skew afresh.
    wall.now = SERVER + 0.2
    script.answers = [(200, b'{"notices": []}'), (200, _ack(SERVER))]
    c.request("GET", "/v1/notices")
    assert not c.clock.reading.refused and c.clock.reading.state == "skewed"  # last figure
    c.request("POST", "/v1/kiosk/heartbeat", {"state": "idle"})
    assert c.clock.reading.state == "ok" and c.clock.reading.skew_s == pytest.approx(-0.2)


def test_a_refusal_for_another_reason_measures_but_does_not_blame_the_clock(
        server: Any) -> None:
    script, url = server
    script.answers = [(401, _refusal("bad_signature"))]
    c = _client(url, FakeWall(SERVER + 3.0))
    with pytest.raises(CentralRejected):
        c.request("GET", "/v1/notices")
    reading = c.clock.reading
    assert (reading.state, reading.refused) == ("ok", False)
    assert reading.skew_s == pytest.approx(-2.6)


@pytest.mark.parametrize("answer", [(200, _ack("soon")), (401, _refusal("clock_skew", None)),
                                    (409, json.dumps({"code": "card_lost", "message": "x",
                                                      "message_zh": "x", "details": {
                                                          "server_time": SERVER}}).encode())])
def test_answers_without_a_usable_server_time_leave_the_figure(
        server: Any, answer: tuple[int, bytes]) -> None:
    script, url = server
    script.answers = [answer]
    c = _client(url, FakeWall(SERVER))
    with contextlib.suppress(CentralRejected):
        c.request("GET", "/v1/notices")
    assert c.clock.reading.skew_s is None
