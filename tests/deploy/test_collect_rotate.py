"""collect-cash.yml and rotate-secret.yml against a simulated kiosk on this
machine (tests/deploy/simkiosk.py)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.cli import DEMO_KIOSK
from deploy.stack import BIN
from tests.deploy.simkiosk import Kiosk, simulated_kiosk, wait_until_up

pytestmark = pytest.mark.e2e


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    with simulated_kiosk(tmp_path) as k:
        yield k


def cashbox(kiosk: Kiosk) -> dict[str, object]:
    return kiosk.stack.admin_client.get("/v1/admin/cashbox")


def test_collect_cash_names_the_operator_and_empties_the_counters(kiosk: Kiosk) -> None:
    assert kiosk.stack.kioskctl("sim", "insert", "50", "--force").returncode == 0
    assert kiosk.stack.kioskctl("sim", "insert", "20", "--force").returncode == 0

    refused = kiosk.playbook("collect-cash.yml")
    assert refused.returncode != 0 and "citycard_operator" in refused.stdout
    assert cashbox(kiosk)["short_fen"] == 7000  # nothing collected without a name

    result = kiosk.playbook("collect-cash.yml", "-e", "citycard_operator=Li Lei")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "collected ¥70.00 in 2 pieces" in " ".join(result.stdout.split())
    assert cashbox(kiosk)["short_fen"] == 0
    receipts = kiosk.stack.admin_client.get("/v1/admin/receipts")["receipts"]
    assert any(r["kind"] == "cashbox_collection" for r in receipts)


def give_central(kiosk: Kiosk, tmp_path: Path, secret: str) -> None:
    """The central side's half of a rotation: the kiosk's new secret registered."""
    path = tmp_path / "new.secret"
    path.write_text(secret + "\n")
    subprocess.run([str(BIN / "citycard-central"), "add-kiosk", "--db", str(kiosk.stack.db),
                    "--id", DEMO_KIOSK, "--secret-file", str(path),
                    "--secret-key-file", str(kiosk.stack.server_key)], check=True)


def test_rotate_secret_writes_the_new_one_and_keeps_the_old(kiosk: Kiosk,
                                                            tmp_path: Path) -> None:
    secret = kiosk.stack.secret
    old = secret.read_text().strip()
    new = "a-new-secret-from-the-vault-0123456789"
    give_central(kiosk, tmp_path, new)

    result = kiosk.playbook("rotate-secret.yml", citycard_kiosk_secret=new)

    assert result.returncode == 0, result.stdout[-3000:]
    assert secret.read_text().strip() == new
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert Path(f"{secret}.previous").read_text().strip() == old
    status = kiosk.status()
    assert status["maintenance"] is None and status["central"]["link"] == "up"  # type: ignore[index]
    assert new not in result.stdout  # no_log


def test_a_secret_the_central_side_does_not_know_is_rolled_back(kiosk: Kiosk) -> None:
    # The link probe is signed: a secret the centre refuses shows at once as
    # 'unauthorized', and the playbook puts the old secret back.
    secret = kiosk.stack.secret
    old = secret.read_text().strip()
    result = kiosk.playbook("rotate-secret.yml",
                            citycard_kiosk_secret="not-known-centrally-0123456789")
    assert result.returncode != 0 and "old one is back in place" in result.stdout
    assert secret.read_text().strip() == old
    wait_until_up(kiosk.stack.admin_client)  # restarted with the old secret, detached
    deadline = time.monotonic() + 30
    while kiosk.status()["central"]["link"] != "up":  # type: ignore[index]
        assert time.monotonic() < deadline, kiosk.status()["central"]
        time.sleep(0.2)


def test_rotate_secret_refuses_a_blank_secret_and_changes_nothing(kiosk: Kiosk) -> None:
    secret = kiosk.stack.secret
    before = secret.read_text()
    result = kiosk.playbook("rotate-secret.yml", citycard_kiosk_secret=" " * 20)
    assert result.returncode != 0 and "16 bytes at least" in result.stdout
    assert secret.read_text() == before
    assert not Path(f"{secret}.previous").exists()
    assert json.loads(kiosk.stack.kioskctl("status", "--json").stdout)["maintenance"] is None
