"""How long a tap takes, against the floor of the card's own waits.

    .venv/bin/python -m bench.tap_latency            # 30 taps per case
    .venv/bin/python -m bench.tap_latency --taps 10

Two measurements, each over the real code paths:

1. **Card read** — the production ``CardReader`` over nfcpy over the fake
   driver over the virtual card, with ``L`` ms of RF latency added to every
   APDU (``[sim] rf_latency_ms``). Timed from ``sim.tap()`` to the reader's
   ``card_read``, split at ``card_identified`` (polling + activation, then the
   rest of the read). The floor is ``APDUs × L``: the card's unavoidable
   answer times. The reader polls every 50 ms, so a card waits 0–50 ms to be
   seen; taps land at random points of the poll cycle.
2. **Tap to card screen** — the whole kiosk: ``kioskd --simulate`` and the
   reference central server as processes (deploy/stack.py), timed from the
   ``POST /v1/sim/tap`` on admin.sock to the SSE state on kiosk.sock whose card
   has the central half (``central == "ok"``). The floor is
   ``max(APDUs × L, central round trip)``, since the look-up runs in parallel
   with the read. Also the daemon's resident memory, idle and after the taps.

Results go to ``bench/results/tap_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import latency_stack, pct, save
from config.schema import ReaderSection
from hardware.card.nfc_reader import CardReader
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet

T_UNION = "31044403000000100017"
CITY_UNION = "31044403000000100033"


class _Timer:
    def __init__(self) -> None:
        self.identified = threading.Event()
        self.read = threading.Event()
        self.removed = threading.Event()
        self.t_identified = self.t_read = 0.0
        self.apdus = 0

    def reader_state(self, state: str) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...

    def card_identified(self, card_no: str) -> None:
        self.t_identified = time.perf_counter()
        self.identified.set()

    def card_read(self, card: Any) -> None:
        self.t_read = time.perf_counter()
        self.apdus = card.apdu_count
        self.read.set()

    def card_removed(self) -> None:
        self.removed.set()


def card_read(latency_ms: float, card_no: str, taps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = CardSimulator(Wallet(Path(tmp) / "w.json"), rf_latency_ms=latency_ms)
        timer = _Timer()
        reader = CardReader("sim", settings=ReaderSection(), listener=timer,
                            open_frontend=sim.open_frontend).start()
        total, after_id = [], []
        try:
            for _ in range(taps):
                timer.identified.clear()
                timer.read.clear()
                timer.removed.clear()
                time.sleep(random.uniform(0, 0.1))  # a card arrives at any point of a poll
                started = time.perf_counter()
                sim.tap(card_no)
                if not timer.read.wait(10):
                    raise RuntimeError("card not read")
                total.append((timer.t_read - started) * 1000)
                after_id.append((timer.t_read - timer.t_identified) * 1000)
                sim.remove()
                timer.removed.wait(5)
        finally:
            reader.close()
    floor = timer.apdus * latency_ms
    p50 = statistics.median(total)
    return {"card": card_no, "latency_ms": latency_ms, "apdus": timer.apdus,
            "floor_ms": floor, "tap_to_read_p50_ms": round(p50, 2),
            "tap_to_read_p95_ms": round(pct(total, 0.95), 2),
            "identified_to_read_p50_ms": round(statistics.median(after_id), 2),
            "overhead_p50_ms": round(p50 - floor, 2),
            "ratio_p50": round(p50 / floor, 2) if floor else None}


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tap_to_screen(latency_ms: float, taps: int) -> dict[str, Any]:
    from central.client import SignedClient

    with tempfile.TemporaryDirectory() as tmp, \
            latency_stack(Path(tmp) / "k", latency_ms) as stack:
        stack.seed()
        url = stack.start_central()
        stack.start_kioskd()
        pid = stack.procs["kioskd"].pid
        rss_idle = _rss_kb(pid)
        signed = SignedClient(url, "KIOSK-DEV-0001", stack.secret.read_bytes().strip())
        rtts = []
        for _ in range(taps):
            started = time.perf_counter()
            signed.get(f"/v1/cards/{T_UNION}")
            rtts.append((time.perf_counter() - started) * 1000)
        signed.close()
        admin, kiosk = stack.admin_client, stack.kiosk_client
        samples = []
        for _ in range(taps):
            admin.post("/v1/sim/remove")
            admin.post("/v1/session/end")
            time.sleep(0.3 + random.uniform(0, 0.1))  # the reader is polling again
            events = kiosk.events()
            next(events)  # the current snapshot
            started = time.perf_counter()
            admin.post("/v1/sim/tap", {"card_no": T_UNION})
            for event in events:
                card = event.data.get("card") if event.type == "state" else None
                if card and card.get("central") == "ok":
                    samples.append((time.perf_counter() - started) * 1000)
                    break
            events.close()
        rss_after = _rss_kb(pid)
    floor = max(3 * latency_ms, statistics.median(rtts))
    p50 = statistics.median(samples)
    return {"latency_ms": latency_ms, "central_rtt_p50_ms": round(statistics.median(rtts), 2),
            "floor_ms": round(floor, 2), "tap_to_screen_p50_ms": round(p50, 2),
            "tap_to_screen_p95_ms": round(pct(samples, 0.95), 2),
            "overhead_p50_ms": round(p50 - floor, 2), "ratio_p50": round(p50 / floor, 2),
            "kioskd_rss_idle_mb": round(rss_idle / 1024, 1),
            "kioskd_rss_after_taps_mb": round(rss_after / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=30)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"card_read": [], "tap_to_screen": []}
    for latency in (0.0, 10.0, 25.0):
        for card_no in (T_UNION, CITY_UNION):
            row = card_read(latency, card_no, args.taps)
            results["card_read"].append(row)
            print(json.dumps(row))
    for latency in (10.0, 25.0):
        row = tap_to_screen(latency, args.taps)
        results["tap_to_screen"].append(row)
        print(json.dumps(row))
    save("tap_latency", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
