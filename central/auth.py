"""Who is calling: kiosk registration and request authentication.

The signature scheme itself is :mod:`protocol.signing` (shared with the kiosk);
this module adds what only the server can do: look kiosk secrets up in the
database and refuse a nonce already seen within the skew window.

The nonce is inserted in the request's own transaction (:func:`authenticate` runs
inside it), ``ON CONFLICT DO NOTHING`` under the UNIQUE key ``(kiosk_id, nonce)``:
no row inserted means seen before, and the request is refused. Two copies racing
each other cannot both pass (SQLite serialises writers; PostgreSQL makes the second
wait for the first's commit and then finds the row). Being in the database, the
window holds across a restart and across worker processes; being in the request's
transaction, it costs no commit of its own (a GET's transaction commits without a
synchronous flush: docs/decisions.md).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from central import db
from central.admin import TOKEN_FILE_ACTOR, admin_by_token, admins_exist
from central.db import Connection, transaction
from central.errors import ApiError
from central.keys import kiosk_secrets, store_secret
from protocol.masking import mask_card_numbers
from protocol.signing import MAX_SKEW_S, SignatureProblem, verify

__all__ = ["authenticate", "authenticate_admin", "ensure_secret_file", "kiosk_secret",
           "register_kiosk"]

logger = logging.getLogger(__name__)

_NONCE = re.compile(r"^[0-9A-Za-z_-]{16,64}$")
_KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PRUNE_EVERY_S = 60.0
# Checked against when a kiosk has fewer than two secrets (an unknown kiosk: none): no
# request is signed with it (a kiosk secret file is text, this is not).
_DECOY = b"\x00decoy, never a kiosk secret\x00" + secrets.token_bytes(32)
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


def register_kiosk(conn: Connection, kiosk_id: str, secret: bytes,
                   secret_key: bytes | None = None) -> None:
    """Add a kiosk or replace its secret (at once, no overlap: :func:`central.keys.rotate_secret`
    keeps the old one valid a while), sealed under ``secret_key`` when there is one."""
    if not _KIOSK_ID.match(kiosk_id):
        raise ValueError(f"kiosk id {kiosk_id!r} is not valid")
    with transaction(conn):
        db.run(conn, "INSERT INTO kiosks (kiosk_id, secret, created_at) "
               "VALUES (:kiosk_id, :secret, :now) "
               "ON CONFLICT (kiosk_id) DO UPDATE SET secret = excluded.secret,"
               " secret_prev = NULL, secret_prev_until = NULL",
               kiosk_id=kiosk_id, secret=store_secret(secret_key, kiosk_id, secret),
               now=int(time.time()))


def kiosk_secret(conn: Connection, kiosk_id: str,
                 secret_key: bytes | None = None) -> bytes | None:
    """The kiosk's current secret (None for an unknown kiosk)."""
    found = kiosk_secrets(conn, kiosk_id, 0, secret_key)
    return found[0] if found else None


def _refuse(reason: str, message: str, now: float | None = None) -> ApiError:
    # server_time: this server's clock, so a kiosk refused for its clock (or for
    # anything else) can measure how far off it is without a signed call. Staff's
    # admin token has no clock in it, so its refusals carry none.
    extra = {} if now is None else {"server_time": int(now)}
    return ApiError("unauthorized", message, message_zh=f"请求认证失败（{reason}）。",
                    reason=reason, **extra)


def authenticate(conn: Connection, method: str, path: str, body: bytes,
                 headers: Mapping[str, str], *, now: float,
                 secret_key: bytes | None = None) -> str:
    """The calling kiosk's id, or :class:`ApiError` ``unauthorized`` with ``details.reason``.

    The signature is checked against each secret the kiosk may use now (two during a
    rotation's overlap), always against two, a decoy filling in: an unknown kiosk, a
    rotating one and a settled one cost the same and an unknown kiosk is answered
    exactly like a bad signature (``bad_signature``).

    Runs inside the request's transaction and stores the nonce in it."""
    kiosk_id = headers.get("X-Kiosk-Id") or ""
    candidates = kiosk_secrets(conn, kiosk_id, now, secret_key) if kiosk_id else []
    candidates += [_DECOY] * (2 - len(candidates))
    accepted: tuple[str, str] | None = None
    problem: SignatureProblem | None = None
    for secret in candidates:
        try:
            found = verify(method, path, body, headers, secret_for={kiosk_id: secret},
                           now=now)
        except SignatureProblem as exc:
            problem = problem or exc
            continue
        if accepted is None and secret is not _DECOY:
            accepted = found
    if accepted is None:
        assert problem is not None
        logger.info("refused %s %s: %s", method, mask_card_numbers(path.split("?")[0]),
                    problem.reason)
        raise _refuse(problem.reason, str(problem), now) from None
    kiosk_id, nonce = accepted
    if not _NONCE.match(nonce):
        raise _refuse("bad_nonce", "X-Nonce must be 16 to 64 letters or digits", now)
    if not record_nonce(conn, kiosk_id, nonce, now):
        logger.warning("replayed nonce from kiosk %s", kiosk_id)
        raise _refuse("nonce_reused", "this nonce was already used", now)
    return kiosk_id


def record_nonce(conn: Connection, kiosk_id: str, nonce: str, now: float) -> bool:
    """Store ``nonce`` in the caller's transaction; False when it was seen before."""
    _prune(conn, now)
    stored = db.run(conn, "INSERT INTO nonces (kiosk_id, nonce, seen_at) "
                    "VALUES (:kiosk_id, :nonce, :now) ON CONFLICT DO NOTHING",
                    kiosk_id=kiosk_id, nonce=nonce, now=int(now)).rowcount
    return bool(stored)


def authenticate_admin(conn: Connection, headers: Mapping[str, str],
                       token: bytes | None) -> str:
    """Who is calling an admin route: ``admin:NAME`` for an admin account's token
    (:mod:`central.admin`), ``token-file`` for the interim ``--admin-token-file`` token;
    or ``unauthorized`` (``admin_disabled`` when the server has neither)."""
    if token is None and not admins_exist(conn):
        raise _refuse("admin_disabled", "this server has no admin account "
                      "(citycard-central add-admin) and no --admin-token-file")
    scheme, _, given = (headers.get("Authorization") or "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise _refuse("missing_auth", "an admin route needs Authorization: Bearer <token>")
    name = admin_by_token(conn, given)
    if name is not None:
        return f"admin:{name}"
    if token is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token):
        return TOKEN_FILE_ACTOR
    logger.warning("refused an admin request: wrong token")
    raise _refuse("bad_token", "the admin token is wrong")


def _prune(conn: Connection, now: float) -> None:
    """Forget nonces older than twice the skew window: their timestamps are refused anyway."""
    global _last_prune
    if now - _last_prune < _PRUNE_EVERY_S:
        return
    _last_prune = now
    db.run(conn, "DELETE FROM nonces WHERE seen_at < :before",
           before=int(now) - 2 * MAX_SKEW_S)
