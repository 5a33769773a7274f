"""Bad input on the local API gets a clear error and changes nothing.

Every POST route the running daemon documents (its own /openapi.json, so a
new route is covered without editing this test), on the socket that serves it
(kiosk.sock for the cardholder's routes, admin.sock for the operator's and the
simulator's), gets bodies that are not JSON,
not an object, too large, with a broken Content-Length, and each documented
field with a value of the wrong type — with a card on the screen, so state
checks do not hide the field checks. Every answer must be a 4xx in the error
shape (a wrong type: 400 bad_request, naming the field); afterwards the card,
the central server, the journal and the screen are as they were, and the audit
holds.
"""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from deploy.stack import Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, tap, wallet_balance

_WRONG = {"string": 12345, "integer": "12", "number": "1.5", "boolean": "yes",
          "object": "x", "array": {"not": "a list"}}


class _Unix(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=10)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _post(sock: Path, path: str, data: bytes,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    conn = _Unix(sock)
    try:
        conn.putrequest("POST", path)
        sent = {"Content-Type": "application/json", "Content-Length": str(len(data)),
                **(headers or {})}
        for name, value in sent.items():
            conn.putheader(name, value)
        conn.endheaders(data)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def _wrong_bodies(operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each documented field alone, with a value of another JSON type."""
    schema = (operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema", {}))
    return [(name, {name: _WRONG[prop["type"]]})
            for name, prop in schema.get("properties", {}).items() if prop.get("type") in _WRONG]


def _money_and_screen(stack: Stack) -> dict[str, Any]:
    journal = sqlite3.connect(stack.workdir / "state" / "journal.sqlite")
    try:
        local = {table: journal.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("cash", "orders", "receipts")}
    finally:
        journal.close()
    snap = stack.kiosk_client.state()
    return {"card_fen": wallet_balance(stack), "journal": local,
            "central_orders": central_sql(stack, "SELECT COUNT(*) FROM orders"),
            "central_tx": central_sql(stack, "SELECT COUNT(*) FROM transactions"),
            "card_points": central_sql(stack, "SELECT points, status FROM cards "
                                       "WHERE card_no = ?", CARD),
            "screen": (snap.screen, snap.session, snap.card)}


def test_bad_bodies_on_every_route_are_refused_and_change_nothing(stack: Stack) -> None:
    tap(stack)
    before = _money_and_screen(stack)
    run = stack.workdir / "run"
    document = stack.kiosk_client.get("/openapi.json")
    routes = {path: ops["post"] for path, ops in document["paths"].items() if "post" in ops}
    assert {"/v1/topup/start", "/v1/bills/pay", "/v1/admin/maintenance",
            "/v1/sim/insert"} <= set(routes)  # the document is read

    answers: list[tuple[str, str, int, Any]] = []
    for path, operation in sorted(routes.items()):
        sock = run / ("kiosk.sock" if operation["tags"] == ["kiosk"] else "admin.sock")
        cases: list[tuple[str, bytes, dict[str, str]]] = [
            ("not JSON", b"{\"amount_fen\": ", {}),
            ("not an object", b"[1, 2, 3]", {}),
            ("too large", b"{\"x\": \"" + b"a" * 70_000 + b"\"}", {}),
            ("broken length", b"{}", {"Content-Length": "two"}),
        ]
        cases += [(f"wrong type {name}", json.dumps(body).encode(), {})
                  for name, body in _wrong_bodies(operation)]
        for what, data, headers in cases:
            status, body = _post(sock, path, data, headers)
            answers.append((path, what, status, body))

    bad = [(p, w, s, b) for p, w, s, b in answers
           if not 400 <= s < 500 or set(b) != {"code", "message", "message_zh", "details"}]
    assert bad == []
    by_case = {(p, w): b["code"] for p, w, _, b in answers}
    assert by_case[("/v1/topup/start", "not JSON")] == "bad_json"
    assert by_case[("/v1/topup/start", "not an object")] == "bad_json"
    assert by_case[("/v1/topup/start", "too large")] == "too_large"
    assert by_case[("/v1/topup/start", "broken length")] == "bad_request"
    assert by_case[("/v1/language", "wrong type language")] == "bad_request"
    assert by_case[("/v1/sim/insert", "wrong type amount_fen")] == "bad_request"
    assert by_case[("/v1/admin/maintenance", "broken length")] == "bad_request"
    assert "not_found" not in set(by_case.values())  # each went to the socket that serves it
    wrong_types = [(s, b["code"]) for _, w, s, b in answers if w.startswith("wrong type")]
    assert len(wrong_types) >= 20 and set(wrong_types) == {(400, "bad_request")}

    assert _money_and_screen(stack) == before
    audit = json.loads(stack.kioskctl("--json", "audit").stdout)
    assert audit["holds"] is True


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_values_that_would_bend_a_central_url_are_refused_locally(stack: Stack) -> None:
    """Full-width digits pass str.isdigit(), and a cursor could carry ``&limit=``:
    each is refused at the local API with a clear error, and reaches nothing."""
    kiosk = stack.kiosk_client
    tap(stack)
    first = kiosk.get("/v1/history?limit=4")
    assert len(first["items"]) == 4 and first["next_cursor"]
    before = _money_and_screen(stack)
    cases = [
        ("POST", "/v1/bills/lookup", {"utility": "water", "account_no": "100004".translate(
            FULL_WIDTH)}, "bad_account_no"),
        ("GET", f"/v1/history?limit=4&cursor={first['next_cursor']}%26limit%3D1", None,
         "bad_cursor"),
        ("POST", "/v1/loss-report", {"card_no": CARD.translate(FULL_WIDTH),
                                     "id_last6": "100017"}, "bad_card_no"),
        ("POST", "/v1/pin/change", {"old_pin": "147258".translate(FULL_WIDTH),
                                    "new_pin": "258369"}, "bad_pin"),
    ]
    for method, path, body, code in cases:
        with pytest.raises(LocalApiError) as err:
            kiosk.request(method, path, body)
        assert (err.value.status, err.value.code) == (400, code), path
        assert err.value.message_zh
    # A bill the cardholder asked for with a full-width PIN starts no order.
    kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/bills/pay", {"pin": "147258".translate(FULL_WIDTH)})
    assert (err.value.status, err.value.code) == (400, "bad_pin")
    kiosk.post("/v1/session/end")
    tap(stack)
    after = _money_and_screen(stack)
    assert after["journal"] == before["journal"] and after["central_orders"] == \
        before["central_orders"] and after["card_fen"] == before["card_fen"]
