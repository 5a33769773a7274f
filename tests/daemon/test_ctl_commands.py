"""kioskctl's command tree: each command, nested ones included, runs its own handler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from daemon.ctl import _parser, main


@pytest.mark.parametrize(("argv", "handler"), [
    (["status"], "_cmd_status"),
    (["version"], "_cmd_version"),
    (["card", "read"], "_cmd_card_read"),
    (["sim", "tap", "03104440300000100017"], "_cmd_sim_tap"),
    (["sim", "remove"], "_cmd_sim_remove"),
    (["sim", "cards"], "_cmd_sim_cards"),
    (["sim", "insert", "50"], "_cmd_sim_insert"),
    (["audit"], "_cmd_audit"),
    (["cashbox"], "_cmd_cashbox"),
    (["cashbox", "collect", "--operator", "li"], "_cmd_cashbox_collect"),
    (["export", "--csv"], "_cmd_export"),
    (["settlement", "--close"], "_cmd_settlement"),
    (["receipts"], "_cmd_receipts"),
    (["reprint", "R1"], "_cmd_reprint"),
    (["maintenance", "on"], "_cmd_maintenance"),
    (["printer", "test"], "_cmd_printer"),
    (["config", "check"], "_cmd_config_check"),
    (["screenshot", "--out", "screen.png"], "_cmd_screenshot"),
])
def test_each_command_has_its_handler(argv: list[str], handler: str) -> None:
    assert _parser().parse_args(argv).func.__name__ == handler


def test_global_options_hold_before_and_after_the_command() -> None:
    before = _parser().parse_args(["--json", "--socket", "/x", "sim", "cards"])
    after = _parser().parse_args(["sim", "cards", "--json", "--socket", "/x"])
    assert (before.json, before.socket) == (after.json, after.socket) == (True, Path("/x"))


def test_a_command_without_a_daemon_exits_3(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--socket", str(tmp_path / "none.sock"), "sim", "cards"]) == 3
    assert "no daemon" in capsys.readouterr().out


def test_kioskctl_starts_without_the_heavy_libraries() -> None:
    """The 150 ms start-up budget (docs/PERFORMANCE.md), held without timing: a fresh
    interpreter that imports kioskctl has loaded no printer stack, no HTTP client
    library and no hardware package."""
    probe = ("import sys, daemon.ctl; print(' '.join(sorted({m.split('.')[0] for m in "
             "sys.modules} & {'escpos', 'PIL', 'requests', 'hardware', 'nfc', 'gpiozero'})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(("clock", "says"), [
    ({"state": "ok", "skew_s": 1.2, "refused": False, "window_s": 300},
     ["clock     ok  1.2 s behind the central side (window ±300 s)"]),
    ({"state": "unknown", "skew_s": None, "refused": False, "window_s": 300},
     ["clock     unknown  not measured yet (window ±300 s)"]),
    ({"state": "skewed", "skew_s": -420.0, "refused": True, "window_s": 300},
     ["clock     skewed  420.0 s ahead of the central side (window ±300 s)",
      "          past the signature window (the central side refuses this kiosk's "
      "timestamp): no top-up, bill or load until it is back; check systemd-timesyncd "
      "(timedatectl timesync-status)"]),
])
def test_status_says_how_far_the_clock_is_off(clock: dict[str, object], says: list[str]) -> None:
    from daemon.ctl import _human_clock

    assert _human_clock(clock).splitlines() == says


def test_screenshot_timeout_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["screenshot", "--out", "x.png", "--timeout", "0"])
    with pytest.raises(SystemExit):
        _parser().parse_args(["screenshot"])  # --out is required
