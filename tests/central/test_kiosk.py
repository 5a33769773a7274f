"""Notices, feedback tickets, heartbeat and event upload."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.central.helpers import KIOSK, ZHANG, Central, error_of, new_key


def test_notices_current_and_coming_not_expired(central: Central) -> None:
    notices = central.client.get("/v1/notices").json()["notices"]
    titles = {n["title"]: n for n in notices}
    assert "Old notice" not in titles
    assert titles["Hotline 12345"]["active"] is True
    maintenance = [n for n in notices if n["kind"] == "maintenance"]
    assert len(maintenance) == 1 and maintenance[0]["active"] is False
    assert maintenance[0]["title_zh"].endswith(" 系统维护")


def test_feedback_ticket_once_per_key(central: Central) -> None:
    body = {"category": "kiosk_fault", "text": "找零口卡住了", "phone": "13800138000",
            "card_no": ZHANG}
    key = new_key("fb")
    first = central.client.post("/v1/feedback", body, key=key)
    assert first.status_code == 201 and first.json()["ticket_no"].startswith("FB")
    again = central.client.post("/v1/feedback", body, key=key)
    assert again.json() == first.json()
    other = central.client.post("/v1/feedback", {"category": "other", "text": "谢谢"})
    assert other.json()["ticket_no"] != first.json()["ticket_no"]
    rows = central.sql("SELECT category, text, kiosk_id FROM feedback ORDER BY ticket_no")
    assert [tuple(r) for r in rows] == [("kiosk_fault", "找零口卡住了", KIOSK),
                                        ("other", "谢谢", KIOSK)]
    error_of(central.client.post("/v1/feedback", {"category": "other", "text": ""}), 400,
             "validation_error")
    error_of(central.client.post("/v1/feedback", {"category": "x", "text": "a"}), 400,
             "validation_error")


def test_heartbeat_records_the_kiosk_status(central: Central) -> None:
    status = {"software_version": "0.1.0", "state": "idle",
              "devices": {"reader": "ok", "printer": "paper_low"}, "cashbox_fen": 12000}
    resp = central.client.post("/v1/kiosk/heartbeat", status)
    assert resp.status_code == 200
    assert resp.json()["kiosk_id"] == KIOSK and resp.json()["maintenance"] is False
    row = central.sql("SELECT last_seen_at, last_status FROM kiosks WHERE kiosk_id = ?", KIOSK)[0]
    assert row[0] is not None and json.loads(row[1]) == status


def test_heartbeat_tells_when_maintenance_ends_and_when_the_next_starts(
        central: Central) -> None:
    status = {"software_version": "0.1.0", "state": "idle"}
    quiet = central.client.post("/v1/kiosk/heartbeat", status).json()
    tonight = central.sql("SELECT starts_at, ends_at FROM notices WHERE kind = 'maintenance'")[0]
    assert (quiet["maintenance"], quiet["maintenance_until"]) == (False, None)
    assert quiet["next_maintenance"] == {"starts_at": tonight[0], "ends_at": tonight[1]}

    now = quiet["server_time"]
    central.sql("INSERT INTO notices (kind, title, title_zh, body, body_zh, starts_at, ends_at)"
                " VALUES ('maintenance', 'Now', '现在', 'b', 'b', ?, ?)", now - 60, now + 600)
    central.sql("INSERT INTO notices (kind, title, title_zh, body, body_zh, starts_at, ends_at)"
                " VALUES ('announcement', 'Not a window', '公告', 'b', 'b', ?, ?)",
                now + 5, now + 900)
    during = central.client.post("/v1/kiosk/heartbeat", status).json()
    assert during["maintenance"] is True
    assert during["maintenance_until"] == now + 600
    assert during["next_maintenance"] == {"starts_at": tonight[0], "ends_at": tonight[1]}


def test_events_are_stored_once_per_id(central: Central) -> None:
    events = [{"event_id": "ev-1", "kind": "fault", "occurred_at": "2026-11-24T10:00:00+08:00",
               "data": {"device": "printer", "error": "paper_out"}},
              {"event_id": "ev-2", "kind": "cashbox_collection",
               "occurred_at": "2026-11-24T11:00:00+08:00", "data": {"total_fen": 85000}}]
    assert central.client.post("/v1/kiosk/events", {"events": events}).json() == {
        "accepted": 2, "duplicates": 0}
    events.append({"event_id": "ev-3", "kind": "settlement",
                   "occurred_at": "2026-11-24T23:59:00+08:00"})
    assert central.client.post("/v1/kiosk/events", {"events": events}).json() == {
        "accepted": 1, "duplicates": 2}
    assert central.sql("SELECT COUNT(*) FROM kiosk_events")[0][0] == 3
    error_of(central.client.post("/v1/kiosk/events", {"events": []}), 400, "validation_error")


def test_a_notice_filed_by_the_operator_reaches_the_kiosks(central: Central) -> None:
    from central.db import connect, transaction
    from central.notices import add_notice
    now = int(central.server.app.clock())
    conn = connect(central.db)
    try:
        with transaction(conn):
            add_notice(conn, kind="maintenance", title="Top-up paused 01:00-03:00",
                       title_zh="01:00-03:00 暂停充值", body="System upgrade.",
                       body_zh="系统升级。", starts_at=now + 3600, ends_at=now + 7200, now=now)
    finally:
        conn.close()
    notices = central.client.get("/v1/notices").json()["notices"]
    filed = [n for n in notices if n["title"] == "Top-up paused 01:00-03:00"]
    assert filed and filed[0]["active"] is False and filed[0]["title_zh"] == "01:00-03:00 暂停充值"


@pytest.mark.parametrize(("starts", "ends", "field"), [
    (3600, 3600, "ends_at"),       # ends when it starts
    (7200, 3600, "ends_at"),       # ends before it starts
    (-7200, -3600, "ends_at"),     # over already
])
def test_a_notice_with_a_bad_time_range_is_refused_and_nothing_is_stored(
        central: Central, starts: int, ends: int, field: str) -> None:
    from central.db import connect
    from central.errors import ApiError
    from central.notices import add_notice
    now = int(central.server.app.clock())
    before = central.sql("SELECT COUNT(*) FROM notices")[0][0]
    conn = connect(central.db)
    try:
        with pytest.raises(ApiError) as caught:
            add_notice(conn, kind="announcement", title="T", title_zh="标题", body="B",
                       body_zh="内容", starts_at=now + starts, ends_at=now + ends, now=now)
    finally:
        conn.close()
    body = caught.value.body()
    assert body["code"] == "validation_error" and caught.value.status == 400
    assert body["details"]["field"] == field and body["message_zh"]
    assert central.sql("SELECT COUNT(*) FROM notices")[0][0] == before


def test_help_is_served_from_the_help_file(central: Central) -> None:
    from protocol.helpdoc import REQUIRED_SECTIONS, parse_help
    doc = parse_help(central.client.get("/v1/help").json())
    assert [s.id for s in doc.sections][:len(REQUIRED_SECTIONS)] == list(REQUIRED_SECTIONS)
    lost = next(s for s in doc.sections if s.id == "lost")
    assert "{hotline}" in lost.body and "挂失" in lost.body_zh


def test_a_broken_help_file_stops_start_up(tmp_path: Any) -> None:
    from central.server import App
    from central.settings import Settings
    bad = tmp_path / "help.json"
    bad.write_text('{"version": "1", "sections": [{"id": "use"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"sections\[0\]\.title"):
        App(tmp_path / "c.sqlite", Settings(help_file=bad))
