"""Socket activation: kioskd serves the sockets systemd made and passed on
(here ``systemd-socket-activate``, which passes them as systemd does:
LISTEN_FDS, LISTEN_FDNAMES), keeps their owner and mode, and leaves them in
place when it stops, for the next start."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from deploy.stack import Stack

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                                 reason="needs systemd-socket-activate (package systemd)")]


def test_kioskd_serves_the_sockets_it_is_given(tmp_path: Path) -> None:
    with Stack(tmp_path / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        run = stack.workdir / "run"
        run.mkdir()
        kiosk_sock, admin_sock = run / "kiosk.sock", run / "admin.sock"
        stack.start_kioskd(wrapper=["sh", "-c", 'umask 022 && exec "$@"', "sh",
                                    str(shutil.which("systemd-socket-activate")),
                                    "-l", str(kiosk_sock), "-l", str(admin_sock),
                                    "--fdname=kiosk:admin"])
        inodes = {p: p.stat().st_ino for p in (kiosk_sock, admin_sock)}
        # The mode systemd-socket-activate gave them (from its umask), not the
        # socket_mode of the stack's config (0600): kioskd did not bind them again.
        assert all(stat.S_IMODE(p.stat().st_mode) != 0o600 for p in inodes)
        assert stack.kiosk_client.state().screen == "attract"
        assert stack.admin_client.get("/v1/admin/status")["kiosk_id"]
        assert stack.stop("kioskd") == 0
        log = (stack.workdir / "kioskd.log").read_text("utf-8")
        assert "sockets from systemd: kiosk" in log and "admin (" in log
        # Left for the next start (systemd keeps listening on them meanwhile).
        assert {p: p.stat().st_ino for p in inodes} == inodes


def test_without_systemd_kioskd_binds_its_own(tmp_path: Path) -> None:
    with Stack(tmp_path / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        kiosk_sock = stack.workdir / "run" / "kiosk.sock"
        assert stat.S_IMODE(kiosk_sock.stat().st_mode) == 0o600  # the config's socket_mode
        assert stack.stop("kioskd") == 0
        assert not kiosk_sock.exists()
