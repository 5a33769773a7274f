"""update.yml against a simulated kiosk on this machine (tests/deploy/simkiosk.py):
it leaves a kiosk with an active session alone, rolls back a release whose
health check fails, and completes a healthy one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.simkiosk import CARD, Kiosk, simulated_kiosk

pytestmark = pytest.mark.e2e


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    with simulated_kiosk(tmp_path) as k:
        yield k


def test_a_kiosk_with_an_active_session_is_not_touched(kiosk: Kiosk) -> None:
    kiosk.stack.kioskctl("sim", "tap", CARD)
    deadline = time.monotonic() + 20
    # The card screen shows the chip's half first; money waits for the central half.
    while (state := kiosk.stack.kiosk_client.state()).screen != "card" or (
            state.card is None or state.card.central != "ok"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    kiosk.stack.kiosk_client.post("/v1/topup/start")

    result = kiosk.update("0.1.0", citycard_session_wait_s=3)

    assert result.returncode != 0
    assert "a session is still active" in result.stdout
    assert kiosk.link("current") == "0.0.9"
    assert not (kiosk.prefix / "previous").exists()
    assert kiosk.status()["maintenance"] is None  # as it was
    assert kiosk.stack.kiosk_client.state().session is not None  # the cardholder goes on


def test_a_release_failing_its_health_check_is_rolled_back(kiosk: Kiosk) -> None:
    first = kiosk.update("0.1.0")
    assert first.returncode == 0, first.stdout[-4000:]
    assert kiosk.link("current") == "0.1.0" and kiosk.link("previous") == "0.0.9"

    result = kiosk.update("0.2.0")

    assert result.returncode != 0
    assert "rolled back to 0.1.0" in " ".join(result.stdout.split())
    assert kiosk.link("current") == "0.1.0"
    assert kiosk.link("previous") == "0.2.0"
    status = kiosk.status()
    assert status["version"] == "0.1.0" and status["maintenance"] is None
    assert "broken release" in (kiosk.stack.workdir / "kioskd.log").read_text()


def test_a_healthy_release_is_installed_and_maintenance_ends(kiosk: Kiosk) -> None:
    result = kiosk.update("0.1.0")

    assert result.returncode == 0, result.stdout[-4000:]
    assert kiosk.link("current") == "0.1.0" and kiosk.link("previous") == "0.0.9"
    status = kiosk.status()
    assert status["version"] == "0.1.0" and status["maintenance"] is None
