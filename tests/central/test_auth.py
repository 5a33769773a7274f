"""Device authentication: every /v1 request signed; refusals say why."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import requests

from protocol.signing import sign_headers
from tests.central.helpers import KIOSK, TERMINAL, ZHANG, Central, Clock, error_of, new_key

CARD_PATH = f"/v1/cards/{ZHANG}"


def test_unsigned_request_is_refused_and_signed_one_gets_the_card(central: Central) -> None:
    details = error_of(requests.get(central.url + CARD_PATH, timeout=5), 401, "unauthorized")
    assert details["reason"] == "missing_auth" and set(details) == {"reason", "server_time"}
    resp = central.client.get(CARD_PATH)
    assert resp.status_code == 200
    assert resp.json()["card_no"] == ZHANG and resp.json()["holder_name_masked"] == "张*"


def test_health_and_document_need_no_signature(central: Central) -> None:
    health = requests.get(central.url + "/health", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    doc = requests.get(central.url + "/openapi.json", timeout=5)
    assert doc.status_code == 200 and doc.json()["openapi"].startswith("3.")


def _post_signed_then_tamper(central: Central, body: bytes, sent: bytes) -> requests.Response:
    headers = sign_headers("POST", "/v1/load-orders", body, kiosk_id=KIOSK,
                           secret=central.secret)
    headers.update({"Content-Type": "application/json", "Idempotency-Key": new_key()})
    return requests.post(central.url + "/v1/load-orders", data=sent, headers=headers, timeout=5)


def test_tampered_body_is_refused_and_changes_nothing(central: Central) -> None:
    body = json.dumps({"card_no": ZHANG, "amount_fen": 100, "terminal_id": TERMINAL}).encode()
    tampered = body.replace(b"100,", b"50000,")
    assert tampered != body
    details = error_of(_post_signed_then_tamper(central, body, tampered), 401, "unauthorized")
    assert details["reason"] == "bad_signature"
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 0


def test_tampered_path_or_query_is_refused(central: Central) -> None:
    headers = sign_headers("GET", CARD_PATH, b"", kiosk_id=KIOSK, secret=central.secret)
    resp = requests.get(central.url + "/v1/cards/03104440300000100025", headers=headers,
                        timeout=5)
    assert error_of(resp, 401, "unauthorized")["reason"] == "bad_signature"
    path = CARD_PATH + "/transactions?limit=5"
    headers = sign_headers("GET", path, b"", kiosk_id=KIOSK, secret=central.secret)
    resp = requests.get(central.url + path.replace("5", "50"), headers=headers, timeout=5)
    assert error_of(resp, 401, "unauthorized")["reason"] == "bad_signature"


def test_wrong_key_is_refused(central: Central) -> None:
    other = central.another_client(secret=b"not-the-secret-of-this-kiosk")
    assert error_of(other.get(CARD_PATH), 401, "unauthorized")["reason"] == "bad_signature"


def test_unknown_kiosk_gets_exactly_the_answer_of_a_bad_signature(
        start_central: Callable[..., Central]) -> None:
    clock = Clock()  # one server_time in both answers
    central = start_central(clock=clock)
    stranger = central.another_client(kiosk_id="KIOSK-NOBODY")
    wrong_key = central.another_client(secret=b"not-the-secret-of-this-kiosk")
    unknown, bad = stranger.get(CARD_PATH, now=clock.now), wrong_key.get(CARD_PATH,
                                                                        now=clock.now)
    assert error_of(unknown, 401, "unauthorized")["reason"] == "bad_signature"
    assert (unknown.status_code, unknown.json()) == (bad.status_code, bad.json())


def test_old_and_future_timestamps_are_refused(central: Central) -> None:
    old = central.client.get(CARD_PATH, now=time.time() - 301)
    assert error_of(old, 401, "unauthorized")["reason"] == "clock_skew"
    future = central.client.get(CARD_PATH, now=time.time() + 400)
    assert error_of(future, 401, "unauthorized")["reason"] == "clock_skew"
    assert central.client.get(CARD_PATH, now=time.time() - 240).status_code == 200


def test_a_refusal_carries_the_server_clock_for_the_kiosk_to_measure_its_skew(
        central: Central) -> None:
    before = int(time.time())
    details = error_of(central.client.get(CARD_PATH, now=time.time() + 400), 401,
                       "unauthorized")
    assert details["reason"] == "clock_skew"
    assert before <= details["server_time"] <= time.time()
    assert isinstance(details["server_time"], int)


def test_replayed_nonce_is_refused_even_for_a_fresh_signature(central: Central) -> None:
    nonce = "0123456789abcdef0123456789abcdef"
    assert central.client.get(CARD_PATH, nonce=nonce).status_code == 200
    replay = central.client.get(CARD_PATH, nonce=nonce)
    assert error_of(replay, 401, "unauthorized")["reason"] == "nonce_reused"


def test_exact_replay_of_a_money_request_is_refused(central: Central) -> None:
    body = json.dumps({"card_no": ZHANG, "amount_fen": 100, "terminal_id": TERMINAL}).encode()
    headers = sign_headers("POST", "/v1/load-orders", body, kiosk_id=KIOSK,
                           secret=central.secret)
    headers.update({"Content-Type": "application/json", "Idempotency-Key": new_key()})
    first = requests.post(central.url + "/v1/load-orders", data=body, headers=headers, timeout=5)
    assert first.status_code == 201
    again = requests.post(central.url + "/v1/load-orders", data=body, headers=headers, timeout=5)
    assert error_of(again, 401, "unauthorized")["reason"] == "nonce_reused"
    assert central.sql("SELECT COUNT(*) FROM orders")[0][0] == 1


def test_malformed_nonce_is_refused(central: Central) -> None:
    resp = central.client.get(CARD_PATH, nonce="short")
    assert error_of(resp, 401, "unauthorized")["reason"] == "bad_nonce"


def test_a_signature_that_is_not_ascii_is_refused_not_a_crash(central: Central) -> None:
    headers = sign_headers("GET", CARD_PATH, b"", kiosk_id=KIOSK, secret=central.secret)
    headers["X-Signature"] = "é" * 64
    # requests sends str headers as Latin-1; the server reads them back the same way.
    resp = requests.get(central.url + CARD_PATH, headers=headers, timeout=5)
    assert error_of(resp, 401, "unauthorized")["reason"] == "bad_signature"
