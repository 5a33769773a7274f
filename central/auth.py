"""Who is calling: kiosk registration and request authentication.

The signature scheme itself is :mod:`protocol.signing` (shared with the kiosk);
this module adds what only the server can do: look kiosk secrets up in the
database and refuse a nonce already seen within the skew window (a UNIQUE
key on ``(kiosk_id, nonce)``, so two copies of one request racing each other
cannot both pass).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from central.db import transaction
from central.errors import ApiError
from protocol.masking import mask_card_numbers
from protocol.signing import MAX_SKEW_S, SignatureProblem, verify

__all__ = ["authenticate", "authenticate_admin", "ensure_secret_file", "kiosk_secret",
           "register_kiosk"]

logger = logging.getLogger(__name__)

_NONCE = re.compile(r"^[0-9A-Za-z_-]{16,64}$")
_KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PRUNE_EVERY_S = 60.0
_last_prune = 0.0


def ensure_secret_file(path: Path) -> bytes:
    """Read a kiosk secret file, creating it (mode 0600, 32 random bytes as hex) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        logger.info("created kiosk secret file %s", path)
    secret = path.read_bytes().strip()
    if len(secret) < 16:
        raise ValueError(f"{path} holds too short a secret (at least 16 bytes)")
    return secret


def register_kiosk(conn: sqlite3.Connection, kiosk_id: str, secret: bytes) -> None:
    """Add a kiosk or replace its secret."""
    if not _KIOSK_ID.match(kiosk_id):
        raise ValueError(f"kiosk id {kiosk_id!r} is not valid")
    with transaction(conn):
        conn.execute(
            "INSERT INTO kiosks (kiosk_id, secret, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (kiosk_id) DO UPDATE SET secret = excluded.secret",
            (kiosk_id, secret, int(time.time())))


def kiosk_secret(conn: sqlite3.Connection, kiosk_id: str) -> bytes | None:
    row = conn.execute("SELECT secret FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)).fetchone()
    return bytes(row[0]) if row else None


def _refuse(reason: str, message: str, now: float | None = None) -> ApiError:
    # server_time: this server's clock, so a kiosk refused for its clock (or for
    # anything else) can measure how far off it is without a signed call. Staff's
    # admin token has no clock in it, so its refusals carry none.
    extra = {} if now is None else {"server_time": int(now)}
    return ApiError("unauthorized", message, message_zh=f"请求认证失败（{reason}）。",
                    reason=reason, **extra)


def authenticate(conn: sqlite3.Connection, method: str, path: str, body: bytes,
                 headers: Mapping[str, str], *, now: float) -> str:
    """The calling kiosk's id, or :class:`ApiError` ``unauthorized`` with ``details.reason``."""
    kiosk_id = headers.get("X-Kiosk-Id") or ""
    secret = kiosk_secret(conn, kiosk_id) if kiosk_id else None
    try:
        kiosk_id, nonce = verify(method, path, body, headers,
                                 secret_for={kiosk_id: secret} if secret else {}, now=now)
    except SignatureProblem as exc:
        logger.info("refused %s %s: %s", method, mask_card_numbers(path.split("?")[0]),
                    exc.reason)
        raise _refuse(exc.reason, str(exc), now) from None
    if not _NONCE.match(nonce):
        raise _refuse("bad_nonce", "X-Nonce must be 16 to 64 letters or digits", now)
    try:
        with transaction(conn):
            _prune(conn, now)
            conn.execute("INSERT INTO nonces (kiosk_id, nonce, seen_at) VALUES (?, ?, ?)",
                         (kiosk_id, nonce, int(now)))
    except sqlite3.IntegrityError:
        logger.warning("replayed nonce from kiosk %s", kiosk_id)
        raise _refuse("nonce_reused", "this nonce was already used", now) from None
    return kiosk_id


def authenticate_admin(headers: Mapping[str, str], token: bytes | None) -> None:
    """Let an ``Authorization: Bearer <token>`` request through, or refuse it as
    ``unauthorized`` (an interim issuer credential, see docs/decisions.md)."""
    if token is None:
        raise _refuse("admin_disabled", "this server has no admin token (--admin-token-file)")
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise _refuse("missing_auth", "an admin route needs Authorization: Bearer <token>")
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), token):
        logger.warning("refused an admin request: wrong token")
        raise _refuse("bad_token", "the admin token is wrong")


def _prune(conn: sqlite3.Connection, now: float) -> None:
    """Forget nonces older than twice the skew window: their timestamps are refused anyway."""
    global _last_prune
    if now - _last_prune < _PRUNE_EVERY_S:
        return
    _last_prune = now
    conn.execute("DELETE FROM nonces WHERE seen_at < ?", (int(now) - 2 * MAX_SKEW_S,))
