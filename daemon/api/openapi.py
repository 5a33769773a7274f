"""The local API's OpenAPI document, generated from the routes and their models.

    python -m daemon.api.openapi            # exit 1 and a diff when the file is stale
    python -m daemon.api.openapi --write    # regenerate daemon/api/local-api.json

Each operation comes from a :class:`daemon.api.http.Route`: its summary and
description, its request model (a JSON body, or query parameters) inlined, its
reply model as a component schema, and its refusals — the route's own codes,
the codes of its request fields (``Meta(extra={"code": ...})``), the HTTP
layer's (``bad_json``, ``unsupported_media_type``, ``too_large``) and the card
centre's codes it relays — grouped by the status the catalogue
(:mod:`protocol.errors`) gives each. msgspec writes JSON Schema 2020-12; the
document stays OpenAPI 3.0 (``nullable``), the dialect the fuzz test and
clients read. tests/daemon/test_openapi.py fails when the committed file
differs from what this module generates.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
from collections.abc import Iterable
from typing import Any

import msgspec

from daemon.api.http import Route
from daemon.api.routes import OPENAPI_PATH, Services, build_routers
from protocol.errors import CENTRAL, LOCAL
from protocol.wire import Model, field_code

__all__ = ["document", "render"]

REF = "#/components/schemas/{name}"
INFO = {
    "title": "kioskd local API",
    "version": "1",
    "description": (
        "HTTP/1.1 + JSON over Unix sockets. kiosk.sock (group citycard-ui) serves the "
        "cardholder routes; admin.sock (group citycard-admin) serves those plus the operator "
        "routes and, with kioskd --simulate, the simulation controls. Amounts are integer "
        "fen. Events are Server-Sent Events with ids; reconnect with Last-Event-ID. Every "
        "refusal is the error shape (code, message, message_zh, details); a request with "
        "wrong fields is refused 400 with every one of them in details.problems (field, "
        "code, message) and the first one's code as code."),
}
ERROR = {"type": "object", "required": ["code", "message", "message_zh", "details"],
         "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                        "message_zh": {"type": "string"}, "details": {"type": "object"}}}
EVENTS_200 = (
    "text/event-stream. The first event is a `state` snapshot, or the events missed since "
    "Last-Event-ID when the daemon still has them. Event types: `state` (data: "
    "StateSnapshot); `screenshot` (data: {request_id}): an operator asked for a "
    "screenshot, which the UI answers with POST /v1/screenshot. A comment line arrives "
    "at least every 10 s.")


def _all_parts() -> Services:
    """Services with every optional part present, so every route is built (never called)."""
    def nothing(*_: Any) -> Any:
        return None

    part: Any = object()
    return Services(state=part, bus=part, status=nothing, read_card=nothing, simulator=part,
                    printer_test=nothing, cash_insert=nothing, sessions=part, account=part,
                    cashbox=nothing, collect=nothing, printing=part, settle=nothing,
                    x_report=nothing, crash_after=nothing, audit=nothing, export=nothing,
                    screenshots=part, notices=part, help=nothing)


def _openapi30(node: Any) -> Any:
    """JSON Schema 2020-12 (msgspec) in OpenAPI 3.0's dialect."""
    if isinstance(node, list):
        return [_openapi30(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi30(v) for k, v in node.items() if k != "title"}
    if isinstance(out.get("default"), float) and not math.isfinite(out["default"]):
        del out["default"]  # JSON has no infinity: absent means "no bound"
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" in rest[0]:
            out["allOf"] = rest
        elif len(rest) == 1:
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    if "enum" in out and "type" not in out:
        kinds = {type(v) for v in out["enum"] if v is not None}
        names = {str: "string", int: "integer", bool: "boolean"}
        if len(kinds) == 1 and kinds <= names.keys():
            out["type"] = names[kinds.pop()]
    return out


def _schemas(models: Iterable[type[Model]]) -> dict[str, Any]:
    _, components = msgspec.json.schema_components(sorted(set(models), key=lambda m: m.__name__),
                                                   ref_template=REF)
    return {name: _openapi30(schema) for name, schema in components.items()}


def _field_codes(model: type[Model] | None) -> list[str]:
    if model is None:
        return []
    return [field_code(f.type) for f in msgspec.structs.fields(model)]


def _refusals(route: Route) -> dict[str, list[str]]:
    """status → the codes the route may answer it with."""
    local: list[str] = list(route.errors) + _field_codes(route.body) + _field_codes(route.query)
    if route.body is not None or route.query is not None:
        local.append("bad_request")
    if route.method == "POST":
        local += ["bad_json", "unsupported_media_type", "too_large"]
    by_status: dict[str, list[str]] = {}

    def put(code: str, status: int) -> None:
        codes = by_status.setdefault(str(status), [])
        if code not in codes:
            codes.append(code)

    for entry in local:
        # "code:status": a code this route answers with one of its other statuses
        # (ErrorCode.also), e.g. the admin card read's 408 no_card.
        code, _, status = entry.partition(":")
        put(code, int(status) if status else LOCAL[code].status)
    for code in route.relays:
        put(code, CENTRAL[code].status)
    return by_status


def _first_paragraph(model: Any) -> str:
    """The reply's docstring's first paragraph, on one line (its name when it has none)."""
    if model is None:
        return "OK"
    doc = (model.__doc__ or "").split("\n\n")[0]
    return " ".join(doc.split()) or model.__name__


def _operation(route: Route, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": route.summary, "tags": [route.socket]}
    if route.description:
        op["description"] = route.description
    if route.pattern == "/v1/events":
        op["parameters"] = [{"name": "Last-Event-ID", "in": "header", "required": False,
                             "schema": {"type": "integer"}}]
    if route.query is not None:
        query = schemas[route.query.__name__]
        op["parameters"] = [
            {"name": name, "in": "query", "required": name in query.get("required", []),
             "schema": prop} for name, prop in query["properties"].items()]
    if route.body is not None:
        body = schemas[route.body.__name__]
        op["requestBody"] = {"required": bool(body.get("required")),
                             "content": {"application/json": {"schema": body}}}
    ok: dict[str, Any] = {"description": route.reply_doc or _first_paragraph(route.reply)}
    if route.pattern == "/v1/events":
        ok = {"description": EVENTS_200, "content": {"text/event-stream": {
            "schema": {"type": "string"}}}}
    elif route.reply is not None:
        ok["content"] = {"application/json": {"schema": {
            "$ref": REF.format(name=route.reply.__name__)}}}
    op["responses"] = {"200": ok}
    for status, codes in sorted(_refusals(route).items()):
        op["responses"][status] = {
            "description": ", ".join(codes),
            "content": {"application/json": {"schema": {"$ref": REF.format(name="Error")}}}}
    return op


def document() -> dict[str, Any]:
    """The OpenAPI document of every route kioskd can serve."""
    _, admin = build_routers(_all_parts())
    models = [m for r in admin.routes for m in (r.body, r.query, r.reply) if m is not None]
    schemas = _schemas(models)
    paths: dict[str, dict[str, Any]] = {}
    for route in admin.routes:
        paths.setdefault(route.pattern, {})[route.method.lower()] = _operation(route, schemas)
    inline = {r.body.__name__ for r in admin.routes if r.body is not None} | {
        r.query.__name__ for r in admin.routes if r.query is not None}
    kept = {n: s for n, s in schemas.items()
            if n not in inline or any(n == getattr(r.reply, "__name__", "") for r in admin.routes)}
    return {"openapi": "3.0.3", "info": INFO, "paths": paths,
            "components": {"schemas": {"Error": ERROR, **dict(sorted(kept.items()))}}}


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite " + OPENAPI_PATH.name)
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        OPENAPI_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {OPENAPI_PATH}")
        return 0
    current = OPENAPI_PATH.read_text(encoding="utf-8")
    if current == text:
        print(f"{OPENAPI_PATH} is up to date")
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                               str(OPENAPI_PATH), "generated"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
