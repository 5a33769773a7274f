"""The touchscreen app's start against a bare Kivy app's (the floor).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m bench.kiosk_start

Both are started as processes in the same way and timed to their first drawn
frame: ``citycard-kiosk --probe-dir`` writes ``ui.json`` one frame after the
daemon's first snapshot is drawn (it runs against a real ``kioskd
--simulate``); the bare app (one Label, the same CJK font) writes a file one
frame after it starts. Resident memory is read once each is drawn. Results go
to ``bench/results/kiosk_start.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BARE = """
import os, sys
os.environ["KIVY_NO_ARGS"] = "1"; os.environ["KIVY_NO_CONSOLELOG"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "1280"); Config.set("graphics", "height", "800")
from kivy.core.text import LabelBase, DEFAULT_FONT
LabelBase.register(DEFAULT_FONT, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
class Bare(App):
    def build(self):
        return Label(text="请刷卡 / Tap your card", font_size=64)
    def on_start(self):
        Clock.schedule_once(lambda dt: open(sys.argv[1], "w").write("drawn"), 0.1)
Bare().run()
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _time_to(marker: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not marker.exists():
            if proc.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError(f"{argv[0]} did not draw")
            time.sleep(0.005)
        elapsed = (time.perf_counter() - started) * 1000
        time.sleep(0.3)
        return elapsed, _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    from deploy.stack import Stack

    if not os.environ.get("DISPLAY"):
        sys.stderr.write("run under xvfb-run (see the docstring)\n")
        return 2
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    runs = 5
    results: dict[str, Any] = {"bare": [], "kiosk": []}
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp) / "k") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        script = Path(tmp) / "bare.py"
        script.write_text(BARE)
        for i in range(runs):
            marker = Path(tmp) / f"bare-{i}"
            results["bare"].append(_time_to(marker, [sys.executable, str(script), str(marker)],
                                            env))
            probe = Path(tmp) / f"probe-{i}"
            results["kiosk"].append(_time_to(
                probe / "ui.json", [str(BIN / "citycard-kiosk"), "--config", str(stack.config),
                                    "--probe-dir", str(probe)], env))
    summary = {name: {"start_p50_ms": round(statistics.median(t for t, _ in rows), 1),
                      "start_max_ms": round(max(t for t, _ in rows), 1),
                      "rss_mb": round(statistics.median(m for _, m in rows), 1)}
               for name, rows in results.items()}
    summary["ratio_start"] = round(summary["kiosk"]["start_p50_ms"]
                                   / summary["bare"]["start_p50_ms"], 2)
    summary["ratio_rss"] = round(summary["kiosk"]["rss_mb"] / summary["bare"]["rss_mb"], 2)
    print(json.dumps(summary, indent=2))
    (ROOT / "bench" / "results" / "kiosk_start.json").write_text(
        json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
