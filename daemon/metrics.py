"""``kioskctl metrics``: the kiosk's state in the Prometheus text format, for
node_exporter's textfile collector (systemd/citycard-metrics.timer) and the
alert rules in deploy/prometheus/.

:func:`render` is pure: it builds the text from what admin.sock already
answers (``/v1/admin/status``, ``/v1/admin/audit``, ``/v1/admin/cashbox``,
today's ``/v1/admin/export``) and the units' restart counts. :func:`collect`
fetches those; :func:`write_atomically` puts the text where node_exporter
reads it without ever showing it half a file.

A kioskd that does not answer is a metric too (``citycard_kioskd_up 0``), not
a failure: the alert on it needs the file written.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from protocol.localclient import DaemonUnavailable, LocalClient

__all__ = ["Sources", "collect", "parse_show", "render", "unit_states", "write_atomically"]

UNITS = ("kioskd.service", "citycard-kiosk.service")
# Every state is written, 0 or 1, so an alert on one never sees it vanish.
CLOCK_STATES = ("ok", "skewed", "unknown")
PRINTER_STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "unknown")
LINK_STATES = ("up", "down", "unauthorized", "unknown")


@dataclass(frozen=True)
class Sources:
    """What the metrics are made of; None where kioskd did not answer."""

    status: Mapping[str, Any] | None = None
    audit: Mapping[str, Any] | None = None
    cashbox: Mapping[str, Any] | None = None
    today: Mapping[str, Any] | None = None  # /v1/admin/export since local midnight
    units: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # systemctl show


class _Text:
    """Metric families in the order first named, each with HELP and TYPE."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, list[str]]] = {}

    def add(self, name: str, kind: str, help_text: str, value: float,
            labels: Mapping[str, str] | None = None) -> None:
        family = self._families.setdefault(name, (kind, help_text, []))
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in (labels or {}).items())
        family[2].append(f"{name}{{{label_text}}} {_number(value)}" if label_text
                         else f"{name} {_number(value)}")

    def text(self) -> str:
        lines: list[str] = []
        for name, (kind, help_text, samples) in self._families.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _one_of(out: _Text, name: str, help_text: str, label: str, current: str,
            known: Iterable[str]) -> None:
    for state in dict.fromkeys([*known, current]):
        out.add(name, "gauge", help_text, 1 if state == current else 0, {label: state})


def render(src: Sources, *, now: float) -> str:
    """The Prometheus text exposition of ``src``."""
    out = _Text()
    status = src.status
    out.add("citycard_kioskd_up", "gauge", "1 if kioskd answered on admin.sock",
            1 if status is not None else 0)
    out.add("citycard_metrics_generated_timestamp_seconds", "gauge",
            "When kioskctl metrics ran (Unix time)", round(now, 3))
    _units(out, src.units)
    if status is not None:
        _status(out, status, now)
    if src.cashbox is not None:
        _cashbox(out, src.cashbox)
    if src.audit is not None:
        _audit(out, src.audit)
    if src.today is not None:
        _today(out, src.today)
    return out.text()


def _units(out: _Text, units: Mapping[str, Mapping[str, str]]) -> None:
    for unit, props in units.items():
        if props.get("NRestarts", "").isdigit():
            out.add("citycard_unit_restarts_total", "counter",
                    "Automatic restarts of the unit since it was last started by hand or at boot",
                    int(props["NRestarts"]), {"unit": unit})
        if "ActiveState" in props:
            out.add("citycard_unit_active", "gauge",
                    "1 if the unit is active (a UI in a crash loop ends up failed, 0)",
                    1 if props["ActiveState"] == "active" else 0, {"unit": unit})


