"""How long a tap takes, against the floor of the card's and the network's own waits.

    .venv/bin/python -m bench.tap_latency                      # 30 taps per case
    .venv/bin/python -m bench.tap_latency --taps 10 --rtt-ms 50 --rf-ms 25

Every APDU gets ``--rf-ms`` of simulated RF latency (``[sim] rf_latency_ms``)
and every central call crosses :class:`bench.rttproxy.DelayProxy`, which adds
``--rtt-ms`` of round trip (plus one more for a new connection's handshake).
Cards arrive at a random moment of the reader's polling. For T-Union (card
number in the SELECT answer) and City Union (card number from READ BINARY):

1. **Card read** — the production ``CardReader`` over nfcpy over the fake
   driver over the virtual card, in this process. Timed from ``sim.tap()``
   (the card enters the field) to the reader's ``card_read``; *detection* is
   the card entering the field to its first APDU, as the virtual card saw it.
   Floor = APDUs × L.
2. **Tap → card screen** — ``kioskd --simulate`` and the reference central
   server as processes (deploy/stack.py), central behind the proxy, timed from
   ``POST /v1/sim/tap`` on admin.sock to the SSE state whose card carries the
   central half (``central == "ok"``). Floor = max(card path, central path):
   APDUs × L, or the APDUs up to the card number × L + one central look-up
   through the proxy on a warm connection. *Warm*: the proxy keeps
   connections (kioskd's link probe every 5 s keeps one open); *cold*: the
   proxy drops a connection idle for 100 ms, so each tap opens a new one.
   Also kioskd's idle CPU (reader polling, link loop) and resident memory.

Results go to ``bench/results/tap_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import latency_stack, pct, save
from bench.rttproxy import DelayProxy
from config.schema import ReaderSection
from hardware.card.nfc_reader import CardReader
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet

T_UNION = "03104440300000100017"
CITY_UNION = "31044403000000100033"


class _Timer:
    def __init__(self) -> None:
        self.identified = threading.Event()
        self.read = threading.Event()
        self.removed = threading.Event()
        self.t_identified = self.t_read = 0.0
        self.apdus = self.apdus_to_id = 0
        self.sim: CardSimulator | None = None

    def reader_state(self, state: str) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...

    def card_identified(self, card_no: str) -> None:
        self.t_identified = time.monotonic()
        current = self.sim.current if self.sim is not None else None
        self.apdus_to_id = current.commands if current is not None else 0
        self.identified.set()

    def card_read(self, card: Any) -> None:
        self.t_read = time.monotonic()
        self.apdus = card.apdu_count
        self.read.set()

    def card_removed(self) -> None:
        self.removed.set()


def card_read(latency_ms: float, card_no: str, taps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = CardSimulator(Wallet(Path(tmp) / "w.json"), rf_latency_ms=latency_ms)
        timer = _Timer()
        timer.sim = sim
        reader = CardReader("sim", settings=ReaderSection(), listener=timer,
                            open_frontend=sim.open_frontend).start()
        total, after_id, detect = [], [], []
        try:
            for _ in range(taps):
                timer.identified.clear()
                timer.read.clear()
                timer.removed.clear()
                time.sleep(random.uniform(0, 0.1))  # a card arrives at any moment
                started = time.monotonic()
                card = sim.tap(card_no)
                if not timer.read.wait(10):
                    raise RuntimeError("card not read")
                assert card.first_command_at is not None
                detect.append((card.first_command_at - started) * 1000)
                total.append((timer.t_read - started) * 1000)
                after_id.append((timer.t_read - timer.t_identified) * 1000)
                sim.remove()
                timer.removed.wait(5)
        finally:
            reader.close()
    floor = timer.apdus * latency_ms
    p50 = statistics.median(total)
    return {"card": card_no, "latency_ms": latency_ms, "apdus": timer.apdus,
            "apdus_to_card_no": timer.apdus_to_id,
            "detect_mean_ms": round(statistics.fmean(detect), 2),
            "detect_p95_ms": round(pct(detect, 0.95), 2),
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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(pid: int, seconds: float) -> float:
    """``pid``'s CPU over ``seconds`` of wall time, in % of one core."""
    before, started = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_s(pid) - before) / (time.monotonic() - started)


