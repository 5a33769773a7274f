"""Fixtures for the daemon's tests: a scripted central server that checks signatures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from protocol.signing import verify

SECRET = b"0123456789abcdef0123456789abcdef"


class Script:
    """Answers to give, in order (status, body bytes), and what was received."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.received: list[dict[str, Any]] = []


@pytest.fixture
def server() -> Iterator[tuple[Script, str]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kiosk, nonce = verify(self.command, self.path, body, dict(self.headers),
                                  secret_for={"K1": SECRET})
            script.received.append({"method": self.command, "path": self.path, "kiosk": kiosk,
                                    "nonce": nonce,
                                    "key": self.headers.get("Idempotency-Key"), "body": body})
            status, payload = script.answers.pop(0)
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield script, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