def _status(out: _Text, s: Mapping[str, Any], now: float) -> None:
    out.add("citycard_info", "gauge", "The kiosk and its software (value always 1)", 1,
            {"kiosk_id": str(s["kiosk_id"]), "version": str(s["version"]),
             "simulate": "true" if s.get("simulate") else "false"})
    out.add("citycard_kioskd_start_time_seconds", "gauge", "When kioskd started (Unix time)",
            round(now - float(s["uptime_s"]), 1))
    out.add("citycard_maintenance", "gauge", "1 while the kiosk is out of service",
            1 if s.get("maintenance") else 0)
    central = s["central"]
    out.add("citycard_central_link_up", "gauge", "1 if the last probe of the central API succeeded",
            1 if central["link"] == "up" else 0)
    _one_of(out, "citycard_central_link_state", "The central link's state (1 for the current one)",
            "state", str(central["link"]), LINK_STATES)
    if central.get("last_ok_at"):
        out.add("citycard_central_last_ok_timestamp_seconds", "gauge",
                "When the central API last answered (Unix time)", float(central["last_ok_at"]))
    clock = s.get("clock")
    if clock:
        _one_of(out, "citycard_clock_state",
                "This kiosk's clock against the central side's (1 for the current state; "
                "skewed: no money moves)", "state", str(clock["state"]), CLOCK_STATES)
        if clock.get("skew_s") is not None:
            out.add("citycard_clock_skew_seconds", "gauge",
                    "The central side's clock minus this kiosk's, last measured",
                    float(clock["skew_s"]))
        out.add("citycard_clock_skew_window_seconds", "gauge",
                "The signature window: past it the central side refuses this kiosk",
                int(clock["window_s"]))
    devices = s["devices"]
    if "reader" in devices:
        out.add("citycard_reader_ready", "gauge", "1 if the card reader is ready",
                1 if devices["reader"]["state"] == "ready" else 0)
    if "printer" in devices:
        _one_of(out, "citycard_printer_state",
                "The receipt printer's state (1 for the current one)", "state",
                str(devices["printer"]["status"]["state"]), PRINTER_STATES)
    if "cash" in devices:
        cash = devices["cash"]
        out.add("citycard_acceptor_inhibited", "gauge",
                "1 while the acceptor is inhibited (takes no money)", 1 if cash["inhibited"] else 0)
        out.add("citycard_acceptor_inhibit_reason", "gauge",
                "Why the acceptor is inhibited or accepting (1 for the current reason)", 1,
                {"reason": str(cash["reason"])})
        out.add("citycard_acceptor_faults", "gauge", "Fault inputs the acceptor raises now",
                len(cash["faults"]))
        for fault in cash["faults"]:
            out.add("citycard_acceptor_fault", "gauge", "1 for each fault input raised now", 1,
                    {"fault": str(fault)})
        out.add("citycard_acceptor_noise_spikes_total", "counter",
                "Pulses too short to count, since kioskd started", int(cash["noise_spikes"]))
    outbox = s.get("outbox")
    if outbox is not None:
        out.add("citycard_outbox_depth", "gauge", "Events waiting for the central side",
                int(outbox["depth"]))
        out.add("citycard_outbox_parked", "gauge",
                "Events the central side refused (never retried by themselves)",
                len(outbox["parked"]))


def _cashbox(out: _Text, c: Mapping[str, Any]) -> None:
    for counter, name, kind, help_text in (
            ("short", "citycard_cashbox_notes", "gauge",
             "Notes and coins in the cashbox now, by denomination (since the last collection)"),
            ("long", "citycard_cashbox_notes_since_install_total", "counter",
             "Notes and coins stacked since install, by denomination")):
        for fen, count in sorted(c[counter]["notes"].items(), key=lambda kv: int(kv[0])):
            out.add(name, kind, help_text, int(count), {"denomination_fen": str(fen)})
    short = c["short"]
    out.add("citycard_cashbox_pieces", "gauge",
            "Pieces in the cashbox now, unidentified ones included",
            sum(int(n) for n in short["notes"].values()) + int(short["unidentified"]))
    out.add("citycard_cashbox_unidentified", "gauge",
            "Pieces of unknown value in the cashbox now", int(short["unidentified"]))
    out.add("citycard_cashbox_fen", "gauge", "Cash in the cashbox now, in fen",
            int(c["short_fen"]))
    if c.get("last_collection_at"):
        last = c["last_collection_at"]
        at = datetime.fromisoformat(last).timestamp() if isinstance(last, str) else float(last)
        out.add("citycard_cashbox_last_collection_timestamp_seconds", "gauge",
                "When the cashbox was last collected (Unix time)", round(at, 1))