def tap_to_screen(card: dict[str, Any], taps: int, rtt_ms: float, *, cold: bool,
                  idle_s: float) -> dict[str, Any]:
    from central.client import SignedClient

    latency_ms, card_no = card["latency_ms"], card["card"]
    with tempfile.TemporaryDirectory() as tmp, \
            latency_stack(Path(tmp) / "k", latency_ms) as stack:
        stack.seed()
        url = stack.start_central()
        proxy = DelayProxy.in_front_of(url, rtt_ms=rtt_ms, idle_close_s=0.1 if cold else None)
        stack.central_url = proxy.url
        stack.start_kioskd()
        pid = stack.procs["kioskd"].pid
        time.sleep(2)  # past start-up
        rss_idle = _rss_kb(pid)
        cpu_idle = idle_cpu_percent(pid, idle_s) if idle_s else None
        # The central path's floor: one look-up through the proxy on a warm connection.
        signed = SignedClient(DelayProxy.in_front_of(url, rtt_ms=rtt_ms).url, "KIOSK-DEV-0001",
                              stack.secret.read_bytes().strip())
        rtts = []
        for _ in range(taps + 1):
            started = time.monotonic()
            signed.get(f"/v1/cards/{card_no}")
            rtts.append((time.monotonic() - started) * 1000)
        signed.close()
        rtts = rtts[1:]  # the first paid the handshake
        admin, kiosk = stack.admin_client, stack.kiosk_client
        samples = []
        connections_before = proxy.connections
        for _ in range(taps):
            admin.post("/v1/sim/remove")
            admin.post("/v1/session/end")
            time.sleep(0.3 + random.uniform(0, 0.1))  # the reader is polling again
            events = kiosk.events()
            next(events)  # the current snapshot
            started = time.monotonic()
            admin.post("/v1/sim/tap", {"card_no": card_no})
            for event in events:
                shown = event.data.get("card") if event.type == "state" else None
                if shown and shown.get("central") == "ok":
                    samples.append((time.monotonic() - started) * 1000)
                    break
            events.close()
        new_connections = proxy.connections - connections_before
        rss_after = _rss_kb(pid)
        proxy.close()
    lookup = statistics.median(rtts)
    card_path = card["apdus"] * latency_ms
    central_path = card["apdus_to_card_no"] * latency_ms + lookup
    floor = max(card_path, central_path)
    p50 = statistics.median(samples)
    return {"card": card_no, "latency_ms": latency_ms, "rtt_ms": rtt_ms,
            "connection": "cold" if cold else "warm",
            "central_lookup_p50_ms": round(lookup, 2), "card_path_ms": card_path,
            "central_path_ms": round(central_path, 2), "floor_ms": round(floor, 2),
            "tap_to_screen_p50_ms": round(p50, 2),
            "tap_to_screen_p95_ms": round(pct(samples, 0.95), 2),
            "overhead_p50_ms": round(p50 - floor, 2), "ratio_p50": round(p50 / floor, 2),
            "ratio_p95": round(pct(samples, 0.95) / floor, 2),
            "new_connections_during_taps": new_connections,
            "kioskd_idle_cpu_percent": round(cpu_idle, 2) if cpu_idle is not None else None,
            "kioskd_rss_idle_mb": round(rss_idle / 1024, 1),
            "kioskd_rss_after_taps_mb": round(rss_after / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=30)
    parser.add_argument("--rtt-ms", type=float, default=50.0,
                        help="the central round trip the proxy adds (default 50)")
    parser.add_argument("--rf-ms", type=float, default=25.0,
                        help="RF latency per APDU (default 25)")
    parser.add_argument("--idle-s", type=float, default=20.0,
                        help="how long to measure kioskd's idle CPU (0: not)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"rtt_ms": args.rtt_ms, "rf_ms": args.rf_ms,
                               "card_read": [], "tap_to_screen": []}
    for card_no in (T_UNION, CITY_UNION):
        card = card_read(args.rf_ms, card_no, args.taps)
        results["card_read"].append(card)
        print(json.dumps(card))
        for cold in (False, True):
            row = tap_to_screen(card, args.taps, args.rtt_ms, cold=cold,
                                idle_s=args.idle_s if (card_no, cold) == (T_UNION, False) else 0)
            results["tap_to_screen"].append(row)
            print(json.dumps(row))
    save("tap_latency", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
