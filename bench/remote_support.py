"""Remote support and the clock: how long an operator waits for ``kioskctl
screenshot``, and how soon a kiosk takes money again once the central clock
agrees with its own.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m bench.remote_support
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m bench.remote_support --runs 5

The whole kiosk runs as processes (deploy/stack.py) with the real Kivy UI on
the card's home screen. ``kioskctl screenshot`` is timed from exec to exit
beside ``kioskctl status`` (the floor: the same process start, config and
admin.sock round trip, without the UI's capture and the PNG's trip). The clock:
central restarted with ``--clock-offset 420`` (the kiosk refuses money), then
restarted right; the time from that restart until the state says ``clock ok``
and the link ``up`` is bounded by the link loop's 5 s round. Results go to
``bench/results/remote_support.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import pct, save
from deploy.sessionkit import CARD, wait_state
from deploy.stack import Stack
from deploy.uiprobe import UiProbe

BIN = Path(sys.executable).parent


def _ms(argv: list[str], runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(pct(samples, 0.5), 1), "p95_ms": round(pct(samples, 0.95), 1),
            "max_ms": round(max(samples), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--clock-rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp) / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        probe_dir = Path(tmp) / "probe"
        probe_dir.mkdir()
        ui = UiProbe(stack.start_ui(probe_dir), probe_dir)
        ui.wait_for(lambda v: v.get("ui_screen") == "attract", timeout=60)
        stack.kioskctl("sim", "tap", CARD)
        ui.wait_for(lambda v: v.get("ui_screen") == "home")
        kioskctl = [str(BIN / "kioskctl"), "--config", str(stack.config)]
        out = Path(tmp) / "screen.png"
        shot = json.loads(stack.kioskctl("--json", "screenshot", "--out", str(out)).stdout)
        results: dict[str, object] = {
            "runs": args.runs,
            "kioskctl status (floor)": _ms([*kioskctl, "status"], args.runs),
            "kioskctl screenshot": _ms([*kioskctl, "screenshot", "--out", str(out)], args.runs),
            "png": {"width": shot["width"], "height": shot["height"], "bytes": shot["bytes"]},
        }
        recovered = []
        port = int(stack.central_url.rsplit(":", 1)[1])
        kiosk = stack.kiosk_client
        for _ in range(args.clock_rounds):
            stack.stop("central")
            stack.start_central(port, ["--clock-offset", "420"])
            wait_state(kiosk, lambda s: s.clock == "skewed", "skewed", timeout=30)
            stack.stop("central")
            stack.start_central(port)
            started = time.perf_counter()
            wait_state(kiosk, lambda s: s.clock == "ok" and s.central == "up", "back",
                       timeout=30)
            recovered.append(time.perf_counter() - started)
        results["clock back within the window → money again"] = {
            "rounds": args.clock_rounds, "p50_s": round(pct(recovered, 0.5), 2),
            "max_s": round(max(recovered), 2), "bound_s": 5.0}
        print(json.dumps(results, indent=2))
        save("remote_support", results)


if __name__ == "__main__":
    main()
