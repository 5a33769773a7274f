"""An HTTP proxy in front of the reference central server that misbehaves on cue:
drops the answer after the server has committed, answers 503, answers slowly,
or is not there at all. The central client under test talks to it as to the
real thing."""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "Rule"]


@dataclass
class Rule:
    method: str
    path: str  # a regular expression, searched in the path
    action: str  # drop_after | drop_before | fail_503 | slow | garble
    body: bytes = b""  # garble: the 200 answer sent instead of the server's
    times: int = 1
    delay_s: float = 0.0
    hits: int = 0


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        up = urlsplit(upstream)
        self.upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                rule = proxy._match(self.command, self.path)
                action = rule.action if rule else "pass"
                proxy.log.append((self.command, self.path, action))
                if action == "drop_before":
                    self.close_connection = True
                    return
                if action == "fail_503":
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if action == "garble" and rule is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(rule.body)))
                    self.end_headers()
                    self.wfile.write(rule.body)
                    return
                if action == "slow" and rule is not None:
                    time.sleep(rule.delay_s)
                status, headers, answer = proxy._forward(self.command, self.path,
                                                         dict(self.headers), body)
                if action == "drop_after":
                    self.close_connection = True  # the server committed; the answer is lost
                    return
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection",
                                            "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _match(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.method == method and re.search(rule.path, path) and rule.hits < rule.times:
                rule.hits += 1
                return rule
        return None

    def _forward(self, method: str, path: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
