"""The central client against a scripted HTTP server: signing, retries, error mapping."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from config.schema import CentralSection
from daemon.central import (
    CentralClient,
    CentralMalformed,
    CentralRejected,
    CentralUnavailable,
    SecretFileError,
    central_path,
    read_secret,
)
from protocol.central import BillQuery, HistoryQuery

SECRET = b"0123456789abcdef0123456789abcdef"  # the scripted server's (conftest.py)


def client(url: str, retries: int = 2) -> CentralClient:
    return CentralClient(CentralSection(url=url, retries=retries, read_timeout_s=2),
                         kiosk_id="K1", secret=SECRET)


def test_signed_get_returns_json_and_marks_link_up(server: Any) -> None:
    script, url = server
    script.answers = [(200, b'{"status": "active"}')]
    c = client(url)
    assert c.request("GET", "/v1/cards/03104440300000100017") == {"status": "active"}
    assert script.received[0]["kiosk"] == "K1"
    assert c.link.state == "up"


def test_get_is_retried_after_5xx(server: Any) -> None:
    script, url = server
    script.answers = [(503, b"{}"), (200, b'{"ok": true}')]
    assert client(url).request("GET", "/health") == {"ok": True}
    assert len(script.received) == 2


def test_unkeyed_post_is_never_retried(server: Any) -> None:
    script, url = server
    script.answers = [(502, b"{}"), (200, b"{}")]
    with pytest.raises(CentralUnavailable):
        client(url).request("POST", "/v1/feedback", {"text": "x"})
    assert len(script.received) == 1


def test_keyed_post_is_retried_with_the_same_key_and_body(server: Any) -> None:
    script, url = server
    script.answers = [(500, b"{}"), (200, b'{"order_id": "o1"}')]
    result = client(url).request("POST", "/v1/load-orders", {"amount_fen": 5000},
                                 idempotency_key="key-1")
    assert result == {"order_id": "o1"}
    assert [r["key"] for r in script.received] == ["key-1", "key-1"]
    assert script.received[0]["body"] == script.received[1]["body"]
    # signed afresh: the central side refuses a nonce it has seen
    assert script.received[0]["nonce"] != script.received[1]["nonce"]


def test_documented_error_becomes_rejected_with_both_messages(server: Any) -> None:
    script, url = server
    script.answers = [(409, json.dumps({"code": "card_lost", "message": "Card reported lost",
                                        "message_zh": "卡已挂失", "details": {}}).encode())]
    with pytest.raises(CentralRejected) as info:
        client(url).request("GET", "/v1/cards/1")
    assert (info.value.code, info.value.message_zh) == ("card_lost", "卡已挂失")


@pytest.mark.parametrize("status, body", [(200, b"<html>"), (404, b'{"oops": 1}'),
                                          (400, b"[1, 2]")])
def test_malformed_answers_are_reported_as_such(server: Any, status: int, body: bytes) -> None:
    script, url = server
    script.answers = [(status, body)]
    with pytest.raises(CentralMalformed):
        client(url).request("GET", "/v1/cards/1")


def test_nothing_listening_marks_the_link_down() -> None:
    c = client("http://127.0.0.1:9", retries=0)
    assert c.probe().up is False
    assert c.link.state == "down" and "ConnectionError" in (c.link.last_error or "")


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.secret"
    path.write_bytes(SECRET)
    path.chmod(0o644)
    with pytest.raises(SecretFileError, match="0600"):
        read_secret(path)
    path.chmod(0o600)
    assert read_secret(path) == SECRET


def test_values_in_paths_and_queries_are_encoded_and_signed_as_sent(server: Any) -> None:
    script, url = server
    script.answers = [(200, b"{}")]
    odd = "12/34?limit=1&x=１"
    path = central_path("/v1/cards/{card_no}/transactions",
                        {"limit": 5, "cursor": "C&limit=3", "skip": None}, card_no=odd)
    assert path.isascii() and "&limit=3" not in path
    client(url).request("GET", path)  # the scripted server checks the signature
    [got] = script.received
    split = urlsplit(got["path"])
    assert got["path"] == path
    assert [unquote(part) for part in split.path.split("/")] == \
        ["", "v1", "cards", odd, "transactions"]
    assert parse_qs(split.query) == {"limit": ["5"], "cursor": ["C&limit=3"]}
    assert central_path("/v1/bills") == "/v1/bills"


def test_a_query_model_is_sent_by_its_wire_names_without_what_is_left_out() -> None:
    """kioskd's queries are the protocol's models, the server's parameters generated from
    the same models: ``from_`` goes as ``from``, a field left None is not sent."""
    query = HistoryQuery(limit=20, from_="2026-11-01", kind="ride")
    path = central_path("/v1/cards/{card_no}/transactions", query, card_no="31044403000000100033")
    assert parse_qs(urlsplit(path).query) == {"limit": ["20"], "from": ["2026-11-01"],
                                              "kind": ["ride"]}
    bills = central_path("/v1/bills", BillQuery(utility="water", account_no="100001"))
    assert bills == "/v1/bills?utility=water&account_no=100001"


def test_probe_is_a_signed_call_and_a_refused_signature_is_its_own_state(server: Any) -> None:
    script, url = server
    refused = {"code": "unauthorized", "message": "signature does not match",
               "message_zh": "请求认证失败", "details": {"reason": "bad_signature"}}
    script.answers = [(200, b'{"notices": []}'), (401, json.dumps(refused).encode()),
                      (503, b"{}")]
    c = client(url, retries=0)
    assert c.probe().state == "up"
    link = c.probe()
    assert (link.state, link.up) == ("unauthorized", False)
    assert "bad_signature" in (link.last_error or "")
    assert c.probe().state == "down"
    assert [r["path"] for r in script.received] == ["/v1/notices"] * 3  # signed (verified)


def test_the_environment_is_read_once_when_the_client_is_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """requests would read the proxy variables again on every request (a third of its
    time per call, inside the load window); a daemon's environment is fixed at start."""
    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)  # a proxy is asked for the absolute URL
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{httpd.server_address[1]}")
        c = client("http://central.invalid:8080", retries=0)
        monkeypatch.delenv("HTTP_PROXY")  # gone after the start: the client still has it
        assert c.request("GET", "/v1/notices") == {}
        assert seen == ["http://central.invalid:8080/v1/notices"]
    finally:
        httpd.shutdown()
        httpd.server_close()