def _audit(out: _Text, a: Mapping[str, Any]) -> None:
    out.add("citycard_audit_holds", "gauge",
            "1 if cash in = credited + pending + owed for every top-up session",
            1 if a["holds"] else 0)
    out.add("citycard_audit_failing_sessions", "gauge",
            "Top-up sessions where cash in = credited + pending + owed does not hold",
            sum(1 for s in a["sessions"] if not s["holds"]))
    totals = a["totals"]
    for part in ("cash_in", "credited", "pending", "owed", "unattributed"):
        out.add("citycard_audit_fen", "gauge", "The audit's totals since install, in fen",
                int(totals[f"{part}_fen"]), {"part": part})


def _today(out: _Text, t: Mapping[str, Any]) -> None:
    sessions: dict[tuple[str, str], int] = {}
    for s in t["sessions"]:
        key = (str(s["kind"]), str(s["state"]))
        sessions[key] = sessions.get(key, 0) + 1
    for (kind, state), count in sorted(sessions.items()):
        out.add("citycard_sessions_today", "gauge", "Sessions started today (local time)",
                count, {"kind": kind, "state": state})
    orders: dict[tuple[str, str], list[int]] = {}
    errors: dict[str, int] = {}
    for o in t["orders"]:
        figure = orders.setdefault((str(o["kind"]), str(o["state"])), [0, 0])
        figure[0] += 1
        figure[1] += int(o["amount_fen"])
        for step in o.get("steps", ()):
            code = step.get("detail", {}).get("code") if isinstance(step.get("detail"), dict) \
                else None
            if isinstance(code, str):
                errors[code] = errors.get(code, 0) + 1
    for (kind, state), (count, fen) in sorted(orders.items()):
        labels = {"kind": kind, "state": state}
        out.add("citycard_orders_today", "gauge", "Orders created today (local time)",
                count, labels)
        out.add("citycard_orders_today_fen", "gauge",
                "Amounts of the orders created today, in fen", fen, labels)
    for code, count in sorted(errors.items()):
        out.add("citycard_order_errors_today", "gauge",
                "Order steps refused today, by the central side's error code", count,
                {"code": code})
    unprinted = sum(1 for r in t.get("receipts", ()) if not r.get("printed_at"))
    out.add("citycard_receipts_unprinted_today", "gauge",
            "Receipts of today that could not be printed (yet)", unprinted)


def collect(client: LocalClient, *, now: float, units: Iterable[str] = UNITS) -> Sources:
    """Ask kioskd (and systemd) for everything :func:`render` needs."""
    unit_props = unit_states(units)
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0,
                                                   microsecond=0).timestamp()
    try:
        return Sources(status=client.get("/v1/admin/status"),
                       audit=client.get("/v1/admin/audit"),
                       cashbox=client.get("/v1/admin/cashbox"),
                       today=client.get(f"/v1/admin/export?since={midnight:.0f}", timeout=30),
                       units=unit_props)
    except DaemonUnavailable:
        return Sources(units=unit_props)


def unit_states(units: Iterable[str]) -> dict[str, dict[str, str]]:
    """NRestarts and ActiveState of each unit, from systemctl; {} where there is
    no systemd (a container, a developer's machine)."""
    names = list(units)
    try:
        result = subprocess.run(
            ["systemctl", "show", "--property=Id,LoadState,NRestarts,ActiveState", *names],
            capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_show(result.stdout, names) if result.returncode == 0 else {}


def parse_show(text: str, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """``systemctl show`` output (a block of KEY=value lines per unit) by unit."""
    names = list(names)
    states: dict[str, dict[str, str]] = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        # A unit this machine does not have is shown too, as LoadState=not-found.
        if props.get("Id") in names and props.get("LoadState") == "loaded":
            states[props["Id"]] = props
    return states


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` through a temporary file in the same directory
    and a rename, readable by all (node_exporter runs as its own user)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
