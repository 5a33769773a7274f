"""Central notices on the kiosk: which are on screen now, on a test clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from daemon.events import EventBus
from daemon.notices import ANNOUNCE_AHEAD_S, MAINTENANCE_TOUCHES, NoticeBoard
from daemon.state import KioskState

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 4, 20, 0, tzinfo=CHINA).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _iso(offset_s: float) -> str:
    return datetime.fromtimestamp(T0 + offset_s, CHINA).isoformat()


def _notice(notice_id: int, kind: str, starts: float, ends: float) -> dict[str, Any]:
    return {"notice_id": notice_id, "kind": kind, "title": f"N{notice_id}",
            "title_zh": f"公告{notice_id}", "body": "Body.", "body_zh": "内容。",
            "starts_at": _iso(starts), "ends_at": _iso(ends), "active": starts <= 0}


def _board() -> tuple[NoticeBoard, KioskState, Clock]:
    clock = Clock()
    state = KioskState(EventBus(), language="zh")
    return NoticeBoard(state, clock=clock), state, clock


def test_an_expired_notice_leaves_the_snapshot_when_it_ends() -> None:
    board, state, clock = _board()
    board.replace({"notices": [_notice(1, "announcement", -3600, 600),
                               _notice(2, "announcement", -60, 7200)]})
    assert [n.notice_id for n in state.snapshot().notices] == [1, 2]
    clock.now += 599
    board.tick()
    assert [n.notice_id for n in state.snapshot().notices] == [1, 2]
    clock.now += 1  # notice 1 ends now: gone at this tick, no fetch needed
    board.tick()
    assert [n.notice_id for n in state.snapshot().notices] == [2]
    assert [n.notice_id for n in board.current()] == [2]


def test_an_announcement_shows_from_its_start_and_not_before() -> None:
    board, state, clock = _board()
    board.replace({"notices": [_notice(1, "announcement", 300, 3600)]})
    assert state.snapshot().notices == []
    clock.now += 300
    board.tick()
    shown = state.snapshot().notices
    assert len(shown) == 1 and shown[0].active and shown[0].touches == []


def test_a_maintenance_window_is_announced_a_day_ahead_and_names_what_it_stops() -> None:
    board, state, clock = _board()
    board.replace({"notices": [_notice(3, "maintenance", ANNOUNCE_AHEAD_S + 60,
                                       ANNOUNCE_AHEAD_S + 7260)]})
    assert state.snapshot().notices == []
    clock.now += 60
    board.tick()
    (coming,) = state.snapshot().notices
    assert coming.active is False and coming.touches == MAINTENANCE_TOUCHES
    assert coming.title_zh == "公告3"
    clock.now += ANNOUNCE_AHEAD_S
    board.tick()
    assert state.snapshot().notices[0].active is True
    clock.now += 7200
    board.tick()
    assert state.snapshot().notices == []


def test_an_answer_not_of_the_documented_shape_changes_nothing() -> None:
    board, state, _ = _board()
    board.replace({"notices": [_notice(1, "announcement", -60, 600)]})
    seq = state.snapshot().seq
    for bad in (None, [], {"notices": "x"}, {"other": []}):
        board.replace(bad)
        assert [n.notice_id for n in state.snapshot().notices] == [1]
    assert state.snapshot().seq == seq  # not even an event


def test_malformed_entries_are_left_out_and_the_rest_kept() -> None:
    board, state, _ = _board()
    backwards = _notice(2, "announcement", 600, -60)
    no_zh = {**_notice(3, "announcement", -60, 600), "title_zh": ""}
    bad_time = {**_notice(4, "announcement", -60, 600), "ends_at": "tomorrow"}
    odd_kind = {**_notice(5, "announcement", -60, 600), "kind": "advert"}
    board.replace({"notices": [_notice(1, "announcement", -60, 600), backwards, no_zh,
                               bad_time, odd_kind, "x"]})
    assert [n.notice_id for n in state.snapshot().notices] == [1]


def test_a_tick_without_a_change_publishes_nothing() -> None:
    board, state, _ = _board()
    board.replace({"notices": [_notice(1, "announcement", -60, 600)]})
    seq = state.snapshot().seq
    board.tick()
    board.tick()
    assert state.snapshot().seq == seq
