"""The UI's state feed against the daemon's real local API server."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.api.http import UnixHttpServer
from daemon.api.routes import Services, build_routers
from daemon.events import EventBus
from daemon.state import KioskState
from kiosk.feed import StateFeed
from protocol.local import StateSnapshot
from protocol.localclient import LocalClient


class Daemon:
    def __init__(self, sock: Path) -> None:
        self.sock = sock
        self.bus = EventBus()
        self.state = KioskState(self.bus, language="zh")
        self.server: UnixHttpServer | None = None

    def start(self) -> None:
        svc = Services(state=self.state, bus=self.bus, status=lambda: {},
                       read_card=lambda timeout: None)
        kiosk, _ = build_routers(svc)
        self.server = UnixHttpServer(self.sock, kiosk, mode=0o600, name="kiosk")
        self.server.start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(tmp_path / "kiosk.sock")
    d.start()
    yield d
    d.stop()


def _next(q: queue.Queue[StateSnapshot | None]) -> StateSnapshot | None:
    return q.get(timeout=10)


def test_snapshots_arrive_in_order(daemon: Daemon) -> None:
    got: queue.Queue[StateSnapshot | None] = queue.Queue()
    feed = StateFeed(LocalClient(daemon.sock), got.put).start()
    try:
        first = _next(got)
        assert first is not None and first.screen == "attract"
        daemon.state.update(language="en")
        daemon.state.update(screen="reading")
        seen = [_next(got), _next(got)]
        assert [(s.language, s.screen) for s in seen if s] == [("en", "attract"),
                                                              ("en", "reading")]
        assert [s.seq for s in seen if s] == [first.seq + 1, first.seq + 2]
    finally:
        feed.stop()


def test_down_is_reported_and_the_feed_comes_back(daemon: Daemon) -> None:
    got: queue.Queue[StateSnapshot | None] = queue.Queue()
    feed = StateFeed(LocalClient(daemon.sock, timeout=2), got.put).start()
    try:
        assert _next(got) is not None
        daemon.stop()
        assert _next(got) is None  # the UI shows "out of service"
        daemon.state.update(screen="reading")
        daemon.start()
        back = _next(got)
        assert back is not None and back.screen == "reading"
    finally:
        feed.stop()


def test_no_daemon_at_all_is_down(tmp_path: Path) -> None:
    got: queue.Queue[StateSnapshot | None] = queue.Queue()
    feed = StateFeed(LocalClient(tmp_path / "absent.sock"), got.put).start()
    try:
        assert _next(got) is None
    finally:
        feed.stop()


def test_a_screenshot_request_reaches_the_ui_and_state_still_flows(daemon: Daemon) -> None:
    got: queue.Queue[StateSnapshot | None] = queue.Queue()
    asked: queue.Queue[str] = queue.Queue()
    feed = StateFeed(LocalClient(daemon.sock), got.put, on_screenshot=asked.put).start()
    try:
        assert _next(got) is not None
        daemon.bus.publish("screenshot", {"request_id": "ab" * 16})
        daemon.state.update(language="en")
        assert asked.get(timeout=10) == "ab" * 16
        snap = _next(got)
        assert snap is not None and snap.language == "en"
    finally:
        feed.stop()
