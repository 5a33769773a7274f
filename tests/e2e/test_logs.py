"""No full card number in any log: kioskd's and the central server's, after the
scripted sessions, requests the central side refuses, and a stretch with the
central side stopped (ARCHITECTURE.md invariant 8: first 4 + last 4 only)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest
import requests

from central.client import SignedClient
from deploy.stack import Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, tap, wait_state

LOST_ELSEWHERE = "03104440300000100025"  # typed in for a loss report
KIOSK_ID = "KIOSK-DEV-0001"
# A card number: a run of 16 to 20 digits. Digits glued to letters are ids (an order id
# is L + yymmddHHMMSS + 6 hex digits, which can all be digits), not card numbers.
CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{16,}(?![0-9A-Za-z])")


def _done(stack: Stack) -> None:
    wait_state(stack.kiosk_client, lambda s: s.session is not None
               and s.session.step in ("done", "failed", "pending"), "the session's end")
    stack.kiosk_client.post("/v1/session/end")


def _scripted_sessions(stack: Stack) -> None:
    """tests/e2e/test_sessions.py's session: a top-up in notes, then a bill."""
    kiosk = stack.kiosk_client
    tap(stack)
    kiosk.post("/v1/topup/start")
    assert stack.kioskctl("sim", "insert", "10").returncode == 0
    wait_state(kiosk, lambda s: s.session is not None and s.session.amount_fen == 1000, "¥10")
    kiosk.post("/v1/topup/finish")
    _done(stack)
    tap(stack)
    kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    kiosk.post("/v1/bills/pay", {})
    _done(stack)
    tap(stack)
    kiosk.get("/v1/history?limit=5")


def _refused_requests(stack: Stack) -> None:
    """What the central side refuses: a documented refusal for the kiosk, and
    requests turned away at the door (wrong key, no signature)."""
    with pytest.raises(LocalApiError):  # the ID's last 6 do not match
        stack.kiosk_client.post("/v1/loss-report",
                                {"card_no": LOST_ELSEWHERE, "id_last6": "000000"})
    path = f"/v1/cards/{CARD}"
    wrong = SignedClient(stack.central_url, KIOSK_ID, b"not-this-kiosks-secret-at-all")
    assert wrong.get(path).status_code == 401
    assert wrong.post(f"{path}/loss-report", {"id_last6": "000000"}).status_code == 401
    assert requests.get(stack.central_url + path, timeout=5).status_code == 401
    wrong.close()


def _central_stopped(stack: Stack) -> dict[str, object]:
    """Taps and services while the central side is down; its status as kioskctl shows it."""
    kiosk = stack.kiosk_client
    port = urlsplit(stack.central_url).port
    assert port is not None
    stack.stop("central")
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", CARD)
    wait_state(kiosk, lambda s: s.card is not None and s.card.central == "offline",
               "the card screen without the central half")
    with pytest.raises(LocalApiError):
        kiosk.post("/v1/loss-report", {"card_no": LOST_ELSEWHERE, "id_last6": "100025"})
    wait_state(kiosk, lambda s: s.central == "down", "the link down", timeout=20)
    status: dict[str, object] = json.loads(stack.kioskctl("--json", "status").stdout)
    stack.start_central(port)
    wait_state(kiosk, lambda s: s.central == "up", "the link up again", timeout=20)
    tap(stack)
    return status


def test_no_full_card_number_reaches_either_log(stack: Stack) -> None:
    _scripted_sessions(stack)
    _refused_requests(stack)
    status = _central_stopped(stack)
    time.sleep(0.5)  # the last lines reach the files

    kioskd = (stack.workdir / "kioskd.log").read_text("utf-8")
    central = (stack.workdir / "central.log").read_text("utf-8")
    # The paths were logged (masked): the check below looked at the right lines.
    assert "central GET /v1/cards/0310" in kioskd and "-> ConnectionError" in kioskd
    assert "refused GET /v1/cards/0310" in central and "GET /v1/cards/0310" in central
    assert CARD_LIKE.findall(kioskd) == []
    assert CARD_LIKE.findall(central) == []
    link = status["central"]
    assert isinstance(link, dict) and link["link"] == "down" and link["last_error"]
    assert CARD_LIKE.findall(json.dumps(status)) == []
