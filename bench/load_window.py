"""The load window taken apart: where the card's time in the field goes.

    .venv/bin/python -m bench.load_window                 # 30 loads per card, RTT 50, 25 ms/APDU
    .venv/bin/python -m bench.load_window --loads 50 --rtt-ms 50 --rf-ms 25

The reference central server runs as its own process (deploy/stack.py) behind
:class:`bench.rttproxy.DelayProxy`, itself in a process of its own
(:class:`~bench.rttproxy.ProxyProcess`: its threads take no turns at this
process's GIL, as a network takes none of kioskd's); in this process, the daemon's real parts:
:class:`~daemon.central.CentralClient`, the journal and
:class:`~daemon.orders.OrderStore`, and the production ``CardReader`` over
nfcpy over the virtual card. Each load is
:meth:`daemon.loadflow.LoadFlow.drive` on a fresh order, the card in the field.

The window is what the virtual card sees (INITIALIZE FOR LOAD arriving → its
answer to CREDIT FOR LOAD); floor = 2 × L + RTT. Every call the window is
made of is timed where it starts and ends (a wall-clock profile of the
window by function): the card's two commands, ``CardReader.submit`` around
them, ``CentralClient.request`` for the MAC2, ``OrderStore.advance`` for the
one journal write, and the gaps between. The central side's own time for the
MAC2 comes from its log.

The MAC2 call itself is split at the wire by the proxy
(:class:`bench.rttproxy.Exchange`): the client library before its request's
first byte reaches the proxy and after the answer's last byte left it
(``requests``, the HMAC signature, JSON; the loopback both ways), the round
trip, the proxy's own lateness, and the central server at the wire (request
handed to it → its answer's first byte: uvicorn and the application, of which
the application's own time is its log line); ``client_cpu_per_request_p50_ms``
is the CPU the calling thread spends in one request (``time.thread_time``), the
client's own cost without the waits for the scheduler. ``over_floor_p50_ms`` charges
every millisecond over the floor to one of: the simulator (the card's two
answers beyond L), kioskd (the journal write, the hand-offs), the client
library, the proxy, the central server — p50s of each, which need not sum to
the p50 of the whole.

Results go to ``bench/results/load_window.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench.common import no_blacklist_args, pct, save
from bench.rttproxy import Exchange, ProxyProcess
from bench.tap_latency import CITY_UNION, T_UNION
from config.schema import CentralSection, ReaderSection
from daemon.central import CentralClient
from daemon.journal import Journal
from daemon.loadflow import LoadFlow
from daemon.orders import OrderStore
from deploy.stack import Stack
from hardware.card.nfc_reader import CardReader
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet

KIOSK = "KIOSK-DEV-0001"
TERMINAL = "440300000001"
T = TypeVar("T")
_CARD_COMMANDS = {b"\x80\x50": "INITIALIZE", b"\x80\x52": "CREDIT"}
_CENTRAL_MAC2 = re.compile(r"POST /v1/load-orders/\S+/mac2 -> 200 in ([\d.]+) ms")


class _Listener:
    def __init__(self) -> None:
        self.read = threading.Event()

    def reader_state(self, state: str) -> None: ...
    def card_identified(self, card_no: str) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...
    def card_removed(self) -> None: ...

    def card_read(self, card: Any) -> None:
        self.read.set()


class _Marks:
    """(name, time.monotonic()) as the window's calls start and end."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def wrap(self, name: str, call: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kw: Any) -> T:
            self.marks.append((f"{name} start", time.monotonic()))
            try:
                return call(*args, **kw)
            finally:
                self.marks.append((f"{name} end", time.monotonic()))
        return timed

    def window(self) -> list[tuple[str, float]]:
        """The marks from INITIALIZE arriving at the card to CREDIT's answer."""
        names = [n for n, _ in self.marks]
        first, last = names.index("card INITIALIZE start"), names.index("card CREDIT end")
        return self.marks[first:last + 1]

    def window_parts(self) -> list[tuple[str, float]]:
        """Each interval between consecutive marks inside the window, in ms."""
        inside = self.window()
        return [(f"{a} → {b}", (tb - ta) * 1000)
                for (a, ta), (b, tb) in itertools.pairwise(inside)]


def _cpu_timed(call: Callable[..., T], into: list[float]) -> Callable[..., T]:
    """``call``, with the CPU its thread spent in it appended to ``into`` (ms): what the
    client library costs, without the waits for other threads and processes."""
    def timed(*args: Any, **kw: Any) -> T:
        started = time.thread_time()
        try:
            return call(*args, **kw)
        finally:
            into.append((time.thread_time() - started) * 1000)
    return timed


def _at(marks: list[tuple[str, float]], name: str) -> float:
    return next(t for n, t in marks if n == name)


