"""daemon.metrics.render: the Prometheus text built from admin.sock's answers,
checked line by line and by promtool (Debian's prometheus package)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from daemon.metrics import Sources, parse_show, render, unit_states, write_atomically

NOW = 1_796_189_400.0

STATUS: dict[str, Any] = {
    "kiosk_id": "KIOSK-SZ-0001", "version": "0.1.0", "simulate": False, "uptime_s": 400.0,
    "screen": "attract", "maintenance": None,
    "devices": {
        "reader": {"state": "ready", "path": "usb:054c:06c3", "taps": 3},
        "printer": {"name": "usb", "status": {"state": "paper_out", "paper": "out"}},
        "cash": {"inhibited": True, "reason": "offline", "decoding": False,
                 "faults": ["jam"], "noise_spikes": 4},
    },
    "central": {"url": "https://central.example", "link": "down",
                "last_ok_at": 1_796_189_000.5, "last_error": "timeout"},
    "clock": {"state": "skewed", "skew_s": -412.3, "measured_at": 1_796_189_000.5,
              "refused": True, "window_s": 300},
    "outbox": {"depth": 7, "parked": [{"key": "k1", "error": "bad_request"}]},
}
CASHBOX: dict[str, Any] = {
    "short": {"notes": {"5000": 3, "10000": 2, "100": 10}, "unidentified": 1},
    "long": {"notes": {"5000": 30, "10000": 12, "100": 50}, "unidentified": 2},
    "last_collection_at": "2026-11-30T18:00:00", "short_fen": 36000, "long_fen": 275000,
}
AUDIT: dict[str, Any] = {
    "sessions": [{"holds": True}, {"holds": False}, {"holds": True}],
    "totals": {"cash_in_fen": 36000, "credited_fen": 30000, "pending_fen": 5000,
               "owed_fen": 0, "unidentified": 1, "unattributed_fen": 0},
    "holds": False,
}
TODAY: dict[str, Any] = {
    "sessions": [{"kind": "topup", "state": "finished"}, {"kind": "topup", "state": "finished"},
                 {"kind": "bill", "state": "cancelled"}],
    "orders": [
        {"kind": "load", "state": "completed", "amount_fen": 5000,
         "steps": [{"step": "created", "detail": {}}]},
        {"kind": "load", "state": "completed", "amount_fen": 10000, "steps": []},
        {"kind": "load", "state": "refused", "amount_fen": 2000,
         "steps": [{"step": "refused", "detail": {"code": "card_lost", "message": "lost"}}]},
    ],
    "receipts": [{"printed_at": None}, {"printed_at": 1.0}],
}
UNITS = {"kioskd.service": {"Id": "kioskd.service", "NRestarts": "2", "ActiveState": "active"},
         "citycard-kiosk.service": {"Id": "citycard-kiosk.service", "NRestarts": "5",
                                    "ActiveState": "failed"}}


def full() -> Sources:
    return Sources(status=STATUS, audit=AUDIT, cashbox=CASHBOX, today=TODAY, units=UNITS)


def samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: run `make syspkgs` (deploy/syspkgs.sh) as root"
    return subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)


def test_every_figure_the_alerts_use() -> None:
    got = samples(render(full(), now=NOW))
    assert got["citycard_kioskd_up"] == 1
    assert got['citycard_central_link_up'] == 0
    assert got['citycard_central_link_state{state="down"}'] == 1
    assert got['citycard_central_link_state{state="up"}'] == 0
    assert got['citycard_printer_state{state="paper_out"}'] == 1
    assert got['citycard_printer_state{state="ok"}'] == 0
    assert got["citycard_acceptor_inhibited"] == 1
    assert got['citycard_acceptor_inhibit_reason{reason="offline"}'] == 1
    assert got['citycard_acceptor_fault{fault="jam"}'] == 1
    assert got['citycard_cashbox_notes{denomination_fen="5000"}'] == 3
    assert got['citycard_cashbox_notes_since_install_total{denomination_fen="10000"}'] == 12
    assert got["citycard_cashbox_pieces"] == 16  # 15 notes and coins + 1 unidentified
    assert got["citycard_cashbox_fen"] == 36000
    assert got["citycard_audit_holds"] == 0
    assert got["citycard_audit_failing_sessions"] == 1
    assert got['citycard_audit_fen{part="pending"}'] == 5000
    assert got['citycard_clock_state{state="skewed"}'] == 1
    assert got['citycard_clock_state{state="ok"}'] == 0
    assert got["citycard_clock_skew_seconds"] == -412.3
    assert got["citycard_clock_skew_window_seconds"] == 300
    assert got["citycard_outbox_depth"] == 7
    assert got["citycard_outbox_parked"] == 1
    assert got['citycard_sessions_today{kind="topup",state="finished"}'] == 2
    assert got['citycard_orders_today_fen{kind="load",state="completed"}'] == 15000
    assert got['citycard_order_errors_today{code="card_lost"}'] == 1
    assert got["citycard_receipts_unprinted_today"] == 1
    assert got['citycard_unit_restarts_total{unit="citycard-kiosk.service"}'] == 5
    assert got['citycard_unit_active{unit="citycard-kiosk.service"}'] == 0
    assert got["citycard_kioskd_start_time_seconds"] == NOW - 400
    assert got['citycard_info{kiosk_id="KIOSK-SZ-0001",version="0.1.0",simulate="false"}'] == 1


def test_the_text_passes_promtool() -> None:
    result = promtool_check(render(full(), now=NOW))
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def test_promtool_check_can_fail() -> None:
    """The check above is a real one: a counter without _total is reported."""
    text = render(full(), now=NOW).replace("citycard_unit_restarts_total",
                                           "citycard_unit_restarts")
    result = promtool_check(text)
    assert result.returncode != 0 and '"_total" suffix' in result.stderr


def test_a_daemon_that_does_not_answer_is_a_metric() -> None:
    text = render(Sources(units=UNITS), now=NOW)
    got = samples(text)
    assert got["citycard_kioskd_up"] == 0
    assert not any(name.startswith("citycard_cashbox") for name in got)
    assert promtool_check(text).returncode == 0


def test_a_state_not_known_yet_is_written_beside_the_known_ones() -> None:
    status = copy.deepcopy(STATUS)
    status["devices"]["printer"]["status"]["state"] = "head_hot"
    got = samples(render(Sources(status=status), now=NOW))
    assert got['citycard_printer_state{state="head_hot"}'] == 1
    assert got['citycard_printer_state{state="paper_out"}'] == 0


def test_a_clock_not_measured_yet_has_a_state_and_no_skew() -> None:
    status = copy.deepcopy(STATUS)
    status["clock"] = {"state": "unknown", "skew_s": None, "measured_at": None,
                       "refused": False, "window_s": 300}
    got = samples(render(Sources(status=status), now=NOW))
    assert got['citycard_clock_state{state="unknown"}'] == 1
    assert "citycard_clock_skew_seconds" not in got


def test_label_values_are_escaped() -> None:
    status = copy.deepcopy(STATUS)
    status["version"] = '1.0 "rc\\1"\nx'
    text = render(Sources(status=status), now=NOW)
    assert 'version="1.0 \\"rc\\\\1\\"\\nx"' in text
    assert promtool_check(text).returncode == 0


def test_no_systemd_gives_no_unit_figures() -> None:
    # A unit systemd does not know (or no systemd at all, as in CI) gives nothing.
    assert unit_states(["no-such-unit-citycard.service"]) == {}


def test_systemctl_show_is_read_per_unit_and_unknown_units_left_out() -> None:
    text = ("Id=kioskd.service\nLoadState=loaded\nNRestarts=3\nActiveState=active\n\n"
            "Id=citycard-kiosk.service\nLoadState=not-found\nNRestarts=0\n"
            "ActiveState=inactive\n")
    states = parse_show(text, ["kioskd.service", "citycard-kiosk.service"])
    assert states == {"kioskd.service": {"Id": "kioskd.service", "LoadState": "loaded",
                                         "NRestarts": "3", "ActiveState": "active"}}
    got = samples(render(Sources(units=states), now=NOW))
    assert got['citycard_unit_restarts_total{unit="kioskd.service"}'] == 3


def test_write_atomically_leaves_one_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "citycard.prom"
    target.write_text("old\n")
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["citycard.prom"]


def test_write_atomically_into_a_missing_directory_fails_and_leaves_nothing(
        tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "citycard.prom", "x\n")
    assert list(tmp_path.iterdir()) == []
