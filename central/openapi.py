"""The OpenAPI 3 document: FastAPI's, from the routes themselves.

Each route is a FastAPI operation (:mod:`central.app`) whose endpoint takes the
raw request, so what FastAPI cannot see — parameters, body schema, responses
with the exact error codes per HTTP status, security — is given to it as the
route's ``openapi_extra`` (:func:`operation_extra`); :func:`finish` adds the
description, tags and components. The served ``/openapi.json`` is
``app.openapi()``; the committed ``docs/central-api.yaml`` is regenerated with

    .venv/bin/python -m central.openapi --write

(or ``citycard-central openapi > docs/central-api.yaml``), and a test keeps
the two equal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from central import __version__
from central.errors import CODES
from central.router import PATH_PARAMS, Route
from central.schemas import COMPONENTS, body_ref, ref

__all__ = ["SCHEMAS", "TITLE", "error_codes", "finish", "main", "operation_extra", "to_yaml"]

SCHEMAS = COMPONENTS
TITLE = "CityCard central API"

_DESCRIPTION = """\
The contract between a CityCard kiosk and the card issuer's backend.
`citycard-central` is the reference server (SQLite).

**Amounts** are integers in fen everywhere. **Times** are ISO 8601 in China
time (+08:00); the card's own date and time are `YYYYMMDD` / `hhmmss`.

**Device authentication.** Every `/v1/*` request carries `X-Kiosk-Id`,
`X-Timestamp` (Unix seconds), `X-Nonce` (16-64 letters/digits, never reused)
and `X-Signature` = hex HMAC-SHA256(kiosk secret, METHOD \\n path?query \\n
kiosk id \\n timestamp \\n nonce \\n hex SHA-256 of the body) — see
`protocol/signing.py`. A missing or wrong signature, an unknown kiosk, a clock
more than 300 s off or a reused nonce answer `401 unauthorized` with
`details.reason` = `missing_auth`, `bad_signature` (an unknown kiosk too: its
answer is the same), `clock_skew`, `bad_nonce` or `nonce_reused`, and
`details.server_time` (the
server's clock, Unix seconds), so a kiosk measures its clock skew from the
refusal too; an accepted kiosk measures it from the heartbeat's `server_time`.

**Issuer staff** (`/v1/admin/*`, tag `admin`) send `Authorization: Bearer
<admin token>` (an admin account's token, `citycard-central add-admin NAME`;
or the interim `--admin-token-file`) instead of a kiosk signature; a missing
or wrong token, or a server with neither, answers `401 unauthorized` with
`details.reason` = `missing_auth`, `bad_token` or `admin_disabled`. Every
admin action is recorded with the account's name (`GET /v1/admin/audit`).
During a kiosk secret's rotation (`rotateKioskSecret`) requests signed with
the old or the new secret are accepted until the overlap ends.

**Idempotency.** Money requests need an `Idempotency-Key` (8-128 of
`A-Z a-z 0-9 _ . : -`), scoped to the kiosk. The first answer — success or
documented refusal — is stored in the same transaction as the effect; the
same key with the same request answers it again (`Idempotent-Replayed:
true`), also when the copies arrive concurrently. The same key with a
different request answers `422 idempotency_conflict`.

**Errors** all have the shape `{"code", "message", "message_zh", "details"}`;
`code` is stable and each operation lists the codes it can answer.

**Guessing.** Wrong payment passwords and wrong ID numbers (`id_last6`)
are counted per card, each check on its own: a wrong answer says
`details.tries_left`; the third wrong answer in a row (server settings
`pin_max_tries`, `pin_lock_s`: 30 minutes by default) locks that check —
`423 pin_locked` / `423 identity_locked` with `locked_until`, `retry_after_s`
and `tries_left` 0 — and while it is locked even the right answer is refused.
Where a card number is typed rather than read from the card (loss report, the
ID check of setting a password), a number the centre does not know is
answered byte for byte like a wrong answer, and is counted and locked alike.

**Card cryptography** (central side = issuer HSM for loads, PSAM for
purchases; keys diversified per card from the issuer master keys):
load `SESLK = 3DES(DLK, random‖onlineCtr‖8000)`, `MAC1 = MAC(SESLK,
balance‖amount‖02‖terminal)`, `MAC2 = MAC(SESLK, amount‖02‖terminal‖date‖time)`,
`TAC = MAC(DTKl⊕DTKr, newBalance‖onlineCtr‖amount‖02‖terminal‖date‖time)`
(online counter before the increment unless the server runs with
`--tac-counter after`); purchase `SESPK = 3DES(DPK,
random‖offlineCtr‖termSeq[2:4])`, `MAC1 = MAC(SESPK,
amount‖06‖terminal‖date‖time)`, card `MAC2 = MAC(SESPK, amount)`, `TAC =
MAC(DTKl⊕DTKr, amount‖06‖terminal‖termSeq‖date‖time)`.

**PIN blocks** (payment password): ISO 9564-1 format 4 (PIN field `4‖N‖PIN‖A…A`
plus 8 random bytes; PAN field `M‖PAN‖0…0` with the card number's 19 rightmost
digits), enciphered `AES(K, AES(K, PIN field) ⊕ PAN field)` under the kiosk's
AES-128 PIN key `K = HKDF-SHA256(kiosk secret, no salt, info "citycard pin key
v2: ISO 9564-1 format 4, AES-128", 16 bytes)`, 32 hex digits — see
`protocol/pinblock.py`.
"""

_TAGS = [
    ("cards", "Card status, history, statements, loss reports"),
    ("payment password", "支付密码: verify, set, change (PIN blocks only)"),
    ("points", "Points balance and redemption"),
    ("loads", "Load orders (圈存) and pending loads"),
    ("bills", "Utility bills and paying them from the e-purse"),
    ("kiosk", "Notices, feedback, heartbeat, events"),
    ("admin", "The issuer's staff: risk alerts (风险预警), blacklist, replacement cards, "
              "kiosks and their secrets, the audit trail; admin token, not a kiosk"),
    ("meta", "Unsigned: liveness and this document"),
]

_AUTH_HEADERS = {"kioskId": "X-Kiosk-Id", "timestamp": "X-Timestamp", "nonce": "X-Nonce",
                 "signature": "X-Signature"}


def error_codes(route: Route) -> list[str]:
    """Every error code an operation can answer."""
    codes: list[str] = []
    if route.path_params or route.query or route.body is not None:
        codes.append("validation_error")
    if route.auth or route.admin:
        codes.append("unauthorized")
    if route.body is not None:
        codes += ["unsupported_media_type", "payload_too_large"]
    if route.idempotency != "none":
        codes += ["validation_error", "idempotency_conflict"]
    if route.idempotency == "required":
        codes.append("idempotency_key_required")
    codes += route.errors
    return list(dict.fromkeys(codes))


def _responses(route: Route) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "OK" if route.status == 200 else "Created",
                               "content": {"application/json": {
                                   "schema": ref(route.response) if route.response
                                   else {"type": "object"}}}}
    out: dict[str, Any] = {str(route.status): success}
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in error_codes(route):
        by_status[CODES[code].status].append(code)
    for status in sorted(by_status):
        codes = by_status[status]
        out[str(status)] = {
            "description": ", ".join(codes),
            "content": {"application/json": {"schema": {"allOf": [
                ref("Error"),
                {"type": "object", "properties": {"code": {"type": "string",
                                                           "enum": codes}}}]}}},
        }
    return out


def operation_extra(route: Route) -> dict[str, Any]:
    """What FastAPI cannot know of an operation (its endpoint takes the raw request):
    parameters, request body, responses with their error codes, security. Given to
    FastAPI as the route's ``openapi_extra``; operationId, summary, tags and
    description are FastAPI's own fields."""
    op: dict[str, Any] = {}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name]}
        for name in route.path_params]
    params += [{"name": p.name, "in": "query", "required": p.required, "schema": p.schema,
                "description": p.description} for p in route.query]
    if route.idempotency != "none":
        params.append({"name": "Idempotency-Key", "in": "header",
                       "required": route.idempotency == "required",
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"},
                       "description": "the same key answers the first result again"})
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": body_ref(route.body)}}}
    op["responses"] = _responses(route)
    op["security"] = ([{name: [] for name in _AUTH_HEADERS}] if route.auth
                      else [{"adminToken": []}] if route.admin else [])
    return op


