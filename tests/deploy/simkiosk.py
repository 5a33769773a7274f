"""A simulated kiosk on this machine for the fleet playbooks (update.yml,
rotate-secret.yml, collect-cash.yml), as an inventory host with
ansible_connection=local.

The releases live under a temporary prefix, already built (their .complete
marker is there, so the role's release tasks only switch the links): a
healthy one runs this venv's kioskd, a broken one a kioskd that exits at
once. kioskd is not a systemd service here: citycard_restart_command
restarts it from whatever ``current`` points at.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import yaml

from deploy.stack import Stack, write_kiosk_config
from protocol.localclient import DaemonUnavailable, LocalClient
from tests.deploy.tools import ANSIBLE_DIR, run, tool

BIN = Path(sys.executable).parent
CARD = "03104440300000100017"  # the demo card (tests/e2e/sessionkit.py)

@dataclass
class Kiosk:
    stack: Stack
    prefix: Path
    inventory: Path
    restart: Path

    def playbook(self, name: str, *args: str, **extra: object) -> subprocess.CompletedProcess[str]:
        """``name`` run against this kiosk, polling every second."""
        return run([tool("ansible-playbook"), "-i", str(self.inventory), str(ANSIBLE_DIR / name),
                    *args, "-e", json.dumps({"citycard_update_poll_s": 1,
                                             "citycard_health_retries": 5,
                                             "citycard_health_delay": 1, **extra})],
                   timeout=300)

    def update(self, version: str, **extra: object) -> subprocess.CompletedProcess[str]:
        wheel = f"/nowhere/citycard_kiosk-{version}-py3-none-any.whl"  # already built
        return self.playbook("update.yml", "-e", f"citycard_wheel={wheel}", **extra)

    def link(self, name: str) -> str:
        return Path(os.readlink(self.prefix / name)).name

    def status(self) -> dict[str, object]:
        return self.stack.admin_client.get("/v1/admin/status")

    def start(self) -> None:
        subprocess.run([str(self.restart)], check=True, timeout=30)
        wait_until_up(self.stack.admin_client)


def wait_until_up(client: LocalClient, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.get("/v1/admin/status")
            return
        except DaemonUnavailable:
            assert time.monotonic() < deadline, "kioskd did not come up"
            time.sleep(0.2)


def release(prefix: Path, version: str, *, broken: bool = False) -> None:
    """An already built release: kioskctl and kioskd from this venv, or a kioskd that dies."""
    venv = prefix / "releases" / version / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "kioskctl").symlink_to(BIN / "kioskctl")
    if broken:
        (venv / "kioskd").write_text("#!/bin/sh\necho 'kioskd: broken release' >&2\nexit 3\n")
        (venv / "kioskd").chmod(0o755)
    else:
        (venv / "kioskd").symlink_to(BIN / "kioskd")
    (prefix / "releases" / version / ".complete").write_text(version + "\n")


@contextmanager
def simulated_kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    """Central, and kioskd --simulate started from release 0.0.9 of ``tmp_path/opt``."""
    prefix = tmp_path / "opt"
    release(prefix, "0.0.9")
    release(prefix, "0.1.0")  # what this venv's kioskd reports
    release(prefix, "0.2.0", broken=True)
    (prefix / "current").symlink_to(prefix / "releases" / "0.0.9")
    with Stack(tmp_path / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        write_kiosk_config(stack.config, central_url=stack.central_url, secret_file=stack.secret)
        pidfile = stack.workdir / "kioskd.pid"
        restart = tmp_path / "restart.sh"
        restart.write_text(f"""#!/bin/sh
# kioskd --simulate restarted from {prefix}/current, detached from the caller.
if [ -f {pidfile} ]; then
  kill "$(cat {pidfile})" 2>/dev/null
  while kill -0 "$(cat {pidfile})" 2>/dev/null; do sleep 0.1; done
fi
cd {stack.workdir}
setsid {prefix}/current/venv/bin/kioskd --config {stack.config} --simulate \\
  >>{stack.workdir}/kioskd.log 2>&1 </dev/null &
echo $! > {pidfile}
""")
        restart.chmod(0o755)
        inventory = tmp_path / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"kiosks": {"hosts": {"kiosk-sim": {
            "ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_become": False,
            "citycard_prefix": str(prefix),
            "citycard_kioskctl": str(BIN / "kioskctl"),
            "citycard_config_file": str(stack.config),
            "citycard_restart_command": str(restart),
            "citycard_kiosk_id": "KIOSK-DEV-0001", "citycard_terminal_id": "440300000001",
            "citycard_central_url": stack.central_url,
            "citycard_kiosk_secret": "not-used-by-the-update-0123456789",
            "citycard_secret_file": str(stack.secret), "citycard_secret_owner": "root"}}}}))
        k = Kiosk(stack, prefix, inventory, restart)
        try:
            k.start()
            yield k
        finally:
            if pidfile.exists():
                with suppress(ProcessLookupError):
                    os.kill(int(pidfile.read_text()), signal.SIGTERM)


