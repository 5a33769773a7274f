"""Protocol-level refusals: unknown paths, wrong methods, bodies that are not JSON."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from central.client import SignedClient
from central.settings import DEFAULT_HELP_FILE
from protocol.signing import sign_headers
from tests.central.helpers import KIOSK, TERMINAL, ZHANG, Central, error_of, new_key


def test_unknown_path_and_wrong_method(central: Central) -> None:
    error_of(central.client.get("/v1/nothing-here"), 404, "not_found")
    resp = central.client.request("DELETE", f"/v1/cards/{ZHANG}")
    assert error_of(resp, 405, "method_not_allowed")["allowed"] == ["GET"]
    assert resp.headers["Allow"] == "GET"


def test_body_must_be_json(central: Central) -> None:
    resp = central.client.request("POST", "/v1/feedback", raw=b"{not json")
    error_of(resp, 400, "validation_error")
    resp = central.client.request("POST", "/v1/feedback", raw=b"[]")
    assert error_of(resp, 400, "validation_error")["field"] == "body"
    resp = central.client.request("POST", "/v1/feedback", raw=b'{"text": "x"}',
                                  headers={"Content-Type": "text/plain"})
    error_of(resp, 415, "unsupported_media_type")


def test_amounts_are_integers_in_fen(central: Central) -> None:
    for amount in (50.5, "5000", True, 0, -100):
        resp = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": amount,
                                                       "terminal_id": TERMINAL}, key=new_key())
        assert error_of(resp, 400, "validation_error")["field"] == "body.amount_fen"
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 0


def test_unknown_fields_are_refused(central: Central) -> None:
    resp = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": 100,
                                                   "terminal_id": TERMINAL, "bonus": 1},
                               key=new_key())
    assert error_of(resp, 400, "validation_error")["field"] == "body.bonus"


def test_bad_idempotency_key_is_refused(central: Central) -> None:
    resp = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": 100,
                                                   "terminal_id": TERMINAL}, key="short")
    assert error_of(resp, 400, "validation_error")["field"] == "Idempotency-Key"


def test_oversized_body_is_refused(central: Central) -> None:
    body = b'{"category": "other", "text": "' + b"x" * 70000 + b'"}'
    headers = sign_headers("POST", "/v1/feedback", body, kiosk_id=KIOSK, secret=central.secret)
    headers["Content-Type"] = "application/json"
    resp = requests.post(central.url + "/v1/feedback", data=body, headers=headers, timeout=5)
    error_of(resp, 413, "payload_too_large")


def test_an_invalid_body_lists_every_problem(central: Central) -> None:
    resp = central.client.post("/v1/load-orders", {"card_no": "123", "amount_fen": 0,
                                                   "terminal_id": "XYZ", "bonus": 1},
                               key=new_key())
    details = error_of(resp, 400, "validation_error")
    assert details["field"] == "body.card_no"  # the first, for clients that read one
    assert [p["field"] for p in details["problems"]] == [
        "body.card_no", "body.amount_fen", "body.terminal_id", "body.bonus"]
    assert all(p["message"] for p in details["problems"])
    resp = central.client.post("/v1/load-orders", {"amount_fen": 100}, key=new_key())
    details = error_of(resp, 400, "validation_error")
    assert [p["field"] for p in details["problems"]] == ["body.card_no", "body.terminal_id"]
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 0


def test_invalid_query_parameters_are_all_listed(central: Central) -> None:
    resp = central.client.get("/v1/bills?utility=fire&account_no=12")
    details = error_of(resp, 400, "validation_error")
    assert [p["field"] for p in details["problems"]] == ["utility", "account_no"]


def test_a_defect_answers_500_in_the_error_shape_and_the_server_goes_on(
        start_central: Any, tmp_path: Path) -> None:
    help_file = tmp_path / "help.json"
    shutil.copy(DEFAULT_HELP_FILE, help_file)
    central = start_central(help_file=help_file)
    assert central.client.get("/v1/help").status_code == 200
    help_file.write_text("{broken", encoding="utf-8")  # the issuer's bad edit
    error_of(central.client.get("/v1/help"), 500, "internal_error")
    assert central.client.get(f"/v1/cards/{ZHANG}").status_code == 200


def test_more_concurrent_requests_than_threads_and_connections_are_all_answered(
        central: Central) -> None:
    # 100 kiosks at once: more than the database pool's connections and the server's
    # worker threads. Holding a connection while waiting for a thread (or the other
    # way round) would hang them all; each must get its answer.
    def one(i: int) -> int:
        client = SignedClient(central.url, KIOSK, central.secret, timeout=30)
        try:
            path = f"/v1/cards/{ZHANG}" if i % 2 else "/health"
            return int(client.get(path).status_code)
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, range(100)))
    assert statuses == [200] * 100
