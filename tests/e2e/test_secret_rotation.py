"""A kiosk secret rotated under a running kiosk (issue 14 item 5): ``citycard-central
rotate-secret`` writes the new secret into the kiosk's secret file, kioskd signs with it
from its next request on, and the old secret is accepted until the overlap ends, then
refused. The kiosk keeps working throughout, PIN blocks included."""

from __future__ import annotations

import subprocess
import time

import pytest

from central.client import SignedClient
from deploy.stack import BIN, Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, tap

KIOSK = "KIOSK-DEV-0001"
OVERLAP_S = 12
DEMO_PIN = "147258"


def _link(stack: Stack) -> str:
    return str(stack.admin_client.get("/v1/admin/status")["central"]["link"])


def _kiosk_works(stack: Stack, old_pin: str, new_pin: str) -> None:
    """A signed card look-up and a signed PIN block (changing the payment password)."""
    tap(stack, CARD)
    assert stack.kiosk_client.post("/v1/pin/change", {"old_pin": old_pin,
                                                      "new_pin": new_pin}) == {"pin_set": True}
    assert _link(stack) == "up"


def test_a_kiosk_keeps_working_across_a_secret_rotation(stack: Stack) -> None:
    old = stack.secret.read_bytes().strip()
    stored = central_sql(stack, "SELECT secret FROM kiosks WHERE kiosk_id = ?", KIOSK)[0][0]
    assert old not in bytes(stored)  # kept encrypted under the server key
    old_signer = SignedClient(stack.central_url, KIOSK, old)
    path = f"/v1/cards/{CARD}"

    _kiosk_works(stack, DEMO_PIN, "258369")  # before

    done = subprocess.run([str(BIN / "citycard-central"), "rotate-secret", "--db",
                           str(stack.db), KIOSK, "--secret-file", str(stack.secret),
                           "--overlap", f"{OVERLAP_S}s", "--secret-key-file",
                           str(stack.server_key)],
                          capture_output=True, text=True, timeout=60)
    rotated_at = time.monotonic()
    assert done.returncode == 0, done.stderr
    new = stack.secret.read_bytes().strip()
    assert new != old

    # during the overlap: the old secret still passes, the kiosk signs with the new one
    assert old_signer.get(path).status_code == 200
    assert SignedClient(stack.central_url, KIOSK, new).get(path).status_code == 200
    _kiosk_works(stack, "258369", "369147")
    log = (stack.workdir / "kioskd.log").read_text("utf-8")
    assert "holds a new secret" in log
    assert old.decode() not in log and new.decode() not in log
    assert time.monotonic() - rotated_at < OVERLAP_S, "the machine was too slow for the test"

    # after the overlap: the old secret is refused, the kiosk goes on
    time.sleep(max(0.0, OVERLAP_S + 1 - (time.monotonic() - rotated_at)))
    refused = old_signer.get(path)
    assert refused.status_code == 401 and refused.json()["details"]["reason"] == \
        "bad_signature"
    _kiosk_works(stack, "369147", "147369")
    with pytest.raises(LocalApiError) as err:  # and a wrong PIN is still a wrong PIN
        stack.kiosk_client.post("/v1/pin/change", {"old_pin": DEMO_PIN, "new_pin": "258147"})
    assert err.value.code == "pin_wrong"
