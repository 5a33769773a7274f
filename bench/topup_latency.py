"""How long "finish" takes in a cash top-up, against the floor of the card's and
the central side's own waits.

    .venv/bin/python -m bench.topup_latency            # 20 top-ups per case
    .venv/bin/python -m bench.topup_latency --rounds 10

The whole kiosk runs as processes (deploy/stack.py): the reference central
server and ``kioskd --simulate``, whose virtual card answers every APDU after
``L`` ms of RF latency (``[sim] rf_latency_ms``). Each round taps the card,
starts a top-up, inserts one ¥10 note (real pulses on mock pins) and times
``POST /v1/topup/finish`` on kiosk.sock to the SSE state whose session step is
``done`` — the load order created, INITIALIZE FOR LOAD, the MAC2 from the
central side, CREDIT FOR LOAD, the confirm with the TAC, every step journaled
with ``synchronous=FULL``, and the receipt printed (the simulated printer
renders its ESC/POS bytes and PNG preview).

The floor is what a load cannot avoid: its two APDUs (``2 × L``) and its three
central calls (create, MAC2, confirm) as long as the central side took for
them — read from kioskd's own log line per call. For scale, a bare signed
write to the same server (``POST /v1/kiosk/heartbeat``) is timed too.

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

from bench.common import latency_stack, pct, save
from bench.tap_latency import T_UNION
from central.client import SignedClient
from deploy.stack import Stack
from protocol.localclient import LocalClient

LOAD_APDUS = 2  # INITIALIZE FOR LOAD, CREDIT FOR LOAD
CENTRAL_CALLS = 3  # create, MAC2, confirm


def _write_rtt_ms(url: str, secret: bytes, samples: int) -> float:
    """p50 of a signed, durable write to the central server: one central call's floor."""
    client = SignedClient(url, "KIOSK-DEV-0001", secret)
    try:
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            reply = client.post("/v1/kiosk/heartbeat",
                                {"software_version": "bench", "state": "idle"})
            times.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()
        return statistics.median(times)
    finally:
        client.close()


_LOAD_CALL = re.compile(r"central POST /v1/load-orders\S* -> 20\d in (\d+) ms")


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


def finish_latency(latency_ms: float, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, \
            latency_stack(Path(tmp) / "k", latency_ms) as stack:
        stack.seed()
        url = stack.start_central()
        stack.start_kioskd()
        rtt = _write_rtt_ms(url, stack.secret.read_bytes().strip(), 50)
        samples = [_one_topup(stack) for _ in range(rounds)]
        central_ms = _central_ms_per_load((stack.workdir / "kioskd.log").read_text("utf-8"))
    floor = LOAD_APDUS * latency_ms + central_ms
    p50 = statistics.median(samples)
    return {"latency_ms": latency_ms, "rounds": rounds,
            "bare_signed_write_p50_ms": round(rtt, 2),
            "central_calls_per_load_ms": round(central_ms, 2), "floor_ms": round(floor, 2),
            "finish_to_done_p50_ms": round(p50, 2),
            "finish_to_done_p95_ms": round(pct(samples, 0.95), 2),
            "overhead_p50_ms": round(p50 - floor, 2), "ratio_p50": round(p50 / floor, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"finish": []}
    for latency in (0.0, 10.0, 25.0):
        row = finish_latency(latency, args.rounds)
        results["finish"].append(row)
        print(json.dumps(row))
    save("topup_latency", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
