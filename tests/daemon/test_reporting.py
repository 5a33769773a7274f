"""The reporter against the real reference central server: events exactly once,
heartbeats with the kiosk's status, and the maintenance windows they answer."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from config.schema import CentralSection
from daemon.central import CentralClient
from daemon.journal import Journal
from daemon.maintwindow import CentralWindows
from daemon.reporting import HEARTBEAT_S, Reporter
from tests.central.helpers import KIOSK, Central

STATUS = {"state": "idle", "devices": {"reader": "ready", "printer": "ok"}, "cashbox_fen": 12000}


def _reporter(tmp_path: Path, central: Central, told: list[CentralWindows],
              url: str | None = None) -> Reporter:
    client = CentralClient(CentralSection(url=url or central.url, read_timeout_s=2,
                                          connect_timeout_s=0.5, retries=0),
                           kiosk_id=KIOSK, secret=central.secret)
    return Reporter(Journal(tmp_path / "journal.sqlite"), client, version="9.9.9",
                    snapshot=lambda: dict(STATUS), on_maintenance=told.append)


def test_a_heartbeat_carries_the_status_and_passes_on_the_windows(
        tmp_path: Path, central: Central) -> None:
    told: list[CentralWindows] = []
    reporter = _reporter(tmp_path, central, told)
    reporter.tick(True, now=1000.0)
    row = central.sql("SELECT last_seen_at, last_status FROM kiosks WHERE kiosk_id = ?", KIOSK)[0]
    assert json.loads(row["last_status"]) == {"software_version": "9.9.9", **STATUS,
                                              "devices": {"reader": "ready", "printer": "ok"},
                                              "queue_depth": 0}
    tonight = central.sql("SELECT starts_at, ends_at FROM notices WHERE kind = 'maintenance'")[0]
    assert len(told) == 1
    windows = told[0]
    assert windows.active_until is None and windows.next_start is not None
    # the seeded window, moved onto this process's monotonic clock
    assert windows.next_end is not None
    assert windows.next_end - windows.next_start == \
        pytest.approx(tonight["ends_at"] - tonight["starts_at"])
    in_seconds = tonight["starts_at"] - time.time()
    assert abs((windows.next_start - time.monotonic()) - in_seconds) < 5

    reporter.tick(True, now=1000.0 + HEARTBEAT_S / 2)  # not due yet
    assert len(told) == 1
    reporter.tick(True, now=1000.0 + HEARTBEAT_S)
    assert len(told) == 2


def test_the_first_answer_after_an_outage_is_a_heartbeat(tmp_path: Path,
                                                          central: Central) -> None:
    """Its server_time says at once whether the kiosk's clock is back in the window."""
    told: list[CentralWindows] = []
    reporter = _reporter(tmp_path, central, told)
    reporter.tick(True, now=1000.0)
    reporter.tick(False, now=1010.0)  # the link went down (or refused this kiosk)
    reporter.tick(True, now=1020.0)  # not a heartbeat period later, yet one goes
    assert len(told) == 2


def test_events_reach_the_centre_once_each(tmp_path: Path, central: Central) -> None:
    reporter = _reporter(tmp_path, central, [])
    first = reporter.event("fault", {"device": "printer", "what": "paper_out"})
    reporter.event("settlement", {"z": 1})
    reporter.tick(True)
    reporter.tick(True, now=time.monotonic() + HEARTBEAT_S)
    rows = central.sql("SELECT event_id, kind FROM kiosk_events WHERE kiosk_id = ? "
                       "ORDER BY received_at, event_id", KIOSK)
    assert sorted(r["kind"] for r in rows) == ["fault", "settlement"]
    assert first in {r["event_id"] for r in rows}
    assert reporter.outbox.depth() == 0


def test_an_unknown_event_kind_is_refused_before_anything_is_queued(
        tmp_path: Path, central: Central) -> None:
    reporter = _reporter(tmp_path, central, [])
    with pytest.raises(ValueError, match="unknown event kind"):
        reporter.event("gossip")
    assert reporter.outbox.depth() == 0


def test_a_down_link_sends_nothing_and_tells_nothing(tmp_path: Path, central: Central) -> None:
    told: list[CentralWindows] = []
    reporter = _reporter(tmp_path, central, told, url="http://127.0.0.1:9")
    reporter.event("fault", {"device": "cash"})
    reporter.tick(False)  # the main loop knows the link is down: not even tried
    reporter.tick(True)  # it thought the link was up; the heartbeat fails quietly
    assert told == []
    assert reporter.outbox.depth() == 1  # kept for when the link returns
    before: Any = central.sql("SELECT last_seen_at FROM kiosks WHERE kiosk_id = ?", KIOSK)
    assert before[0]["last_seen_at"] is None


def test_the_notices_and_the_help_come_with_the_heartbeat(tmp_path: Path,
                                                          central: Central) -> None:
    from daemon.events import EventBus
    from daemon.helpdesk import HelpDesk
    from daemon.notices import NoticeBoard
    from daemon.state import KioskState
    client = CentralClient(CentralSection(url=central.url, read_timeout_s=2,
                                          connect_timeout_s=0.5, retries=0),
                           kiosk_id=KIOSK, secret=central.secret)
    state = KioskState(EventBus(), language="zh")
    board = NoticeBoard(state)
    desk = HelpDesk(hotline="96000", cache=tmp_path / "help.json")
    assert desk.document().source == "default"
    reporter = Reporter(Journal(tmp_path / "journal.sqlite"), client, version="9.9.9",
                        snapshot=lambda: dict(STATUS), with_heartbeat=(board.fetch, desk.fetch))
    reporter.tick(True, now=1000.0)
    titles = [n.title for n in state.snapshot().notices]
    assert "Hotline 12345" in titles and "Old notice" not in titles
    doc = desk.document()
    assert doc.source == "central" and doc.hotline == "96000"
    assert "96000" in next(s.body for s in doc.sections if s.id == "lost")
    # kept for a restart without the central side
    again = HelpDesk(hotline="96000", cache=tmp_path / "help.json")
    assert again.document() == doc
