"""kioskd as systemd runs it: the notify protocol, a clean stop on SIGTERM, and
start-up failures as one log line and an exit status; kioskctl with no daemon."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from deploy.stack import BIN, Stack
from tests.daemon.faultproxy import FaultProxy, Rule


def _datagrams(sock: socket.socket, until: float) -> list[str]:
    got = []
    while time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return got


def test_ready_after_recovery_watchdog_while_serving_stopping_on_sigterm(
        tmp_path: Path) -> None:
    notify_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify, \
            Stack(tmp_path / "kiosk") as stack:
        notify.bind(str(notify_path))
        stack.seed()
        stack.start_central()
        # WATCHDOG_USEC of 1 s: systemd expects WATCHDOG=1 at least every second.
        stack.start_kioskd(env={"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "1000000"})
        messages = _datagrams(notify, time.monotonic() + 2.5)
        ready = next(i for i, m in enumerate(messages) if m.startswith("READY=1\n"))
        before = messages[:ready]
        assert "STATUS=recovering unfinished orders" in before
        assert "STATUS=recovered 0 orders" in before
        assert not any(m.startswith("WATCHDOG=1") for m in before)  # not before it serves
        assert messages[ready].startswith("READY=1\nSTATUS=serving on ")
        assert sum(m == "WATCHDOG=1" for m in messages[ready:]) >= 3  # every 0.5 s

        run = stack.workdir / "run"
        assert (run / "kiosk.sock").exists() and (run / "admin.sock").exists()
        assert stack.stop("kioskd") == 0  # SIGTERM: a clean stop
        assert "STOPPING=1" in _datagrams(notify, time.monotonic() + 1.0)
        assert not (run / "kiosk.sock").exists() and not (run / "admin.sock").exists()
        log = (stack.workdir / "kioskd.log").read_text("utf-8")
        assert "signal SIGTERM received" in log and "kioskd stopping" in log


def test_an_invalid_config_is_exit_2_with_every_problem_named(tmp_path: Path) -> None:
    config = tmp_path / "kioskd.toml"
    config.write_text('[kiosk]\nlanguage = "fr"\n[printer]\npaper_width_mm = 76\n',
                      encoding="utf-8")
    done = subprocess.run([str(BIN / "kioskd"), "--config", str(config), "--simulate"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert f"config: {config}: kiosk.language:" in done.stderr
    assert f"config: {config}: printer.paper_width_mm:" in done.stderr


def test_a_start_up_failure_is_exit_3_with_one_line_and_no_socket(tmp_path: Path) -> None:
    with Stack(tmp_path / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.secret.chmod(0o644)  # a secret others can read: kioskd must refuse it
        with pytest.raises(RuntimeError, match="kioskd did not start"):
            stack.start_kioskd()
        proc = stack.procs["kioskd"]
        assert proc.wait(10) == 3
        log = (stack.workdir / "kioskd.log").read_text("utf-8")
        lines = [line for line in log.splitlines() if "could not start" in line]
        assert len(lines) == 1 and "secrets must be 0600" in lines[0]
        assert not (stack.workdir / "run" / "admin.sock").exists()


def test_kioskctl_with_no_daemon_is_exit_3_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "kioskd.toml"
    config.write_text('[paths]\nrun_dir = "run"\nstate_dir = "state"\n', encoding="utf-8")
    done = subprocess.run([str(BIN / "kioskctl"), "--config", str(config), "--json", "status"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 3
    answer = json.loads(done.stdout)
    assert answer["error"] == "daemon_unavailable" and "admin.sock" in answer["message"]


def test_watchdog_keeps_coming_while_the_central_side_stalls(tmp_path: Path) -> None:
    """The central side takes longer than the read timeout to answer: the link work
    waits, the watchdog does not (systemd would kill kioskd after WatchdogSec)."""
    notify_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify, \
            Stack(tmp_path / "kiosk") as stack:
        notify.bind(str(notify_path))
        stack.seed()
        proxy = FaultProxy(stack.start_central())
        try:
            stack.central_url = proxy.url  # kioskd talks to the central side through it
            # WATCHDOG_USEC of 2 s: WATCHDOG=1 expected at least every 2 s.
            stack.start_kioskd(env={"NOTIFY_SOCKET": str(notify_path),
                                    "WATCHDOG_USEC": "2000000"})
            _datagrams(notify, time.monotonic() + 1.0)  # up to READY and a first WATCHDOG
            proxy.rules.append(Rule("GET", "", "slow", delay_s=8.0, times=1000))
            proxy.rules.append(Rule("POST", "", "slow", delay_s=8.0, times=1000))
            arrivals: list[float] = []
            until = time.monotonic() + 9.0
            while time.monotonic() < until:
                notify.settimeout(max(0.01, until - time.monotonic()))
                try:
                    if notify.recv(4096) == b"WATCHDOG=1":
                        arrivals.append(time.monotonic())
                except TimeoutError:
                    break
            assert any(m == "slow" for _, _, m in proxy.log)  # the stall did happen
            gaps = [b - a for a, b in itertools.pairwise(arrivals)]
            assert len(arrivals) >= 5 and max(gaps) < 2.0, gaps
            deadline = time.monotonic() + 15
            status = json.loads(stack.kioskctl("--json", "status").stdout)
            while status["central"]["link"] != "down" and time.monotonic() < deadline:
                time.sleep(0.5)
                status = json.loads(stack.kioskctl("--json", "status").stdout)
            assert status["central"]["link"] == "down"  # the stalled probe timed out
        finally:
            stack.close()
            proxy.close()
