"""The issuer's staff: named admin accounts, their tokens, and the audit trail of what
each did.

An admin account is a name and a bearer token, made by ``citycard-central add-admin
NAME`` (the token is shown once, or written 0600 to ``--token-file``). The database
keeps only the token's SHA-256: a token is 32 random bytes, so a fast hash is as good
as a slow one against guessing and a look-up by hash finds the account. Every admin
action (HTTP or console) is an ``audit_events`` row naming who did it
(``admin:NAME``; ``console:USER`` for console commands; ``token-file`` for the interim
``--admin-token-file`` token, kept for existing set-ups).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from central import db
from central.db import Connection

__all__ = ["ADMIN_NAME", "TOKEN_FILE_ACTOR", "add_admin", "admin_by_token", "admins_exist",
           "audit", "audit_trail", "revoke_admin"]

ADMIN_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
TOKEN_FILE_ACTOR = "token-file"
_TOKEN_PREFIX = "cca1_"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def add_admin(conn: Connection, name: str, now: float) -> str:
    """Create the account ``name`` (inside the caller's transaction); its token, the only
    time it exists in clear. ValueError for a bad or taken name."""
    if not ADMIN_NAME.match(name):
        raise ValueError(f"admin name {name!r} is not valid (2-32 of a-z 0-9 _ . -, "
                         "starting with a letter)")
    if db.one(conn, "SELECT 1 FROM admins WHERE name = :name", name=name):
        raise ValueError(f"admin {name} exists")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.run(conn, "INSERT INTO admins (name, token_hash, created_at)"
           " VALUES (:name, :token_hash, :now)", name=name, token_hash=_digest(token),
           now=int(now))
    return token


def revoke_admin(conn: Connection, name: str, now: float) -> None:
    cur = db.run(conn, "UPDATE admins SET revoked_at = :now"
                 " WHERE name = :name AND revoked_at IS NULL", now=int(now), name=name)
    if not cur.rowcount:
        raise ValueError(f"no active admin {name}")


def admins_exist(conn: Connection) -> bool:
    return db.one(conn, "SELECT 1 FROM admins WHERE revoked_at IS NULL LIMIT 1") is not None


def admin_by_token(conn: Connection, token: str) -> str | None:
    """The name of the active account this token belongs to, or None."""
    name = db.scalar(conn, "SELECT name FROM admins"
                     " WHERE token_hash = :token_hash AND revoked_at IS NULL",
                     token_hash=_digest(token))
    return str(name) if name is not None else None


def audit(conn: Connection, actor: str, action: str, subject: str, now: float,
          **details: Any) -> None:
    """One line of the audit trail (inside the caller's transaction)."""
    db.run(conn, "INSERT INTO audit_events (at, actor, action, subject, details)"
           " VALUES (:at, :actor, :action, :subject, :details)",
           at=int(now), actor=actor, action=action, subject=subject,
           details=json.dumps(details, ensure_ascii=False, sort_keys=True))


def audit_trail(conn: Connection, *, limit: int = 100,
                before_id: int | None = None) -> list[dict[str, Any]]:
    """The newest audit events first."""
    found = db.rows(conn, "SELECT id, at, actor, action, subject, details FROM audit_events"
                    " WHERE id < :before ORDER BY id DESC LIMIT :limit",
                    before=before_id or 2 ** 62, limit=limit)
    return [{"id": int(r["id"]), "at": int(r["at"]), "actor": r["actor"],
             "action": r["action"], "subject": r["subject"],
             "details": json.loads(r["details"])} for r in found]