def _split(marks: list[tuple[str, float]], mac2: Exchange, rtt_ms: float,
           rf_ms: float) -> dict[str, float]:
    """One window's milliseconds over the floor, charged to who spent them."""
    ms = 1000.0
    init = (_at(marks, "card INITIALIZE end") - _at(marks, "card INITIALIZE start")) * ms
    credit = (_at(marks, "card CREDIT end") - _at(marks, "card CREDIT start")) * ms
    call_start = _at(marks, "CentralClient.request start")
    call_end = _at(marks, "CentralClient.request end")
    journal = (_at(marks, "OrderStore.advance end") - _at(marks, "OrderStore.advance start")) * ms
    handoffs = ((call_start - _at(marks, "card INITIALIZE end"))
                + (_at(marks, "card CREDIT start") - call_end)) * ms - journal
    before = (mac2.request_read - call_start) * ms
    after = (call_end - mac2.answer_delivered) * ms
    return {"simulator (INITIALIZE + CREDIT beyond 2 × L)": init + credit - 2 * rf_ms,
            "kioskd: journal write (credit_sent, one fsync)": journal,
            "kioskd: card answer → flow → card (nfcpy, EPurse, LoadFlow)": handoffs,
            "client library: request built, signed, sent": before,
            "client library: answer read, decoded": after,
            "proxy lateness (bench)": mac2.lateness_ms(rtt_ms / 2000),
            "central server at the wire": mac2.server_ms}


def run(card_no: str, loads: int, rtt_ms: float, rf_ms: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name, Stack(Path(tmp_name) / "central") as stack:
        tmp = Path(tmp_name)
        stack.seed()
        url = stack.start_central(args=no_blacklist_args(tmp))
        secret = stack.secret.read_bytes().strip()
        proxy = ProxyProcess(url, rtt_ms=rtt_ms)
        marks = _Marks()
        client = CentralClient(CentralSection(url=proxy.url, connect_timeout_s=1,
                                              read_timeout_s=5, retries=1),
                               kiosk_id=KIOSK, secret=secret)
        client_cpu: list[float] = []  # the calling thread's CPU per central request
        client.request = marks.wrap("CentralClient.request",  # type: ignore[method-assign]
                                    _cpu_timed(client.request, client_cpu))
        journal = Journal(tmp / "journal.sqlite")
        store = OrderStore(journal)
        store.advance = marks.wrap("OrderStore.advance", store.advance)  # type: ignore[method-assign]
        sim = CardSimulator(Wallet(tmp / "wallet.json"), rf_latency_ms=rf_ms)
        listener = _Listener()
        reader = CardReader("sim", settings=ReaderSection(), listener=listener,
                            open_frontend=sim.open_frontend).start()
        reader.submit = marks.wrap("CardReader.submit", reader.submit)  # type: ignore[method-assign]
        flow = LoadFlow(store, client, reader, terminal_id=TERMINAL)
        windows: list[float] = []
        parts: dict[str, list[float]] = {}
        split: dict[str, list[float]] = {}
        try:
            client.request("GET", "/v1/notices")  # the connection warm, as kioskd keeps it
            for _ in range(loads):
                listener.read.clear()
                card = sim.tap(card_no)
                if not listener.read.wait(10):
                    raise RuntimeError("card not read")
                order = store.create(kind="load", card_no=card_no, amount_fen=100,
                                     session_id=None)
                marks.marks.clear()
                done = flow.drive(order)
                if done.state != "completed" or card.load_window_ms is None:
                    raise RuntimeError(f"load ended {done.state}")
                windows.append(card.load_window_ms)
                for head, arrived, answered in card.timeline:
                    name = _CARD_COMMANDS.get(head)
                    if name is not None:
                        marks.marks += [(f"card {name} start", arrived),
                                        (f"card {name} end", answered)]
                marks.marks.sort(key=lambda mark: mark[1])
                for name, ms in marks.window_parts():
                    parts.setdefault(name, []).append(ms)
                inside = marks.window()
                started = _at(inside, "CentralClient.request start")
                ended = _at(inside, "CentralClient.request end")
                mac2 = next(ex for ex in proxy.exchanges()
                            if started <= ex.request_read <= ended and ex.answer_delivered)
                for name, ms in _split(inside, mac2, rtt_ms, rf_ms).items():
                    split.setdefault(name, []).append(ms)
                sim.remove()
                time.sleep(0.15)  # the reader sees it gone
        finally:
            reader.close()
            client.close()
            journal.close()
            proxy.close()
        central_log = (stack.workdir / "central.log").read_text("utf-8")
    mac2_central = [float(m.group(1)) for m in _CENTRAL_MAC2.finditer(central_log)]
    floor = 2 * rf_ms + rtt_ms
    return {"card": card_no, "loads": loads, "rtt_ms": rtt_ms, "rf_ms": rf_ms,
            "window_floor_ms": floor, "window_p50_ms": round(statistics.median(windows), 2),
            "window_p95_ms": round(pct(windows, 0.95), 2),
            "window_over_floor_p50_ms": round(statistics.median(windows) - floor, 2),
            "mac2_at_central_p50_ms": round(statistics.median(mac2_central), 2),
            "mac2_at_central_p95_ms": round(pct(mac2_central, 0.95), 2),
            "client_cpu_per_request_p50_ms": round(statistics.median(client_cpu), 3),
            "over_floor_p50_ms": {name: round(statistics.median(v), 2)
                                  for name, v in split.items()},
            "window_parts_p50_ms": {name: round(statistics.median(v), 2)
                                    for name, v in parts.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--rf-ms", type=float, default=25.0)
    args = parser.parse_args(argv)
    rows = []
    for card_no in (T_UNION, CITY_UNION):
        row = run(card_no, args.loads, args.rtt_ms, args.rf_ms)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False, indent=1))
    save("load_window", {"loads": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
