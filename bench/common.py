"""What the benchmarks share: a percentile, a simulated kiosk with RF latency on
every APDU, and writing a results file with the machine it ran on."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from deploy.stack import Stack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency_stack(workdir: Path, latency_ms: float) -> Stack:
    """central + kioskd --simulate (not yet started) whose virtual cards answer
    each APDU after ``latency_ms``."""
    return Stack(workdir, config_extra=f"\n[sim]\nrf_latency_ms = {int(latency_ms)}\n")


# A long run loads far more than a card's daily limit (¥1000 by default) allows.
LONG_RUN_LIMITS = "\n[limits]\ndaily_load_max_fen = 10000000\n"
LONG_RUN_CENTRAL_ARGS = ("--daily-load-max", "10000000")


def long_run_stack(workdir: Path) -> Stack:
    """central + kioskd --simulate (not yet started) whose daily load limit (kiosk and
    central side) a long benchmark does not reach; start central with
    :data:`LONG_RUN_CENTRAL_ARGS`."""
    return Stack(workdir, config_extra=LONG_RUN_LIMITS)


def no_blacklist_args(workdir: Path) -> tuple[str, ...]:
    """``citycard-central serve`` options for a benchmark that loads the same few cards
    many times an hour: the risk monitor still raises its alerts, but does not
    blacklist the card (``auto_blacklist = false``), which would end the run at the
    sixth load of a card within an hour (central/risk/settings.py)."""
    path = workdir / "risk-bench.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[risk]\nauto_blacklist = false\n", encoding="utf-8")
    return ("--risk-config", str(path))


def save(name: str, results: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` with the machine's description."""
    out = RESULTS / f"{name}.json"
    body = {"machine": {"python": platform.python_version(), "machine": platform.machine()},
            **results}
    out.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {out}")
    return out
