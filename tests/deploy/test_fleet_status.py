"""ansible-playbook fleet-status.yml against simulated kiosks on this machine
(ansible_connection=local, each with its own config): kiosk-a takes cash,
kiosk-b is in maintenance with its central side gone, kiosk-c has no kioskd."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from deploy.stack import Stack
from tests.deploy.tools import ANSIBLE_DIR, run, tool

BIN = Path(sys.executable).parent


def inventory(path: Path, kiosks: dict[str, Path]) -> Path:
    hosts = {name: {"ansible_connection": "local",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "citycard_kioskctl": str(BIN / "kioskctl"),
                    "citycard_config_file": str(config)}
             for name, config in kiosks.items()}
    path.write_text(yaml.safe_dump({"kiosks": {"hosts": hosts}}), encoding="utf-8")
    return path


@pytest.fixture
def two_kiosks(tmp_path: Path) -> Iterator[tuple[Stack, Stack]]:
    with Stack(tmp_path / "a") as a, Stack(tmp_path / "b") as b:
        for st in (a, b):
            st.seed()
            st.start_central()
            st.start_kioskd()
        yield a, b


def wait_for(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.e2e
def test_one_table_for_the_fleet(two_kiosks: tuple[Stack, Stack], tmp_path: Path) -> None:
    a, b = two_kiosks
    assert a.kioskctl("sim", "insert", "50", "--force").returncode == 0
    assert a.kioskctl("sim", "insert", "100", "--force").returncode == 0
    assert b.kioskctl("maintenance", "on", "--message", "Changing the cash box").returncode == 0
    wait_for(lambda: a.admin_client.get("/v1/admin/status")["clock"]["state"] == "ok")
    b.stop("central")
    wait_for(lambda: b.admin_client.get("/v1/admin/status")["central"]["link"] == "down")
    gone = tmp_path / "c" / "kioskd.toml"
    gone.parent.mkdir()
    gone.write_text('[paths]\nrun_dir = "run"\nstate_dir = "state"\n', encoding="utf-8")

    hosts = inventory(tmp_path / "hosts.yml",
                      {"kiosk-a": a.config, "kiosk-b": b.config, "kiosk-c": gone})
    table_file, json_file = tmp_path / "fleet.txt", tmp_path / "fleet.json"
    result = run([tool("ansible-playbook"), "-i", str(hosts), str(ANSIBLE_DIR / "fleet-status.yml"),
                  "-e", f"citycard_status_table={table_file}",
                  "-e", f"citycard_status_json={json_file}"], timeout=180)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    lines = table_file.read_text(encoding="utf-8").splitlines()
    header = lines[0].split()
    assert header[:5] == ["HOST", "KIOSKD", "VERSION", "CENTRAL", "CLOCK"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"kiosk-a", "kiosk-b", "kiosk-c"}
    assert rows["kiosk-a"][1:4] == ["up", "0.1.0", "up"]
    # The clock against the central side's, measured by kioskd: this machine's own.
    assert rows["kiosk-a"][4] in ("+0s", "-0s", "+1s", "-1s"), rows["kiosk-a"]
    assert rows["kiosk-a"][5:9] == ["ok", "inhibited:", "no_session", "150.00"]
    assert rows["kiosk-a"][9] == "holds"
    assert rows["kiosk-b"][3] == "down"
    assert "Changing the cash box" in " ".join(rows["kiosk-b"])
    assert rows["kiosk-c"][1] == "DOWN"
    # The same table is printed by the playbook itself.
    assert "kiosk-a" in result.stdout and "150.00" in result.stdout

    data = {row["host"]: row for row in json.loads(json_file.read_text())["kiosks"]}
    assert data["kiosk-a"]["cash_in_box_notes"] == {"5000": 1, "10000": 1}
    assert data["kiosk-a"]["clock"] == "ok" and abs(float(data["kiosk-a"]["clock_skew_s"])) < 2
    assert data["kiosk-b"]["maintenance"] == "Changing the cash box"
    assert data["kiosk-c"]["kioskd"] == "DOWN"
