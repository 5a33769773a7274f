"""kioskd --simulate as an operator sees it over SSH: kioskctl against the real
daemon, with the reference central server behind it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from deploy.stack import Stack
from protocol.localclient import LocalApiError, LocalClient

CARD = "03104440300000100017"


def _json(stack: Stack, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    done = stack.kioskctl("--json", *args)
    return done.returncode, json.loads(done.stdout)


def test_status_is_one_json_object_and_tells_the_link_truthfully(stack: Stack) -> None:
    code, status = _json(stack, "status")
    assert code == 0
    assert status["central"]["link"] == "up"
    assert status["devices"]["reader"]["state"] == "ready"
    assert status["devices"]["printer"]["status"]["state"] == "ok"
    assert status["devices"]["cash"]["inhibited"] is True
    assert status["devices"]["cash"]["reason"] == "no_session"
    stack.stop("central")
    deadline = time.monotonic() + 20
    while status["central"]["link"] != "down" and time.monotonic() < deadline:
        time.sleep(0.5)
        code, status = _json(stack, "status")
        assert code == 0  # the daemon answers; the link is what is down
    assert status["central"]["link"] == "down"
    assert status["central"]["last_error"]
    assert status["devices"]["cash"]["reason"] == "offline"  # offline: never take the money


def test_the_log_has_one_line_per_central_call_with_the_card_masked(stack: Stack) -> None:
    # python-escpos configures logging when imported; kioskd's INFO lines once
    # went nowhere because of it.
    stack.kioskctl("sim", "tap", CARD)
    log_file = stack.workdir / "kioskd.log"
    deadline = time.monotonic() + 10
    while "central GET /v1/cards/" not in log_file.read_text("utf-8"):
        assert time.monotonic() < deadline, log_file.read_text("utf-8")
        time.sleep(0.1)
    log = log_file.read_text("utf-8")
    assert "ready (simulated hardware)" in log
    assert "central GET /v1/cards/0310" in log and " -> 200 in " in log
    assert CARD not in log


def test_card_read_prints_the_parsed_card(stack: Stack) -> None:
    assert stack.kioskctl("sim", "tap", CARD).returncode == 0
    code, card = _json(stack, "card", "read", "--timeout", "5")
    assert code == 0
    assert card["card_no"] == CARD
    assert card["balance_fen"] == 8650
    assert (card["card_type"], card["valid_from"], card["valid_until"]) == \
        ("ordinary", "2023-01-01", "2033-12-31")
    assert card["records"] == []


def test_the_card_screen_state_carries_chip_and_central_halves(stack: Stack) -> None:
    stack.kioskctl("sim", "tap", CARD)
    kiosk = stack.kiosk_client
    deadline = time.monotonic() + 10
    snap = kiosk.state()
    while (snap.card is None or snap.card.central == "pending") and time.monotonic() < deadline:
        time.sleep(0.1)
        snap = kiosk.state()
    assert snap.screen == "card" and snap.card is not None
    assert snap.card.balance_fen == 8650
    assert snap.card.card_no_masked == "3104 **** **** 0017"
    assert (snap.card.central, snap.card.status, snap.card.points) == ("ok", "active", 1280)


def test_unsupported_and_blocked_cards_are_clear_outcomes(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    for card_no, code in (("bank-card", "card_not_supported"),
                          ("03104440300000100074", "card_blocked")):
        stack.kioskctl("sim", "remove")
        stack.kioskctl("sim", "tap", card_no)
        deadline = time.monotonic() + 10
        snap = kiosk.state()
        while (snap.notice is None or snap.notice.code != code) and time.monotonic() < deadline:
            time.sleep(0.1)
            snap = kiosk.state()
        assert snap.screen == "card_error"
        assert snap.notice is not None and snap.notice.code == code
        assert snap.card is None


def test_sim_insert_50_is_one_note_from_real_pulses(stack: Stack) -> None:
    refused = stack.kioskctl("--json", "sim", "insert", "50")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["journaled"] == []  # inhibited: the acceptor refused it
    code, result = _json(stack, "sim", "insert", "50", "--force")
    assert code == 0 and result["accepted"] is True
    notes = result["journaled"]
    assert [(n["kind"], n["value_fen"], n["pulses"]) for n in notes] == [("note", 5000, 50)]
    code, status = _json(stack, "status")
    assert status["devices"]["cash"]["cashbox"]["short"]["notes"] == {"5000": 1}


def test_odd_amounts_are_refused_and_change_nothing(stack: Stack) -> None:
    for amount in ("3", "0", "-5", "0.001", "abc"):
        done = stack.kioskctl("sim", "insert", amount)
        assert done.returncode in (1, 2), amount
    code, result = _json(stack, "sim", "insert", "1", "--force")
    assert code == 0
    # The first cash the journal ever got: the refused amounts left no row.
    assert [(n["id"], n["value_fen"]) for n in result["journaled"]] == [(1, 100)]


def test_printer_test_prints_and_status_shows_the_printer(stack: Stack) -> None:
    code, result = _json(stack, "printer", "test")
    assert code == 0 and result["printed"] is True
    assert result["status"]["state"] == "ok"
    preview = Path(result["preview"])
    with Image.open(preview) as img:
        assert img.width > 300 and img.height > 300
    code, status = _json(stack, "status")
    assert status["devices"]["printer"]["printed"] == 1


def test_sockets_are_private_unix_sockets_and_no_tcp_port(stack: Stack) -> None:
    run = stack.workdir / "run"
    for name in ("kiosk.sock", "admin.sock"):
        mode = (run / name).stat().st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600  # the dev config; 0660 on a Pi
    pid = stack.procs["kioskd"].pid
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed since the listing: not open
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    inodes = {i.removeprefix("socket:[").removesuffix("]") for i in links
              if i.startswith("socket:")}
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                listening.add(fields[9])
    assert not inodes & listening
    assert LocalClient(run / "kiosk.sock").state().screen in ("attract", "card")


def test_cashbox_counts_survive_a_restart_and_a_collection_resets_them(stack: Stack) -> None:
    for yuan in ("20", "10"):
        assert stack.kioskctl("sim", "insert", yuan, "--force").returncode == 0
    code, box = _json(stack, "cashbox")
    assert (box["short_fen"], box["long_fen"]) == (3000, 3000)
    text = stack.kioskctl("cashbox").stdout
    assert "in the box     ¥30.00  (1 × ¥10.00, 1 × ¥20.00)" in text
    assert "last collected never" in text
    stack.stop("kioskd")
    stack.start_kioskd()
    code, box = _json(stack, "cashbox")
    assert (box["short_fen"], box["long_fen"]) == (3000, 3000)  # from the journal
    code, done = _json(stack, "cashbox", "collect", "--operator", "Li Lei")
    assert code == 0 and done["collected_fen"] == 3000 and done["pieces"] == 2
    assert done["printed"] is True
    code, box = _json(stack, "cashbox")
    assert (box["short_fen"], box["long_fen"]) == (0, 3000)
    assert box["last_collection_at"]
    text = stack.kioskctl("cashbox").stdout
    assert "in the box     ¥0.00  (empty)" in text
    assert "since install  ¥30.00  (1 × ¥10.00, 1 × ¥20.00)" in text
    assert f"last collected {box['last_collection_at']}" in text
    assert (stack.workdir / "state" / "receipts" /
            f"{done['reference']}-cashbox_collection.png").exists()


def test_a_collection_refuses_a_control_character_and_reports_in_china_time(
        stack: Stack) -> None:
    """Issue 12: "Li\\u0085Lei" answered 500 after the counters were reset, and nothing
    was reported; the slip's time was the host's zone, not China time."""
    stack.stop("kioskd")
    admin = stack.start_kioskd(env={"TZ": "America/New_York"})
    assert stack.kioskctl("sim", "insert", "20", "--force").returncode == 0
    with pytest.raises(LocalApiError) as refused:
        admin.post("/v1/admin/cashbox/collect", {"operator": "Li\u0085Lei"})
    assert (refused.value.status, refused.value.code) == (400, "bad_operator")
    code, box = _json(stack, "cashbox")
    assert code == 0 and box["short_fen"] == 2000  # nothing was reset
    done = admin.post("/v1/admin/cashbox/collect", {"operator": "Li Lei"})
    assert (done["collected_fen"], done["printed"]) == (2000, True)
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    events = [e for (payload,) in journal.execute("SELECT payload FROM outbox")
              for e in json.loads(payload).get("events", [])
              if e["kind"] == "cashbox_collection"]
    (slip,) = [json.loads(p)["facts"]["fields"] for (p,) in journal.execute(
        "SELECT payload FROM receipts WHERE kind = 'cashbox_collection'")]
    journal.close()
    assert [e["data"]["collected_fen"] for e in events] == [2000]
    when = datetime.fromisoformat(slip["when"])
    assert when.utcoffset() == timedelta(hours=8)  # China time on a New York host
    # the reference, made from the same clock, reads China time too
    stamp = datetime.strptime(done["reference"][1:13], "%y%m%d%H%M%S")
    assert stamp == when.replace(tzinfo=None, microsecond=0)
def test_a_kiosk_the_centre_refuses_is_unauthorized_not_up(tmp_path: Path) -> None:
    """A wrong secret: /health answers, every signed call is refused. The link says
    so, in the status JSON, the human status and the screen state; money is refused."""
    with Stack(tmp_path / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.secret.write_text("a-secret-the-centre-never-heard-of\n", "utf-8")
        stack.start_kioskd()
        deadline = time.monotonic() + 20
        code, status = _json(stack, "status")
        while status["central"]["link"] != "unauthorized" and time.monotonic() < deadline:
            time.sleep(0.3)
            code, status = _json(stack, "status")
        assert code == 0
        assert status["central"]["link"] == "unauthorized"
        assert "bad_signature" in status["central"]["last_error"]
        assert status["devices"]["cash"]["reason"] == "offline"
        human = stack.kioskctl("status").stdout
        assert "central   unauthorized" in human and "secret" in human
        kiosk = stack.kiosk_client
        assert kiosk.state().central == "unauthorized"
        stack.kioskctl("sim", "tap", CARD)
        deadline = time.monotonic() + 10
        snap = kiosk.state()
        while (snap.card is None or snap.card.central == "pending") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
            snap = kiosk.state()
        assert snap.card is not None and snap.card.central == "offline"
        try:
            kiosk.post("/v1/topup/start")
        except LocalApiError as exc:
            assert exc.code == "central_offline"
        else:
            raise AssertionError("a top-up started on a kiosk the centre refuses")
        refused = stack.kioskctl("--json", "sim", "insert", "10")
        assert refused.returncode == 1 and json.loads(refused.stdout)["journaled"] == []


def test_card_read_reads_the_card_in_the_field_not_the_last_one_read(stack: Stack) -> None:
    assert stack.kioskctl("sim", "tap", CARD).returncode == 0
    code, card = _json(stack, "card", "read", "--timeout", "5")
    assert (code, card["balance_fen"]) == (0, 8650)
    assert stack.kioskctl("sim", "remove").returncode == 0
    # While the card is away its balance changes (another kiosk loaded it).
    wallet = stack.workdir / "state" / "sim-wallet.json"
    data = json.loads(wallet.read_text("utf-8"))
    data["cards"][CARD]["balance_fen"] = 9650
    wallet.write_text(json.dumps(data), "utf-8")
    code, answer = _json(stack, "card", "read", "--timeout", "2")
    assert (code, answer["error"]) == (1, "no_card")  # nothing in the field: it waited
    assert stack.kioskctl("sim", "tap", CARD).returncode == 0
    code, card = _json(stack, "card", "read", "--timeout", "5")
    assert (code, card["card_no"], card["balance_fen"]) == (0, CARD, 9650)
    # The card stays on the reader: read again, from the chip, as it is now.
    code, card = _json(stack, "card", "read", "--timeout", "5")
    assert (code, card["balance_fen"]) == (0, 9650)
