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
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

__all__ = ["DelayProxy"]


class DelayProxy:
    """``127.0.0.1:<port>`` → ``upstream``, with ``rtt_ms`` of simulated network."""

    def __init__(self, upstream: tuple[str, int], *, rtt_ms: float,
                 idle_close_s: float | None = None) -> None:
        self.upstream = upstream
        self.half = rtt_ms / 2000
        self.handshake = rtt_ms / 1000
        self.idle_close_s = idle_close_s
        self.connections = 0
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
            _Pipe(client, server, self.half, self.handshake, last)
            _Pipe(server, client, self.half, 0.0, last)
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
                 last: list[float]) -> None:
        self._src, self._dst, self._delay, self._first, self._last = src, dst, delay, first, last
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
            self._queue.put((now + self._delay + extra, chunk))
            extra = 0.0
            if not chunk:
                return

    def _deliver(self) -> None:
        while True:
            due, chunk = self._queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                if not chunk:
                    self._dst.shutdown(socket.SHUT_WR)
                    return
                self._dst.sendall(chunk)
                self._last[0] = time.monotonic()
            except OSError:
                return