_ORDER = ("operationId", "summary", "tags", "description", "parameters", "requestBody",
          "responses", "security")


def _ordered(op: dict[str, Any]) -> dict[str, Any]:
    """An operation's keys in one stable order (a regenerated YAML diffs only where the
    API changed)."""
    return {k: op[k] for k in sorted(op, key=lambda k: (_ORDER.index(k) if k in _ORDER
                                                        else len(_ORDER), k))}


def finish(doc: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's document (``app.openapi()``) with what it does not generate: the
    description, tags, component schemas and security schemes; paths sorted."""
    return {
        "openapi": "3.0.3",
        "info": {"title": TITLE, "version": __version__, "description": _DESCRIPTION},
        "tags": [{"name": n, "description": d} for n, d in _TAGS],
        "paths": {path: {method: _ordered(op) for method, op in ops.items()}
                  for path, ops in sorted(doc.get("paths", {}).items())},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {name: {"type": "apiKey", "in": "header", "name": header,
                                       "description": "part of the HMAC device signature"}
                                for name, header in _AUTH_HEADERS.items()}
            | {"adminToken": {"type": "http", "scheme": "bearer",
                              "description": "an admin account's token (add-admin) or the "
                                             "interim --admin-token-file token; "
                                             "never a kiosk's"}},
        },
    }


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for JSON-shaped data (strings double-quoted, JSON escapes)."""
    return "\n".join(_yaml_lines(value, indent)) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                lines += _yaml_lines(item, indent + 2)
            else:
                lines.append(f"{head} {_inline(item)}")
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        for item in value:
            if isinstance(item, dict | list) and item:
                sub = _yaml_lines(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {_inline(item)}")
        return lines
    return [pad + _scalar(value)]


COMMITTED = "docs/central-api.yaml"


def main(argv: list[str] | None = None) -> int:
    """``python -m central.openapi [--write]``: print the document as YAML, or write
    it to docs/central-api.yaml (from the repository's root)."""
    import argparse
    from pathlib import Path

    from central.server import document

    parser = argparse.ArgumentParser(prog="python -m central.openapi")
    parser.add_argument("--write", action="store_true", help=f"write {COMMITTED}")
    args = parser.parse_args(argv)
    text = to_yaml(document())
    if args.write:
        target = Path(__file__).resolve().parents[1] / COMMITTED
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
