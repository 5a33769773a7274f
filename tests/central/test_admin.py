"""The issuer's administration (issue 14 item 4) through the real HTTP server and the
console: admin accounts of their own (not kiosk keys), each action in the audit trail."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from central.admin import add_admin, revoke_admin
from central.cli import main
from central.db import connect, transaction
from central.keys import is_sealed, kiosk_secrets
from central.settings import Settings
from protocol.signing import sign_headers
from tests.central.helpers import CHEN, LI, LIU, UNKNOWN, ZHANG, Central, error_of

KEY = b"a-server-key-for-tests-0123456789abcdef"


def _admin(central: Central, name: str = "wang.li") -> str:
    conn = connect(central.db)
    with transaction(conn):
        token = add_admin(conn, name, time.time())
    conn.close()
    return token


def call(central: Central, method: str, path: str, token: str | None,
         body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, central.url + path, headers=headers,
                            json=body, timeout=10)


def _alert(central: Central) -> int:
    return int(central.sql(
        "INSERT INTO alerts (rule, severity, subject_kind, subject, kiosk_id, first_at, last_at,"
        " hits, details) VALUES ('load_velocity', 'high', 'card', ?, 'KIOSK-DEV-0001', ?, ?,"
        " 1, '{}') RETURNING id", ZHANG, int(time.time()), int(time.time()))[0][0])


def _audit(central: Central) -> list[dict[str, Any]]:
    resp = call(central, "GET", "/v1/admin/audit", _admin(central, "auditor"))
    assert resp.status_code == 200, resp.text
    return list(resp.json()["events"])


# -- credentials -----------------------------------------------------------------------
def test_admin_accounts_are_their_own_credentials(central: Central) -> None:
    # no account and no token file: the admin routes are off
    assert error_of(call(central, "GET", "/v1/admin/alerts", "cca1_x"), 401,
                    "unauthorized")["reason"] == "admin_disabled"
    token = _admin(central)
    assert call(central, "GET", "/v1/admin/alerts", token).status_code == 200
    assert error_of(call(central, "GET", "/v1/admin/alerts", None), 401,
                    "unauthorized")["reason"] == "missing_auth"
    assert error_of(call(central, "GET", "/v1/admin/alerts", token + "x"), 401,
                    "unauthorized")["reason"] == "bad_token"
    # a kiosk's secret is no admin credential, nor is its signature
    assert error_of(call(central, "GET", "/v1/admin/alerts", central.secret.decode()), 401,
                    "unauthorized")["reason"] == "bad_token"
    assert error_of(central.client.get("/v1/admin/alerts"), 401, "unauthorized")
    # and an admin token signs no kiosk request
    headers = sign_headers("GET", f"/v1/cards/{ZHANG}", b"", kiosk_id="wang.li",
                           secret=token.encode())
    assert error_of(requests.get(f"{central.url}/v1/cards/{ZHANG}", headers=headers,
                                 timeout=10), 401, "unauthorized")
    # only the token's hash is stored
    stored = central.sql("SELECT token_hash FROM admins WHERE name = 'wang.li'")[0][0]
    assert token.encode() not in bytes(stored) and len(bytes(stored)) == 32
    conn = connect(central.db)
    with transaction(conn):
        revoke_admin(conn, "wang.li", time.time())
    conn.close()
    assert error_of(call(central, "GET", "/v1/admin/alerts", token), 401,
                    "unauthorized")["reason"] in ("bad_token", "admin_disabled")


def test_the_interim_token_file_still_works_and_is_audited_as_such(
        start_central: Callable[..., Central]) -> None:
    token = "a-test-admin-token-0123456789abcdef"
    central = start_central(Settings(admin_token=token.encode()))
    alert_id = _alert(central)
    assert call(central, "POST", f"/v1/admin/alerts/{alert_id}/acknowledge",
                token).status_code == 200
    assert _audit(central)[-1]["actor"] == "token-file"


# -- the operations -----------------------------------------------------------------------
def test_list_and_acknowledge_alerts(central: Central) -> None:
    token = _admin(central)
    alert_id = _alert(central)
    listed = call(central, "GET", "/v1/admin/alerts", token).json()["alerts"]
    assert [a["id"] for a in listed] == [alert_id] and listed[0]["acknowledged_at"] is None
    done = call(central, "POST", f"/v1/admin/alerts/{alert_id}/acknowledge", token)
    assert done.status_code == 200, done.text
    first = done.json()["acknowledged_at"]
    assert first is not None
    again = call(central, "POST", f"/v1/admin/alerts/{alert_id}/acknowledge", token).json()
    assert again["acknowledged_at"] == first
    assert error_of(call(central, "POST", f"/v1/admin/alerts/{alert_id + 1}/acknowledge",
                         token), 404, "alert_unknown")["alert_id"] == alert_id + 1
    trail = [e for e in _audit(central) if e["action"] == "alert_acknowledged"]
    assert len(trail) == 1 and trail[0]["actor"] == "admin:wang.li"
    assert trail[0]["subject"] == str(alert_id)


def test_lift_a_blacklist_entry(central: Central) -> None:
    token = _admin(central)
    central.sql("UPDATE cards SET status = 'blacklisted', blacklist_reason = 'fraud'"
                " WHERE card_no = ?", LI)
    assert central.client.get(f"/v1/cards/{LI}").json()["status"] == "blacklisted"
    resp = call(central, "POST", f"/v1/admin/cards/{LI}/blacklist/lift", token,
                {"note": "reviewed: the holder's own loads"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["previous_reason"] == "fraud"
    assert central.client.get(f"/v1/cards/{LI}").json()["status"] == "active"
    event = _audit(central)[-1]
    assert (event["actor"], event["action"], event["subject"]) == (
        "admin:wang.li", "blacklist_lifted", LI)
    assert event["details"]["note"] == "reviewed: the holder's own loads"
    # refusals: not blacklisted, an overdraft still owed, an unknown card
    assert error_of(call(central, "POST", f"/v1/admin/cards/{LI}/blacklist/lift", token, {}),
                    409, "card_not_blacklisted")["status"] == "active"
    assert error_of(call(central, "POST", f"/v1/admin/cards/{CHEN}/blacklist/lift", token,
                         {}), 409, "blacklist_owed")["owed_fen"] == 1500
    error_of(call(central, "POST", f"/v1/admin/cards/{UNKNOWN}/blacklist/lift", token, {}),
             404, "card_unknown")


def test_replace_a_lost_card(central: Central) -> None:
    token = _admin(central)
    resp = call(central, "POST", f"/v1/admin/cards/{LIU}/replacement", token,
                {"new_card_no": LI})
    assert resp.status_code == 201, resp.text
    assert resp.json()["old_card_no"] == LIU and resp.json()["new_card_no"] == LI
    # the kiosk side sees the new card's balance transfer, held
    view = central.client.get(f"/v1/cards/{LI}").json()
    assert view["transfer"]["old_card_no"] == LIU and view["transfer"]["status"] == "held"
    assert _audit(central)[-1]["action"] == "card_replaced"
    again = call(central, "POST", f"/v1/admin/cards/{LIU}/replacement", token,
                 {"new_card_no": ZHANG})
    assert "already has a replacement" in error_of(again, 409, "replacement_refused")["reason"]
    error_of(call(central, "POST", f"/v1/admin/cards/{ZHANG}/replacement", token,
                  {"new_card_no": UNKNOWN}), 404, "card_unknown")
    error_of(call(central, "POST", f"/v1/admin/cards/{ZHANG}/replacement", token, {}),
             400, "validation_error")


def test_add_a_kiosk_and_rotate_its_secret(start_central: Callable[..., Central]) -> None:
    central = start_central(Settings(secret_key=KEY))
    token = _admin(central)
    resp = call(central, "POST", "/v1/admin/kiosks", token, {"kiosk_id": "KIOSK-NEW-7"})
    assert resp.status_code == 201, resp.text
    secret = resp.json()["secret"].encode()
    stored = central.sql("SELECT secret FROM kiosks WHERE kiosk_id = 'KIOSK-NEW-7'")[0][0]
    assert is_sealed(bytes(stored))
    kiosk = central.another_client("KIOSK-NEW-7", secret)
    assert kiosk.get(f"/v1/cards/{ZHANG}").status_code == 200
    error_of(call(central, "POST", "/v1/admin/kiosks", token, {"kiosk_id": "KIOSK-NEW-7"}),
             409, "kiosk_exists")
    error_of(call(central, "POST", "/v1/admin/kiosks", token, {"kiosk_id": "../etc"}),
             400, "validation_error")

    rotated = call(central, "POST", "/v1/admin/kiosks/KIOSK-NEW-7/rotate-secret", token,
                   {"overlap_s": 600})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"].encode()
    assert new != secret and rotated.json()["previous_valid_until"] is not None
    assert kiosk.get(f"/v1/cards/{ZHANG}").status_code == 200  # the old one, in the overlap
    assert central.another_client("KIOSK-NEW-7", new).get(f"/v1/cards/{ZHANG}"
                                                          ).status_code == 200
    error_of(call(central, "POST", "/v1/admin/kiosks/KIOSK-NOBODY/rotate-secret", token, {}),
             404, "kiosk_unknown")
    actions = [(e["action"], e["subject"], e["actor"]) for e in _audit(central)]
    assert ("kiosk_added", "KIOSK-NEW-7", "admin:wang.li") in actions
    assert ("kiosk_secret_rotated", "KIOSK-NEW-7", "admin:wang.li") in actions


# -- the console --------------------------------------------------------------------------
def test_console_admin_commands(central: Central, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    db = central.db_args
    token_file = tmp_path / "admin.token"
    assert main(["add-admin", *db, "zhao", "--token-file", str(token_file)]) == 0
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert call(central, "GET", "/v1/admin/alerts", token).status_code == 200
    assert main(["add-admin", *db, "zhao"]) == 1  # taken

    alert_id = _alert(central)
    assert main(["ack-alert", *db, str(alert_id)]) == 0
    assert main(["ack-alert", *db, "999"]) == 1
    central.sql("UPDATE cards SET status = 'blacklisted', blacklist_reason = 'other'"
                " WHERE card_no = ?", LI)
    assert main(["lift-blacklist", *db, LI, "--note", "outlet check"]) == 0
    assert main(["lift-blacklist", *db, CHEN]) == 1
    assert main(["replace-card", *db, LIU, ZHANG]) == 0
    capsys.readouterr()
    assert main(["audit", *db, "--json"]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    actions = {e["action"]: e["actor"] for e in events}
    for action in ("admin_added", "alert_acknowledged", "blacklist_lifted", "card_replaced"):
        assert actions[action].startswith("console:"), (action, actions)
    assert main(["audit", *db]) == 0
    out = capsys.readouterr().out
    assert LI not in out and "blacklist_lifted" in out  # card numbers masked in lines
    assert main(["revoke-admin", *db, "zhao"]) == 0
    assert error_of(call(central, "GET", "/v1/admin/alerts", token), 401, "unauthorized")
    assert main(["revoke-admin", *db, "zhao"]) == 1


def test_console_rotate_secret(central: Central, tmp_path: Path) -> None:
    key_file = tmp_path / "server.key"
    secret_file = tmp_path / "kiosk-new.secret"
    db = central.db_args
    args = [*db, "--secret-key-file", str(key_file)]
    assert main(["add-kiosk", *args, "--id", "KIOSK-R", "--secret-file", str(secret_file)]) == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    old = secret_file.read_bytes().strip()
    assert main(["rotate-secret", *args, "KIOSK-R", "--secret-file", str(secret_file),
                 "--overlap", "10m"]) == 0
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    new = secret_file.read_bytes().strip()
    assert new != old and len(new) == 64
    key = key_file.read_bytes().strip()
    conn = connect(central.db)
    assert kiosk_secrets(conn, "KIOSK-R", time.time(), key) == [new, old]
    assert kiosk_secrets(conn, "KIOSK-R", time.time() + 601, key) == [new]
    conn.close()
    assert main(["rotate-secret", *args, "KIOSK-NONE", "--secret-file",
                 str(tmp_path / "x.secret")]) == 1
    assert not (tmp_path / "x.secret").exists()
    assert main(["rotate-secret", *db, "KIOSK-R", "--secret-file",
                 str(secret_file)]) == 1  # the secrets are sealed: no key, no rotation
    assert secret_file.read_bytes().strip() == new
