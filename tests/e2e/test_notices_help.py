"""Notices and help over kiosk.sock, every process real: the reference central
server's seeded notices and its help document reach the kiosk with the heartbeat."""

from __future__ import annotations

import time
from typing import Any

from deploy.stack import Stack


def _until(get: Any, ok: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"no {what} within {timeout} s: {value}"
        time.sleep(0.5)


def test_the_central_notices_and_help_reach_kiosk_sock(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    notices = _until(lambda: kiosk.get("/v1/notices")["notices"], bool, "notices")
    titles = {n["title"] for n in notices}
    assert {"Hotline 12345", "Top up with cash at any kiosk"} <= titles
    assert "Old notice" not in titles  # ended: the central side no longer lists it
    snap = kiosk.state()
    assert {n.title for n in snap.notices} == titles
    assert all(n.title_zh and n.body_zh for n in snap.notices)
    help_doc = _until(lambda: kiosk.get("/v1/help"), lambda d: d["source"] == "central",
                      "central help")
    assert help_doc["hotline"] == "12345"
    assert {s["id"] for s in help_doc["sections"]} >= {"use", "lost", "pin", "fraud",
                                                        "damaged", "outlets", "hotline"}
    assert (stack.workdir / "state" / "help.json").exists()  # kept for an offline restart
