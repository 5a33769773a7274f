"""Run the whole kiosk on one machine: reference central server, kioskd
--simulate and (optionally) the UI, each a real process.

Used by ``make demo`` (``deploy/demo.py``) and by the end-to-end tests, so
both start the system the same way. Everything lives under one work
directory: the central database and the kiosk secret, the daemon's config,
sockets and state.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from protocol.localclient import DaemonUnavailable, LocalClient

__all__ = ["Stack", "write_kiosk_config"]

logger = logging.getLogger(__name__)

BIN = Path(sys.executable).parent


def write_kiosk_config(path: Path, *, central_url: str, secret_file: Path,
                       extra: str = "") -> Path:
    """A kioskd config for a local, simulated kiosk (sockets 0600, state beside it)."""
    path.write_text(f"""# Written by deploy/stack.py for a local simulated kiosk.
[kiosk]
id = "KIOSK-DEV-0001"
terminal_id = "440300000001"
secret_file = "{secret_file}"
language = "zh"

[paths]
run_dir = "run"
state_dir = "state"
socket_mode = 0o600

[central]
url = "{central_url}"
connect_timeout_s = 1.0
read_timeout_s = 5.0

[reader]
path = "sim"

[printer]
backend = "sim"

[ui]
fullscreen = false
{extra}""", encoding="utf-8")
    return path


# As systemd/kioskd.service sets it: glibc's malloc keeps at most two arenas, not
# one per thread that ever allocated (8 per core), each holding its freed pages
# (docs/PERFORMANCE.md, "Bringing kioskd under 60 MB").
KIOSKD_ENV = {"MALLOC_ARENA_MAX": "2"}


class Stack:
    """The processes of one local kiosk, started in order and stopped in reverse."""

    def __init__(self, workdir: Path, *, config_extra: str = "", detach: bool = False) -> None:
        """``detach``: each process in its own session, so a Ctrl-C at the terminal
        reaches only the caller, which then stops them in order (the demo)."""
        self.workdir = workdir.resolve()
        self.detach = detach
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = self.workdir / "central.sqlite"
        self.secret = self.workdir / "kiosk.secret"
        # The central server's own keys (created 0600 on first use): kiosk secrets are
        # stored encrypted under the first, payment-password verifiers peppered with the
        # second (central/keys.py).
        self.server_key = self.workdir / "central.key"
        self.pepper = self.workdir / "central.pepper"
        self.config = self.workdir / "kioskd.toml"
        self.config_extra = config_extra
        self.central_url = ""
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self._logs: list[IO[str]] = []

    # -- processes ---------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], **kw: object) -> subprocess.Popen[str]:
        log = open(self.workdir / f"{name}.log", "a", encoding="utf-8")  # noqa: SIM115
        self._logs.append(log)
        proc = subprocess.Popen(argv, stderr=log, text=True, cwd=self.workdir,  # type: ignore[call-overload]
                                start_new_session=self.detach, **kw)
        self.procs[name] = proc
        return proc

    def seed(self) -> None:
        if not self.db.exists():
            subprocess.run([str(BIN / "citycard-central"), "seed", "--db", str(self.db),
                            "--kiosk-secret", str(self.secret), *self.key_args],
                           check=True)

    @property
    def key_args(self) -> list[str]:
        """The central server's key options, for ``citycard-central`` commands."""
        return ["--secret-key-file", str(self.server_key), "--pepper-file", str(self.pepper)]

    def start_central(self, port: int = 0, args: Sequence[str] = ()) -> str:
        """Start the reference server (``args``: more ``citycard-central serve`` options,
        e.g. ``--daily-load-max``) and return its URL."""
        proc = self._spawn("central", [str(BIN / "citycard-central"), "serve", "--db",
                                       str(self.db), "--host", "127.0.0.1", "--port", str(port),
                                       *self.key_args, *args],
                           stdout=subprocess.PIPE)
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if not first.startswith("listening on "):
            raise RuntimeError(f"central did not start: {first!r}; see {self.workdir}/central.log")
        self.central_url = first.removeprefix("listening on ")
        return self.central_url

    def stop(self, name: str, timeout: float = 10) -> int | None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def start_kioskd(self, env: dict[str, str] | None = None,
                     wrapper: Sequence[str] = ()) -> LocalClient:
        """Start kioskd --simulate (``env`` added to this process's environment;
        ``wrapper``: a command that execs it, e.g. systemd-socket-activate) and
        wait until admin.sock answers."""
        write_kiosk_config(self.config, central_url=self.central_url, secret_file=self.secret,
                           extra=self.config_extra)
        self._spawn("kioskd", [*wrapper, str(BIN / "kioskd"), "--config", str(self.config),
                               "--simulate"],
                    env={**os.environ, **KIOSKD_ENV, **(env or {})})
        admin = self.admin_client
        deadline = time.monotonic() + 30
        while True:
            try:
                admin.get("/v1/admin/status")
                return admin
            except DaemonUnavailable:
                if self.procs["kioskd"].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kioskd did not start; see {self.workdir}/kioskd.log") \
                        from None
                time.sleep(0.1)

    def start_ui(self, probe_dir: Path | None = None,
                 args: Sequence[str] = ()) -> subprocess.Popen[str]:
        argv = [str(BIN / "citycard-kiosk"), "--config", str(self.config), *args]
        if probe_dir is not None:
            argv += ["--probe-dir", str(probe_dir)]
        return self._spawn("ui", argv, env={**os.environ, "KIVY_NO_ARGS": "1"})

    @property
    def kiosk_client(self) -> LocalClient:
        return LocalClient(self.workdir / "run" / "kiosk.sock", timeout=10)

    @property
    def admin_client(self) -> LocalClient:
        return LocalClient(self.workdir / "run" / "admin.sock", timeout=10)

    def kioskctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "kioskctl"), "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=60)

    def close(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)
        for log in self._logs:
            log.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
