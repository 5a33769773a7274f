"""The outbox: exactly once by key, backoff on a down link, parking on refusal."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from config.schema import CentralSection
from daemon.central import CentralClient
from daemon.journal import Journal
from daemon.outbox import Outbox

SECRET = b"0123456789abcdef0123456789abcdef"  # the scripted server's (conftest.py)


def make(tmp_path: Path, url: str) -> tuple[Journal, Outbox]:
    journal = Journal(tmp_path / "j.sqlite")
    central = CentralClient(CentralSection(url=url, read_timeout_s=2), kiosk_id="K1",
                            secret=SECRET)
    return journal, Outbox(journal, central)


def test_enqueue_is_once_per_key_and_delivery_sends_the_key(tmp_path: Path, server: Any) -> None:
    script, url = server
    journal, box = make(tmp_path, url)
    for _ in range(2):
        with journal.transaction() as db:
            Outbox.enqueue(db, "event", "ev-1", {"type": "fault", "device": "printer"})
    assert box.depth() == 1
    script.answers = [(200, b"{}")]
    assert box.deliver_due() == 1
    assert [r["key"] for r in script.received] == ["ev-1"]
    assert json.loads(script.received[0]["body"]) == {"device": "printer", "type": "fault"}
    assert box.depth() == 0 and box.deliver_due() == 0


def test_a_down_link_backs_off_and_keeps_the_item(tmp_path: Path, server: Any) -> None:
    script, url = server
    journal, box = make(tmp_path, url)
    with journal.transaction() as db:
        Outbox.enqueue(db, "heartbeat", "hb-1", {"seq": 1})
        Outbox.enqueue(db, "heartbeat", "hb-2", {"seq": 2})
    script.answers = [(503, b"{}")]
    assert box.deliver_due() == 0
    assert len(script.received) == 1  # stopped at the first failure
    assert [i.key for i in box.pending()] == ["hb-2"]  # hb-1 waits out its backoff
    later = time.time() + 10
    script.answers = [(200, b"{}"), (200, b"{}")]
    assert box.deliver_due(now=later) == 2
    assert box.depth() == 0


def test_a_refusal_is_parked_not_retried(tmp_path: Path, server: Any) -> None:
    script, url = server
    journal, box = make(tmp_path, url)
    with journal.transaction() as db:
        Outbox.enqueue(db, "event", "ev-9", {"type": "x"})
    script.answers = [(422, json.dumps({"code": "bad_event", "message": "unknown type",
                                        "message_zh": "未知事件", "details": {}}).encode())]
    assert box.deliver_due() == 0
    assert box.parked() == [("ev-9", "bad_event: unknown type")]
    assert box.deliver_due(now=time.time() + 1000) == 0
    assert len(script.received) == 1


def test_unknown_kind_is_refused(tmp_path: Path, server: Any) -> None:
    _, url = server
    journal, _ = make(tmp_path, url)
    with pytest.raises(ValueError), journal.transaction() as db:
        Outbox.enqueue(db, "nonsense", "k", {})
