"""A TCP proxy that puts a network's round trip between kioskd and central.

On loopback the central side answers in ~1 ms, so a benchmark against it
cannot show what a tap or a load costs over a real link. :class:`DelayProxy`
forwards bytes both ways and delivers each chunk ``rtt_ms / 2`` after it
arrived (order kept, so pipelining behaves as on a wire). A new connection's
first request waits one more ``rtt_ms``: the TCP handshake a client pays
before it can send (a TLS handshake would add one more round trip for TLS 1.3,
two for 1.2; the reference server here speaks plain HTTP).

``idle_close_s`` closes a client connection that has been idle that long, as
a NAT or a load balancer in front of the issuer does: set it short to measure
the cold case, where every tap opens a new connection.

Each request and its answer is recorded as an :class:`Exchange` (``exchanges``)
with the moments the proxy read and delivered its bytes, so a bench can split a
central call into the round trip, the proxy's own lateness (a delivery after
its due time) and the central server's time *at the wire* — the request's last
byte handed to it → its answer's first byte back, everything the server does
(HTTP parsing, the application, the kernel's loopback) — and charge the rest
to the client. A chunk is held until its due time with a sleep that stops
0.5 ms short and zero sleeps after, so the proxy adds little of a timer's slack.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

__all__ = ["DelayProxy", "Exchange", "ProxyProcess"]

_SPIN_S = 0.0005


@dataclass
class Exchange:
    """One request and its answer on one connection, as the proxy saw them
    (``time.monotonic()``; 0.0 until it happened)."""

    request_read: float = 0.0        # the request's first bytes from the client
    request_last_read: float = 0.0   # … its last bytes from the client
    request_delivered: float = 0.0   # … its last bytes handed to the server
    answer_read: float = 0.0         # the answer's first bytes from the server
    answer_last_read: float = 0.0    # … its last bytes from the server
    answer_delivered: float = 0.0    # … its last bytes handed to the client

    def lateness_ms(self, half_s: float) -> float:
        """The proxy's own delay beyond RTT/2 each way (its threads, the timer)."""
        return ((self.request_delivered - self.request_last_read - half_s)
                + (self.answer_delivered - self.answer_last_read - half_s)) * 1000

    @property
    def server_ms(self) -> float:
        """The server's time at the wire: request handed over → answer's first bytes."""
        return (self.answer_read - self.request_delivered) * 1000

    @property
    def through_proxy_ms(self) -> float:
        """The request's first bytes in → the answer's last bytes out."""
        return (self.answer_delivered - self.request_read) * 1000


class _Wire:
    """The exchanges of one connection: a client chunk after an answer began opens a
    new one."""

    def __init__(self, log: list[Exchange], lock: threading.Lock) -> None:
        self._log, self._lock = log, lock
        self._current: Exchange | None = None

    def read(self, upstream: bool, now: float) -> None:
        with self._lock:
            ex = self._current
            if upstream:
                if ex is None or ex.answer_read:
                    ex = self._current = Exchange(request_read=now)
                    self._log.append(ex)
                ex.request_last_read = now
            elif ex is not None:
                ex.answer_read = ex.answer_read or now
                ex.answer_last_read = now

    def delivered(self, upstream: bool, now: float) -> None:
        with self._lock:
            ex = self._current
            if ex is None:
                return
            if upstream:
                ex.request_delivered = now
            else:
                ex.answer_delivered = now


class DelayProxy:
    """``127.0.0.1:<port>`` → ``upstream``, with ``rtt_ms`` of simulated network."""

    def __init__(self, upstream: tuple[str, int], *, rtt_ms: float,
                 idle_close_s: float | None = None) -> None:
        self.upstream = upstream
        self.half = rtt_ms / 2000
        self.handshake = rtt_ms / 1000
        self.idle_close_s = idle_close_s
        self.connections = 0
        self.exchanges: list[Exchange] = []
        self._exchanges_lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, name="rtt-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @classmethod
    def in_front_of(cls, url: str, **kw: float | None) -> DelayProxy:
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        return cls((host, int(port)), **kw)  # type: ignore[arg-type]

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> DelayProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.upstream)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            last = [time.monotonic()]
            wire = _Wire(self.exchanges, self._exchanges_lock)
            _Pipe(client, server, self.half, self.handshake, last, wire, upstream=True)
            _Pipe(server, client, self.half, 0.0, last, wire, upstream=False)
            if self.idle_close_s is not None:
                threading.Thread(target=self._reaper, args=(client, server, last),
                                 daemon=True).start()

    def _reaper(self, client: socket.socket, server: socket.socket, last: list[float]) -> None:
        assert self.idle_close_s is not None
        while not self._stop.is_set():
            idle = time.monotonic() - last[0]
            if idle >= self.idle_close_s:
                for sock in (client, server):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                return
            time.sleep(self.idle_close_s - idle)


class _Pipe:
    """One direction: read chunks as they come, deliver each ``delay`` later."""

    def __init__(self, src: socket.socket, dst: socket.socket, delay: float, first: float,
                 last: list[float], wire: _Wire, *, upstream: bool) -> None:
        self._src, self._dst, self._delay, self._first, self._last = src, dst, delay, first, last
        self._wire, self._upstream = wire, upstream
        self._queue: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._deliver, daemon=True).start()

    def _read(self) -> None:
        extra = self._first
        while True:
            try:
                chunk = self._src.recv(65536)
            except OSError:
                chunk = b""
            now = time.monotonic()
            self._last[0] = now
            if chunk:
                self._wire.read(self._upstream, now)
            self._queue.put((now + self._delay + extra, chunk))
            extra = 0.0
            if not chunk:
                return

    def _deliver(self) -> None:
        while True:
            due, chunk = self._queue.get()
            wait = due - time.monotonic()
            if wait > _SPIN_S:
                time.sleep(wait - _SPIN_S)
            while time.monotonic() < due:
                time.sleep(0)
            try:
                if not chunk:
                    self._dst.shutdown(socket.SHUT_WR)
                    return
                self._dst.sendall(chunk)
                self._last[0] = now = time.monotonic()
                self._wire.delivered(self._upstream, now)
            except OSError:
                return


class ProxyProcess:
    """A :class:`DelayProxy` in a process of its own, so its threads take no turns
    at the bench's GIL (as a real network takes none of kioskd's): ``url``, and
    ``exchanges()`` as it recorded them (``time.monotonic`` is the machine's
    CLOCK_MONOTONIC, the same in both processes)."""

    def __init__(self, upstream_url: str, *, rtt_ms: float) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.rttproxy", upstream_url, "--rtt-ms", str(rtt_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError("the proxy process did not start")

    def exchanges(self) -> list[Exchange]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write("dump\n")
        self._proc.stdin.flush()
        return [Exchange(**row) for row in json.loads(self._proc.stdout.readline())]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(5)

    def __enter__(self) -> ProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.rttproxy URL --rtt-ms 50``: prints its own URL, then answers
    each ``dump`` line on stdin with the exchanges so far as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream")
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    proxy = DelayProxy.in_front_of(args.upstream, rtt_ms=args.rtt_ms)
    print(proxy.url, flush=True)
    for line in sys.stdin:
        if line.strip() == "dump":
            with proxy._exchanges_lock:
                rows = [dataclasses.asdict(ex) for ex in proxy.exchanges]
            print(json.dumps(rows), flush=True)
    proxy.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
