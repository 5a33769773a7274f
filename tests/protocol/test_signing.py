"""Request signing: the auth every signed client uses signs what goes on the wire."""

from __future__ import annotations

import json

import pytest
import requests

from protocol.signing import HEADERS, KioskAuth, SignatureProblem, sign_headers, verify

SECRET = b"0123456789abcdef0123456789abcdef"


def prepared(auth: KioskAuth, url: str, body: object = None) -> requests.PreparedRequest:
    data = json.dumps(body).encode() if body is not None else None
    return requests.Request("POST" if data else "GET", url, data=data, auth=auth).prepare()


def test_the_auth_signs_path_query_and_body_as_sent() -> None:
    req = prepared(KioskAuth("K1", SECRET),
                   "http://central.example/v1/cards/3104%2F0017/transactions?limit=5",
                   {"amount_fen": 5000})
    assert req.path_url == "/v1/cards/3104%2F0017/transactions?limit=5"
    assert isinstance(req.body, bytes)
    kiosk, nonce = verify(str(req.method), req.path_url, req.body, req.headers,
                          secret_for={"K1": SECRET})
    assert (kiosk, len(nonce)) == ("K1", 32)
    with pytest.raises(SignatureProblem) as refused:  # another body is another request
        verify(str(req.method), req.path_url, b"{}", req.headers, secret_for={"K1": SECRET})
    assert refused.value.reason == "bad_signature"


def test_each_preparation_is_signed_afresh() -> None:
    auth = KioskAuth("K1", SECRET)
    one, two = (prepared(auth, "http://central.example/v1/notices") for _ in range(2))
    assert one.headers["X-Nonce"] != two.headers["X-Nonce"]
    assert all(h in one.headers for h in HEADERS)


def test_pinned_time_and_nonce_are_the_sign_headers_ones() -> None:
    req = prepared(KioskAuth("K1", SECRET, now=1_700_000_000, nonce="n" * 32),
                   "http://central.example/v1/notices")
    expected = sign_headers("GET", "/v1/notices", b"", kiosk_id="K1", secret=SECRET,
                            now=1_700_000_000, nonce="n" * 32)
    assert {h: req.headers[h] for h in HEADERS} == expected


def test_the_auth_never_shows_the_secret() -> None:
    assert SECRET.decode() not in repr(KioskAuth("K1", SECRET))
