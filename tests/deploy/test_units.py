"""The units' hardening, as `systemd-analyze security --offline=true` rates the
files in systemd/ (systemd >= 252): kioskd at most 3.0, the UI at most 4.5
(issue 15); the figures are in docs/operations.md. Then the socket units
against kioskd.service, the installed config and the role, and
`systemd-analyze verify` of them all (also run in the installed root by
test_install.py, which `make test` leaves out)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.stack import KIOSKD_ENV
from tests.deploy.socketunits import read_unit
from tests.deploy.tools import REPO, tool

UNITS = REPO / "systemd"


def exposure(unit: Path) -> float:
    result = subprocess.run([tool("systemd-analyze"), "security", "--offline=true", "--no-pager",
                             str(unit)], capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


@pytest.mark.parametrize(("unit", "limit"), [("kioskd.service", 3.0),
                                             ("citycard-kiosk.service", 4.5),
                                             ("citycard-metrics.service", 3.0)])
def test_exposure_within_the_limit(unit: str, limit: float) -> None:
    assert exposure(UNITS / unit) <= limit


def test_the_rating_sees_a_missing_sandbox(tmp_path: Path) -> None:
    """The figure is the file's: kioskd without its hardening rates far worse."""
    text = (UNITS / "kioskd.service").read_text()
    bare = tmp_path / "kioskd.service"
    bare.write_text(text.split("# Hardening")[0] + "\n[Install]\nWantedBy=multi-user.target\n")
    assert exposure(bare) > 3.0


def test_the_documented_figures_are_the_current_ones() -> None:
    doc = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    for unit in ("kioskd.service", "citycard-kiosk.service", "citycard-metrics.service"):
        figure = f"Overall exposure level for {unit}: {exposure(UNITS / unit):.1f}"
        assert figure in doc, f"docs/operations.md should say: {figure}"


# -- socket activation (issue 15): systemd makes kiosk.sock and admin.sock -------------

SOCKETS = {"kiosk": "kioskd-kiosk.socket", "admin": "kioskd-admin.socket"}
TEMPLATE = REPO / "deploy/ansible/roles/citycard_kiosk/templates/kioskd.toml.j2"
ROLE_DEFAULTS = REPO / "deploy/ansible/roles/citycard_kiosk/defaults/main.yml"


def _template_setting(key: str) -> str:
    found = re.search(rf'^{key} = "([^"]*)"$', TEMPLATE.read_text(encoding="utf-8"), re.M)
    assert found, f"{key} is not in {TEMPLATE}"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(SOCKETS))
def test_each_socket_unit_is_the_socket_the_config_names(name: str) -> None:
    """The path the installed config gives the UI and kioskctl, the fd name
    kioskd serves it under (daemon/main.py: kiosk, admin), the config's group,
    0660, and kioskd's user as owner."""
    section = read_unit(UNITS / SOCKETS[name])["Socket"]
    service = read_unit(UNITS / "kioskd.service")["Service"]
    assert section["ListenStream"] == f"{_template_setting('run_dir')}/{name}.sock"
    assert section["FileDescriptorName"] == name
    assert section["Service"] == "kioskd.service"
    assert section["SocketUser"] == service["User"]
    assert section["SocketGroup"] == _template_setting(f"{name}_socket_group")
    assert section["SocketMode"] == "0660"
    assert section["RemoveOnStop"] == "yes"


def test_kioskd_takes_the_sockets_and_is_in_neither_socket_group() -> None:
    service = read_unit(UNITS / "kioskd.service")["Service"]
    assert service["Sockets"].split() == list(SOCKETS.values())
    assert sorted(p.name for p in UNITS.glob("*.socket")) == sorted(SOCKETS.values())
    # Without it a stop would remove /run/citycard and the files systemd listens on.
    assert service["RuntimeDirectoryPreserve"] == "yes"
    socket_groups = {read_unit(UNITS / unit)["Socket"]["SocketGroup"]
                     for unit in SOCKETS.values()}
    assert socket_groups == {"citycard-ui", "citycard-admin"}
    assert not socket_groups & set(service["SupplementaryGroups"].split())


def test_kioskd_runs_with_the_environment_the_local_stack_gives_it() -> None:
    # The benches measure kioskd through deploy/stack.py: what they measure must be
    # what the service runs (MALLOC_ARENA_MAX: docs/PERFORMANCE.md).
    service = read_unit(UNITS / "kioskd.service")["Service"]
    env = dict(item.split("=", 1) for item in service["Environment"].split())
    assert env == KIOSKD_ENV


def test_the_role_installs_every_unit_and_enables_the_sockets_first() -> None:
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8"))
    installed = defaults["citycard_units"] + defaults["citycard_socket_units"]
    on_disk = [p.name for p in UNITS.iterdir() if p.suffix in (".service", ".socket", ".timer")]
    assert sorted(installed) == sorted(on_disk)
    # "{{ citycard_socket_units + [...] }}": the sockets, then kioskd and the rest.
    found = re.fullmatch(r"\{\{ citycard_socket_units \+ (\[.*\]) \}\}",
                         defaults["citycard_enabled_units"])
    assert found, defaults["citycard_enabled_units"]
    enabled = defaults["citycard_socket_units"] + ast.literal_eval(found.group(1))
    assert enabled[:3] == [*SOCKETS.values(), "kioskd.service"]
    assert set(enabled) == set(installed) - {"citycard-metrics.service"}  # the timer starts it


def _verify(tmp_path: Path, units: Path = UNITS) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify of the units in ``units`` as installed in a root
    that has systemd's own units and the release's programs (empty scripts)."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    shutil.copytree(units, root / "etc/systemd/system")
    bin_dir = root / "opt/citycard/current/venv/bin"
    bin_dir.mkdir(parents=True)
    for program in ("kioskd", "kioskctl", "citycard-kiosk"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    names = sorted(p.name for p in units.iterdir() if p.suffix in (".service", ".socket", ".timer"))
    return subprocess.run([tool("systemd-analyze"), "verify", f"--root={root}", *names],
                          capture_output=True, text=True, timeout=120)


def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    result = _verify(tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_verify_reports_a_bad_socket_unit(tmp_path: Path) -> None:
    """The verify test can fail: an fd name systemd cannot pass is reported."""
    units = tmp_path / "units"
    shutil.copytree(UNITS, units)
    unit = units / "kioskd-kiosk.socket"
    unit.write_text(unit.read_text().replace("FileDescriptorName=kiosk", "FileDescriptorName=a:b"))
    assert "Invalid file descriptor name" in _verify(tmp_path, units).stderr
