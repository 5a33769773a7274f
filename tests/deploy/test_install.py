"""The install, for real: deploy/install.sh (the citycard_kiosk role with
``ansible-playbook -c local``) run inside a throwaway Debian Bookworm root as
it runs on a bare Pi, then what the units would do, each as its own user.

Root and network to the package registries are needed (debootstrap, apt,
pip): ``make test-install`` runs it (tests/deploy/conftest.py keeps it out of
``make test``). No systemd runs in the chroot, so the role is told not to
start services (citycard_manage_services=false) and kioskd is started here
with the ExecStart, User and groups of the installed unit, given the sockets
its installed socket units describe (tests/deploy/socketunits.py).
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.rootfs import DebianRoot
from tests.deploy.socketunits import listen, passing, read_unit
from tests.deploy.tools import REPO, tool

SRC = "/root/citycard-src"
KIOSK_ID = "KIOSK-TEST-0042"
OPERATOR = "operator1"
UNITS = ["kioskd.service", "kioskd-kiosk.socket", "kioskd-admin.socket",
         "citycard-kiosk.service", "citycard-metrics.service", "citycard-metrics.timer"]
_IGNORE = shutil.ignore_patterns(".git", ".venv", "test-artifacts", "var", "demo-out",
                                 "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache",
                                 ".pytest_cache", ".hypothesis", "build", "dist")

pytestmark = pytest.mark.timeout(1800)


@dataclass
class Installed:
    root: DebianRoot
    versions: tuple[str, str]  # the first release installed, and the update
    wheels: tuple[str, str]  # their paths inside the root
    tmp: Path

    def install(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.root.chroot(f"{SRC}/deploy/install.sh", *args,
                                "-e", "citycard_manage_services=false", timeout=1500)

    def link(self, name: str) -> str:
        return os.readlink(self.root.path / "opt" / "citycard" / name)


def _wheel(src: Path, version: str | None, out: Path) -> Path:
    """The project's wheel from ``src``, its version replaced when given."""
    if version is not None:
        copy = out / f"src-{version}"
        shutil.copytree(src, copy, ignore=_IGNORE)
        pyproject = copy / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(text.replace(f'version = "{_version()}"', f'version = "{version}"'),
                             encoding="utf-8")
        src = copy
    wheels = out / "wheels"
    subprocess.run([str(Path(sys.executable).parent / "pip"), "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(wheels), str(src)], check=True, capture_output=True)
    return next(wheels.glob(f"citycard_kiosk-{version or _version()}-*.whl"))


def _version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


def _unit(root: DebianRoot, name: str) -> configparser.RawConfigParser:
    return read_unit(root.path / "etc" / "systemd" / "system" / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    assert os.geteuid() == 0, "the install test runs as root (chroot, mounts)"
    tool("debootstrap")
    tmp = tmp_path_factory.mktemp("install")
    first, second = _version(), f"{_version()}.post1"
    wheels = (_wheel(REPO, None, tmp), _wheel(REPO, second, tmp))
    root = DebianRoot(tmp / "root")
    try:
        root.unpack()
        shutil.copytree(REPO, root.path / SRC.lstrip("/"), ignore=_IGNORE)
        inside = []
        for wheel in wheels:
            shutil.copy(wheel, root.path / "root" / wheel.name)
            inside.append(f"/root/{wheel.name}")
        (root.path / "root" / "kiosk.yml").write_text(f"""---
citycard_kiosk_id: {KIOSK_ID}
citycard_terminal_id: "440300000042"
citycard_central_url: https://127.0.0.1:9
citycard_kiosk_secret: install-test-secret-0123456789
citycard_operators: [{OPERATOR}]
# This machine reaches the package index through its own CA (a TLS-inspecting
# proxy, say): pip in the root is given the same bundle.
citycard_pip_env:
  PIP_CERT: /root/host-ca.pem
""", encoding="utf-8")
        shutil.copy(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"),
                    root.path / "root" / "host-ca.pem")
        root.chroot("useradd", "--create-home", OPERATOR, check=True)
        result = root.chroot(f"{SRC}/deploy/install.sh", "--vars", "/root/kiosk.yml",
                             "--wheel", inside[0], "-e", "citycard_manage_services=false",
                             timeout=1500)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
        yield Installed(root, (first, second), (inside[0], inside[1]), tmp)
    finally:
        root.close()


@pytest.fixture
def kioskd(installed: Installed) -> Iterator[subprocess.Popen[str]]:
    """kioskd --simulate, started as kioskd.service would start it: its
    ExecStart, User, Group and SupplementaryGroups, after systemd-tmpfiles,
    with the sockets of its Sockets= units made and passed as systemd does."""
    root = installed.root
    service = _unit(root, "kioskd.service")["Service"]
    subprocess.run(["systemd-tmpfiles", f"--root={root.path}", "--create",
                    "citycard.conf"], check=True, capture_output=True)
    groups = ",".join([service["Group"], *service["SupplementaryGroups"].split()])
    sockets = [listen(root.path, root.path / "etc" / "systemd" / "system" / name)
               for name in service["Sockets"].split()]
    log = open(installed.tmp / "kioskd.log", "a", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen(
        [*passing(sockets), *root.command(*service["ExecStart"].split(), "--simulate",
                                          user=service["User"], groups=groups)],
        stdout=log, stderr=log, text=True, env=root.env(),
        pass_fds=[s.sock.fileno() for s in sockets])
    try:
        deadline = time.monotonic() + 60
        while True:
            status = operator_kioskctl(root, "status", "--json")
            if status.returncode == 0:
                break
            assert proc.poll() is None, (installed.tmp / "kioskd.log").read_text()[-3000:]
            assert time.monotonic() < deadline, status.stdout + status.stderr
            time.sleep(0.5)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        for listening in sockets:
            listening.close()


def _proc_groups(root: DebianRoot, pid: int) -> list[str]:
    """The groups process ``pid`` runs with, by their names in the root."""
    names = {int(line.split(":")[2]): line.split(":")[0]
             for line in (root.path / "etc/group").read_text().splitlines()}
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    gids = next(line.split()[1:] for line in status if line.startswith("Groups:"))
    return [names.get(int(gid), gid) for gid in gids]


def operator_kioskctl(root: DebianRoot, *args: str) -> subprocess.CompletedProcess[str]:
    """kioskctl as an operator types it: no --config, no --socket."""
    return root.chroot("/opt/citycard/current/venv/bin/kioskctl", *args, user=OPERATOR,
                       timeout=60)


def test_the_release_layout(installed: Installed) -> None:
    root = installed.root.path
    assert installed.link("current") == f"/opt/citycard/releases/{installed.versions[0]}"
    # (the links are absolute, as the kiosk sees them: followed here inside the root)
    release = root / installed.link("current").lstrip("/")
    assert (release / "venv/bin/kioskd").exists()
    assert (release / ".complete").read_text().strip() == installed.versions[0]
    secret = (root / "etc/citycard/kiosk.secret").stat()
    assert oct(secret.st_mode & 0o777) == "0o600"
    passwd = {line.split(":")[0]: int(line.split(":")[2])
              for line in (root / "etc/passwd").read_text().splitlines()}
    assert secret.st_uid == passwd["citycard"]
    config = (root / "etc/citycard/kioskd.toml").read_text()
    assert f'id = "{KIOSK_ID}"' in config and 'url = "https://127.0.0.1:9"' in config
    blacklist = (root / "etc/modprobe.d/citycard-blacklist.conf").read_text()
    assert "blacklist port100" in blacklist
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "kioskd.service").is_symlink()
    assert (wants / "citycard-kiosk.service").is_symlink()
    assert (root / "etc/systemd/system/timers.target.wants/citycard-metrics.timer").is_symlink()
    for socket_unit in ("kioskd-kiosk.socket", "kioskd-admin.socket"):
        assert (root / "etc/systemd/system/sockets.target.wants" / socket_unit).is_symlink()
    assert not (root / "etc/systemd/system/getty.target.wants/getty@tty1.service").exists()


def test_kioskd_runs_as_citycard_and_operators_use_kioskctl_with_no_flags(
        installed: Installed, kioskd: subprocess.Popen[str]) -> None:
    root = installed.root
    status = json.loads(operator_kioskctl(root, "status", "--json").stdout)
    assert status["kiosk_id"] == KIOSK_ID
    assert status["version"] == installed.versions[0]
    owner = root.chroot("stat", "-c", "%U:%G %a", "/run/citycard/admin.sock", check=True)
    assert owner.stdout.split() == ["citycard:citycard-admin", "660"]
    # Made by the socket unit and served by kioskd, which is in neither socket group.
    log = (installed.tmp / "kioskd.log").read_text(encoding="utf-8")
    assert "sockets from systemd: kiosk" in log, log[-3000:]
    kioskd_groups = set(_proc_groups(root, kioskd.pid))
    assert not kioskd_groups & {"citycard-ui", "citycard-admin"}, kioskd_groups
    # The UI's user is not an operator: admin.sock is closed to it.
    refused = root.chroot("/opt/citycard/current/venv/bin/kioskctl", "status", user="kiosk")
    assert refused.returncode == 3, refused.stdout + refused.stderr


def test_the_ui_user_reads_its_config_and_reaches_kiosk_sock_only(
        installed: Installed, kioskd: subprocess.Popen[str]) -> None:
    probe = ("from config import load_config\n"
             "from protocol.localclient import LocalClient\n"
             "cfg = load_config('/etc/citycard/kioskd.toml')\n"
             "print(cfg.kiosk.id, LocalClient(cfg.kiosk_socket).get('/v1/state')['screen'])\n")
    result = installed.root.chroot("/opt/citycard/current/venv/bin/python", "-c", probe,
                                   user="kiosk")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == KIOSK_ID
    secret = installed.root.chroot("cat", "/etc/citycard/kiosk.secret", user="kiosk")
    assert secret.returncode != 0 and "Permission denied" in secret.stderr


def test_systemd_analyze_verify_is_clean(installed: Installed) -> None:
    result = subprocess.run(["systemd-analyze", "verify", f"--root={installed.root.path}",
                             *UNITS], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_an_update_then_a_rollback(installed: Installed) -> None:
    first, second = installed.versions
    update = installed.install("--vars", "/root/kiosk.yml", "--wheel", installed.wheels[1])
    assert update.returncode == 0, update.stdout[-6000:]
    assert installed.link("current") == f"/opt/citycard/releases/{second}"
    assert installed.link("previous") == f"/opt/citycard/releases/{first}"

    rollback = installed.install("--rollback")
    assert rollback.returncode == 0, rollback.stdout[-6000:]
    assert installed.link("current") == f"/opt/citycard/releases/{first}"
    assert installed.link("previous") == f"/opt/citycard/releases/{second}"
    version = installed.root.chroot("/opt/citycard/current/venv/bin/kioskctl", "version",
                                    user=OPERATOR)
    assert version.stdout.strip() == first
