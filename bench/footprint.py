"""kioskd's memory and kioskctl's start-up, against their budgets.

    .venv/bin/python -m bench.footprint                 # 240 top-ups, 30 kioskctl runs
    .venv/bin/python -m bench.footprint --topups 20 --runs 10

The whole kiosk runs as processes (deploy/stack.py): the reference central
server and ``kioskd --simulate``. kioskd's resident set (``VmRSS``) is read
from /proc once it answers, and after every 20 cash top-ups (tap, insert ¥10,
finish: card, central calls, journal, receipt), with its peak (``VmHWM``):
budget 60 MB. What kioskd keeps in memory is bounded (the last 256 events for
reconnecting clients, the printer's last 50 receipts — with PNG previews when
simulated), so the series should level off once those are full. The central
server runs with ``auto_blacklist = false``: the risk monitor would blacklist
the three cards at their sixth load within the hour.

``kioskctl status`` is timed as an operator meets it — a new process, from
exec to exit, reading the config and asking kioskd on admin.sock — beside
``kioskctl version`` (no socket), importing the local API's models
(``protocol.local``: msgspec and every model) and a bare ``python -c pass``
(the floor):
budget 150 ms. Results go to ``bench/results/footprint.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import latency_stack, no_blacklist_args, pct, save
from bench.topup_latency import _one_topup

BIN = Path(sys.executable).parent
RSS_BUDGET_MB = 60.0
# ¥10 each, taken in turn, so no card reaches its daily limit or balance cap in 240
# (config/sim/demo-cards.toml: the active ones)
CARDS = ("03104440300000100017", "03104440300000100025", "31044403000000100033")
START_BUDGET_MS = 150.0


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (the peak so far) of ``pid``, in MB."""
    wanted = {"VmRSS:": "rss_mb", "VmHWM:": "peak_mb"}
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(maxsplit=1)[0]
        if key in wanted:
            found[wanted[key]] = round(int(line.split()[1]) / 1024, 1)
    return found


def _wall_ms(argv: list[str], runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(pct(samples, 0.5), 1), "p95_ms": round(pct(samples, 0.95), 1),
            "max_ms": round(max(samples), 1)}


def measure(topups: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, latency_stack(Path(tmp) / "k", 0.0) as stack:
        stack.seed()
        stack.start_central(args=no_blacklist_args(Path(tmp)))
        stack.start_kioskd()
        pid = stack.procs["kioskd"].pid
        time.sleep(1.0)  # past the first link round
        series = [{"topups": 0, **_memory_mb(pid)}]
        for done in range(1, topups + 1):
            _one_topup(stack, CARDS[done % len(CARDS)])
            if done % 20 == 0 or done == topups:
                series.append({"topups": done, **_memory_mb(pid)})
        # as an operator runs it: the config names the socket
        status = [str(BIN / "kioskctl"), "--config", str(stack.config), "status"]
        _wall_ms(status, 3)  # warm the page cache
        startup = {
            "python -c pass": _wall_ms([sys.executable, "-c", "pass"], runs),
            # what the typed models cost kioskctl: msgspec and every local API model
            "import protocol.local": _wall_ms([sys.executable, "-c", "import protocol.local"],
                                              runs),
            "kioskctl version": _wall_ms([str(BIN / "kioskctl"), "version"], runs),
            "kioskctl status": _wall_ms(status, runs),
        }
    return {"kioskd": {"memory": series, "budget_mb": RSS_BUDGET_MB},
            "startup": startup, "startup_budget_ms": START_BUDGET_MS, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topups", type=int, default=240)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    results = measure(args.topups, args.runs)
    print(json.dumps(results, indent=2))
    save("footprint", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
