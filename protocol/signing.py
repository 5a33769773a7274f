"""Device authentication between a kiosk and the central API (HMAC-SHA256).

Both sides use this module: every signed client sends its requests through
:class:`KioskAuth`, the reference server checks them with :func:`verify`.
Every request carries four headers:

    X-Kiosk-Id     the kiosk's id
    X-Timestamp    Unix seconds when signed
    X-Nonce        32 hex digits, never reused within the skew window
    X-Signature    hex HMAC-SHA256(secret, canonical)

where ``canonical`` is the lines ``METHOD``, ``path?query``, kiosk id,
timestamp, nonce and the hex SHA-256 of the body (empty body included),
joined by ``\\n``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping

import requests

__all__ = ["HEADERS", "MAX_SKEW_S", "KioskAuth", "SignatureProblem", "canonical",
           "sign_headers", "verify"]

MAX_SKEW_S = 300

HEADERS = ("X-Kiosk-Id", "X-Timestamp", "X-Nonce", "X-Signature")
_HEX_DIGEST = re.compile(r"[0-9A-Fa-f]{64}")


class SignatureProblem(Exception):
    """Why a request's signature was refused; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def canonical(method: str, path: str, kiosk_id: str, timestamp: str, nonce: str,
              body: bytes) -> bytes:
    """The exact bytes that are signed."""
    return "\n".join([method.upper(), path, kiosk_id, timestamp, nonce,
                      hashlib.sha256(body).hexdigest()]).encode()


def _digest(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_headers(method: str, path: str, body: bytes, *, kiosk_id: str, secret: bytes,
                 now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """The authentication headers for one request."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    sig = _digest(secret, canonical(method, path, kiosk_id, timestamp, nonce, body))
    return {"X-Kiosk-Id": kiosk_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": sig}


class KioskAuth(requests.auth.AuthBase):
    """Sign a request as it goes on the wire: the path and query of the prepared
    URL and the exact body bytes.

    ``requests`` calls its auth each time it prepares a request, so a retry (a new
    ``Session.request``) gets a fresh timestamp and nonce: the server refuses a
    nonce it has seen. ``now`` and ``nonce`` pin those for tests of the refusals.
    """

    def __init__(self, kiosk_id: str, secret: bytes | Callable[[], bytes], *,
                 now: float | None = None, nonce: str | None = None) -> None:
        """``secret``: the bytes, or what gives the current ones as each request is
        signed (a rotated secret file, daemon.kiosksecret)."""
        self.kiosk_id = kiosk_id
        self._secret = secret
        self._now = now
        self._nonce = nonce

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        r.headers.update(sign_headers(str(r.method), r.path_url, bytes(body),
                                      kiosk_id=self.kiosk_id,
                                      secret=self._secret if isinstance(self._secret, bytes)
                                      else self._secret(),
                                      now=self._now, nonce=self._nonce))
        return r

    def __repr__(self) -> str:  # never the secret
        return f"<KioskAuth {self.kiosk_id}>"


def verify(method: str, path: str, body: bytes, headers: Mapping[str, str], *,
           secret_for: Mapping[str, bytes], now: float | None = None) -> tuple[str, str]:
    """Check a request's signature; return ``(kiosk_id, nonce)``.

    The caller must still refuse a nonce it has seen within ``MAX_SKEW_S``.
    Raises :class:`SignatureProblem` with reason ``missing_auth``,
    ``unknown_kiosk``, ``clock_skew`` or ``bad_signature``.
    """
    values = {h: headers.get(h) for h in HEADERS}
    missing = [h for h, v in values.items() if not v]
    if missing:
        raise SignatureProblem("missing_auth", f"missing header(s): {', '.join(missing)}")
    kiosk_id, timestamp, nonce, signature = (str(values[h]) for h in HEADERS)
    secret = secret_for.get(kiosk_id)
    if secret is None:
        raise SignatureProblem("unknown_kiosk", f"kiosk {kiosk_id!r} is not registered")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise SignatureProblem("clock_skew", "X-Timestamp is not Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - stamp) > MAX_SKEW_S:
        raise SignatureProblem(
            "clock_skew", f"timestamp is {int(current - stamp)} s off (limit {MAX_SKEW_S} s)")
    expected = _digest(secret, canonical(method, path, kiosk_id, timestamp, nonce, body))
    # compare_digest refuses non-ASCII str (TypeError): anything but 64 hex digits is
    # simply a signature that does not match.
    well_formed = _HEX_DIGEST.fullmatch(signature) is not None
    if not well_formed or not hmac.compare_digest(expected, signature.lower()):
        raise SignatureProblem("bad_signature", "signature does not match")
    return kiosk_id, nonce
