"""The load window under a profiler: where the card's time in the field goes.

    .venv/bin/python -m bench.load_window                 # 30 loads, RTT 50 ms, 25 ms/APDU
    .venv/bin/python -m bench.load_window --loads 50 --rtt-ms 50 --rf-ms 25 --profile

In one process, with the real parts: the reference central server (its own
thread, a seeded SQLite database) behind :class:`bench.rttproxy.DelayProxy`,
the daemon's :class:`~daemon.central.CentralClient`, the journal, and the
production ``CardReader`` over nfcpy over the virtual card. Each load is
:meth:`daemon.loadflow.LoadFlow.drive` on a fresh order with the card in the
field. The window is what the virtual card measures (INITIALIZE FOR LOAD
arriving → CREDIT FOR LOAD answered); floor = 2 × L + RTT. The MAC2 call is
timed at the central side (inside ``App.handle``) and at the client.

``--profile`` runs the loads under cProfile (the driving thread) and prints
the functions by cumulative time; the window's overhead over its floor is in
there by name.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import pct, save
from bench.rttproxy import DelayProxy
from bench.tap_latency import CITY_UNION, T_UNION
from central.server import App, CentralServer
from config.schema import CentralSection, ReaderSection
from daemon.central import CentralClient
from daemon.journal import Journal
from daemon.loadflow import LoadFlow
from daemon.orders import OrderStore
from deploy.stack import BIN
from hardware.card.nfc_reader import CardReader
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet

KIOSK = "KIOSK-DEV-0001"
TERMINAL = "440300000001"


class _Listener:
    def __init__(self) -> None:
        import threading
        self.read = threading.Event()

    def reader_state(self, state: str) -> None: ...
    def card_identified(self, card_no: str) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...
    def card_removed(self) -> None: ...

    def card_read(self, card: Any) -> None:
        self.read.set()


def run(card_no: str, loads: int, rtt_ms: float, rf_ms: float, *,
        profile: cProfile.Profile | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([str(BIN / "citycard-central"), "seed", "--db", str(tmp / "c.sqlite"),
                        "--kiosk-secret", str(tmp / "secret")], check=True, capture_output=True)
        app = App(tmp / "c.sqlite")
        mac2_central: list[float] = []
        handle = app.handle

        def timed(method: str, path: str, headers: Any, body: bytes) -> Any:
            started = time.perf_counter()
            try:
                return handle(method, path, headers, body)
            finally:
                if path.endswith("/mac2"):
                    mac2_central.append((time.perf_counter() - started) * 1000)

        app.handle = timed  # type: ignore[method-assign]
        server = CentralServer(("127.0.0.1", 0), app)
        proxy = DelayProxy.in_front_of(server.start(), rtt_ms=rtt_ms)
        client = CentralClient(CentralSection(url=proxy.url, connect_timeout_s=1,
                                              read_timeout_s=5, retries=1),
                               kiosk_id=KIOSK, secret=(tmp / "secret").read_bytes().strip())
        journal = Journal(tmp / "journal.sqlite")
        store = OrderStore(journal)
        sim = CardSimulator(Wallet(tmp / "wallet.json"), rf_latency_ms=rf_ms)
        listener = _Listener()
        reader = CardReader("sim", settings=ReaderSection(), listener=listener,
                            open_frontend=sim.open_frontend).start()
        flow = LoadFlow(store, client, reader, terminal_id=TERMINAL)
        windows: list[float] = []
        try:
            client.request("GET", "/v1/notices")  # the connection warm, as kioskd keeps it
            for _ in range(loads):
                listener.read.clear()
                card = sim.tap(card_no)
                if not listener.read.wait(10):
                    raise RuntimeError("card not read")
                order = store.create(kind="load", card_no=card_no, amount_fen=100,
                                     session_id=None)
                if profile is not None:
                    profile.enable()
                done = flow.drive(order)
                if profile is not None:
                    profile.disable()
                if done.state != "completed" or card.load_window_ms is None:
                    raise RuntimeError(f"load ended {done.state}")
                windows.append(card.load_window_ms)
                sim.remove()
                time.sleep(0.15)  # the reader sees it gone
        finally:
            reader.close()
            client.close()
            journal.close()
            proxy.close()
            server.stop()
    floor = 2 * rf_ms + rtt_ms
    return {"card": card_no, "loads": loads, "rtt_ms": rtt_ms, "rf_ms": rf_ms,
            "window_floor_ms": floor, "window_p50_ms": round(statistics.median(windows), 2),
            "window_p95_ms": round(pct(windows, 0.95), 2),
            "window_over_floor_p50_ms": round(statistics.median(windows) - floor, 2),
            "mac2_at_central_p50_ms": round(statistics.median(mac2_central), 2),
            "mac2_at_central_p95_ms": round(pct(mac2_central, 0.95), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--rf-ms", type=float, default=25.0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for card_no in (T_UNION, CITY_UNION):
        profile = cProfile.Profile() if args.profile else None
        row = run(card_no, args.loads, args.rtt_ms, args.rf_ms, profile=profile)
        rows.append(row)
        print(json.dumps(row))
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    if not args.profile:  # a profiled run is slower than the real thing
        save("load_window", {"loads": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
