"""How long a cash top-up's load takes, against the floor of the card's and the
network's own waits.

    .venv/bin/python -m bench.topup_latency                    # 20 top-ups per case
    .venv/bin/python -m bench.topup_latency --rounds 10 --rtt-ms 50 --rf-ms 25

The whole kiosk runs as processes (deploy/stack.py): the reference central
server behind :class:`bench.rttproxy.DelayProxy` (``--rtt-ms`` of round trip on
every central call, one more for a new connection) and ``kioskd --simulate``,
whose virtual card answers every APDU after ``--rf-ms`` (``[sim]
rf_latency_ms``). Each round taps the card, starts a top-up, inserts one ¥10
note (real pulses on mock pins) and presses "finish". Measured, for a T-Union
and a City Union card, with a warm central connection and a cold one (the
proxy drops connections idle for 100 ms):

- **the load window** — the card in the field for the load: from INITIALIZE
  FOR LOAD arriving at the virtual card to its answer to CREDIT FOR LOAD (the
  card logs it). Floor = 2 × L + RTT: the two APDUs and one central round trip.
- **the MAC2 call at the central side** — the reference server's own time for
  it (its log line per request), against the goal of RTT + 2 ms seen from
  kioskd.
- **finish → done** — ``POST /v1/topup/finish`` on kiosk.sock to the SSE state
  whose session step is ``done``: the order created, the load, the confirm
  with the TAC, the receipt printed. Floor = 2 × L + the three central calls
  as long as they took (kioskd's log line per call, RTT included).

Results go to ``bench/results/topup_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import latency_stack, no_blacklist_args, pct, save
from bench.rttproxy import DelayProxy
from bench.tap_latency import CITY_UNION, T_UNION
from deploy.stack import Stack
from protocol.localclient import LocalClient

LOAD_APDUS = 2  # INITIALIZE FOR LOAD, CREDIT FOR LOAD
CENTRAL_CALLS = 3  # create, MAC2, confirm


_LOAD_CALL = re.compile(r"central POST /v1/load-orders\S* -> 20\d in (\d+) ms")
_WINDOW = re.compile(r"virtual card: load window ([\d.]+) ms")
_CENTRAL_MAC2 = re.compile(r"POST /v1/load-orders/\S+/mac2 -> 200 in ([\d.]+) ms")


def _central_ms_per_load(log: str) -> float:
    """The central calls' own time per load: the mean call in kioskd's log (one line
    per call, whole milliseconds) times the three calls of a load."""
    times = [int(m.group(1)) for m in _LOAD_CALL.finditer(log)]
    if not times:
        raise RuntimeError("no load-order calls in kioskd's log")
    return CENTRAL_CALLS * statistics.fmean(times)


def _wait(client: LocalClient, predicate: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = client.state()
        if predicate(snap):
            return snap
        time.sleep(0.02)
    raise RuntimeError(f"{what}: not reached")


def _one_topup(stack: Stack, card_no: str = T_UNION) -> float:
    admin, kiosk = stack.admin_client, stack.kiosk_client
    admin.post("/v1/sim/remove")
    admin.post("/v1/session/end")
    time.sleep(0.3)  # the reader is polling again
    admin.post("/v1/sim/tap", {"card_no": card_no})
    _wait(kiosk, lambda s: s.card is not None and s.card.central == "ok", "the card screen")
    kiosk.post("/v1/topup/start")
    admin.post("/v1/sim/insert", {"amount_fen": 1000})
    _wait(kiosk, lambda s: s.session is not None and s.session.amount_fen == 1000, "¥10 in")
    events = kiosk.events()
    try:
        next(events)  # the current snapshot
        started = time.perf_counter()
        kiosk.post("/v1/topup/finish")
        for event in events:
            session = event.data.get("session") if event.type == "state" else None
            if session and session.get("step") == "done":
                return (time.perf_counter() - started) * 1000
            if session and session.get("step") in ("pending", "failed"):
                raise RuntimeError(f"top-up ended as {session.get('step')}")
    finally:
        events.close()
    raise RuntimeError("the event stream ended")


def finish_latency(latency_ms: float, card_no: str, rounds: int, rtt_ms: float, *,
                   cold: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, \
            latency_stack(Path(tmp) / "k", latency_ms) as stack:
        stack.seed()
        url = stack.start_central(args=no_blacklist_args(Path(tmp)))
        proxy = DelayProxy.in_front_of(url, rtt_ms=rtt_ms, idle_close_s=0.1 if cold else None)
        stack.central_url = proxy.url
        stack.start_kioskd()
        samples = [_one_topup(stack, card_no) for _ in range(rounds)]
        kioskd_log = (stack.workdir / "kioskd.log").read_text("utf-8")
        central_log = (stack.workdir / "central.log").read_text("utf-8")
        proxy.close()
    central_ms = _central_ms_per_load(kioskd_log)
    windows = [float(m.group(1)) for m in _WINDOW.finditer(kioskd_log)]
    mac2_central = [float(m.group(1)) for m in _CENTRAL_MAC2.finditer(central_log)]
    if len(windows) != rounds:
        raise RuntimeError(f"{len(windows)} load windows logged for {rounds} rounds")
    window_floor = LOAD_APDUS * latency_ms + rtt_ms
    floor = LOAD_APDUS * latency_ms + central_ms
    p50 = statistics.median(samples)
    return {"card": card_no, "latency_ms": latency_ms, "rtt_ms": rtt_ms,
            "connection": "cold" if cold else "warm", "rounds": rounds,
            "window_floor_ms": window_floor,
            "window_p50_ms": round(statistics.median(windows), 2),
            "window_p95_ms": round(pct(windows, 0.95), 2),
            "window_over_floor_p50_ms": round(statistics.median(windows) - window_floor, 2),
            "mac2_at_central_p50_ms": round(statistics.median(mac2_central), 2),
            "mac2_at_central_p95_ms": round(pct(mac2_central, 0.95), 2),
            "central_calls_per_load_ms": round(central_ms, 2), "floor_ms": round(floor, 2),
            "finish_to_done_p50_ms": round(p50, 2),
            "finish_to_done_p95_ms": round(pct(samples, 0.95), 2),
            "overhead_p50_ms": round(p50 - floor, 2), "ratio_p50": round(p50 / floor, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rtt-ms", type=float, default=50.0,
                        help="the central round trip the proxy adds (default 50)")
    parser.add_argument("--rf-ms", type=float, default=25.0,
                        help="RF latency per APDU (default 25)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"rtt_ms": args.rtt_ms, "rf_ms": args.rf_ms, "finish": []}
    for card_no in (T_UNION, CITY_UNION):
        for cold in (False, True):
            row = finish_latency(args.rf_ms, card_no, args.rounds, args.rtt_ms, cold=cold)
            results["finish"].append(row)
            print(json.dumps(row))
    save("topup_latency", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
