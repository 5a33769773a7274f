"""A small signed client for the central API (tests, benchmarks, scripts).

The kiosk daemon has its own client (``daemon/central.py``) with retries and
link state; this one only signs (:class:`protocol.signing.KioskAuth`, as every
signed client does) and sends, and returns the raw response.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from protocol.signing import KioskAuth

__all__ = ["SignedClient"]


class SignedClient:
    """``request()`` signs with the kiosk's secret and returns the ``requests.Response``."""

    def __init__(self, base_url: str, kiosk_id: str, secret: bytes, *,
                 session: requests.Session | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self.secret = secret
        self.session = session or requests.Session()
        self.session.auth = KioskAuth(kiosk_id, secret)
        self.timeout = timeout

    @classmethod
    def from_secret_file(cls, base_url: str, kiosk_id: str, path: Path,
                         **kw: Any) -> SignedClient:
        return cls(base_url, kiosk_id, path.read_bytes().strip(), **kw)

    def request(self, method: str, path: str, body: Any = None, *, key: str | None = None,
                headers: dict[str, str] | None = None, raw: bytes | None = None,
                now: float | None = None, nonce: str | None = None) -> requests.Response:
        """Send one signed request. ``raw`` sends exact bytes instead of ``body`` as JSON;
        ``now`` and ``nonce`` pin the signature's timestamp and nonce."""
        data = raw if raw is not None else (
            json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
        auth = None if now is None and nonce is None else KioskAuth(
            self.kiosk_id, self.secret, now=now, nonce=nonce)
        sent: dict[str, str] = {}
        if body is not None or raw is not None:
            sent["Content-Type"] = "application/json"
        if key is not None:
            sent["Idempotency-Key"] = key
        sent.update(headers or {})
        return self.session.request(method, self.base_url + path, data=data or None,
                                    headers=sent, timeout=self.timeout, auth=auth)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, {} if body is None else body, **kw)

    def close(self) -> None:
        self.session.close()
