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
import sqlite3
from typing import Any

__all__ = ["ADMIN_NAME", "TOKEN_FILE_ACTOR", "add_admin", "admin_by_token", "admins_exist",
           "audit", "audit_trail", "revoke_admin"]

ADMIN_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
TOKEN_FILE_ACTOR = "token-file"
_TOKEN_PREFIX = "cca1_"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def add_admin(conn: sqlite3.Connection, name: str, now: float) -> str:
    """Create the account ``name`` (inside the caller's transaction); its token, the only
    time it exists in clear. ValueError for a bad or taken name."""
    if not ADMIN_NAME.match(name):
        raise ValueError(f"admin name {name!r} is not valid (2-32 of a-z 0-9 _ . -, "
                         "starting with a letter)")
    if conn.execute("SELECT 1 FROM admins WHERE name = ?", (name,)).fetchone():
        raise ValueError(f"admin {name} exists")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute("INSERT INTO admins (name, token_hash, created_at) VALUES (?, ?, ?)",
                 (name, _digest(token), int(now)))
    return token


def revoke_admin(conn: sqlite3.Connection, name: str, now: float) -> None:
    cur = conn.execute("UPDATE admins SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                       (int(now), name))
    if not cur.rowcount:
        raise ValueError(f"no active admin {name}")


def admins_exist(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM admins WHERE revoked_at IS NULL LIMIT 1"
                        ).fetchone() is not None


def admin_by_token(conn: sqlite3.Connection, token: str) -> str | None:
    """The name of the active account this token belongs to, or None."""
    row = conn.execute("SELECT name FROM admins WHERE token_hash = ? AND revoked_at IS NULL",
                       (_digest(token),)).fetchone()
    return str(row[0]) if row else None


def audit(conn: sqlite3.Connection, actor: str, action: str, subject: str, now: float,
          **details: Any) -> None:
    """One line of the audit trail (inside the caller's transaction)."""
    conn.execute("INSERT INTO audit_events (at, actor, action, subject, details)"
                 " VALUES (?, ?, ?, ?, ?)",
                 (int(now), actor, action, subject,
                  json.dumps(details, ensure_ascii=False, sort_keys=True)))


def audit_trail(conn: sqlite3.Connection, *, limit: int = 100,
                before_id: int | None = None) -> list[dict[str, Any]]:
    """The newest audit events first."""
    rows = conn.execute("SELECT id, at, actor, action, subject, details FROM audit_events"
                        " WHERE id < ? ORDER BY id DESC LIMIT ?",
                        (before_id or 2 ** 62, limit)).fetchall()
    return [{"id": int(r[0]), "at": int(r[1]), "actor": r[2], "action": r[3],
             "subject": r[4], "details": json.loads(r[5])} for r in rows]
