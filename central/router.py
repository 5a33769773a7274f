"""Routes: what each operation takes, answers and may refuse.

A :class:`Route` is the single description of an operation. :mod:`central.app`
makes one FastAPI operation of each (a generic endpoint that checks the
signature or admin token, validates path, query and body against the route's
schemas, handles the ``Idempotency-Key`` and calls ``handler`` in one
transaction), and FastAPI's document carries the route's schemas and error
codes (:func:`central.openapi.operation_extra`), so a route cannot exist
without its document entry. A new operation is one more ``Route(...)`` in its
module's ``ROUTES`` (listed by :func:`central.routes.all_routes`) and a handler
``(Request) -> Reply``; nothing FastAPI-specific. :class:`Router` finds a route
by method and path (the 405's ``Allow`` list, the contract tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy.engine import Connection

from central.settings import Settings
from protocol.central import CardNo, CentralRequest
from protocol.pboc.secure import IssuerKeys

__all__ = ["PATH_PARAMS", "Param", "Reply", "Request", "Route", "Router"]

Json = dict[str, Any]

# Every path parameter has one schema, wherever it appears.
PATH_PARAMS: dict[str, Json] = {
    "card_no": {**msgspec.json.schema(CardNo), "example": "31044403000000100017",
                "description": "20-digit application serial (10 bytes BCD, as on the chip)"},
    "order_id": {"type": "string", "pattern": "^[LP]O[0-9a-f]{24}$",
                 "description": "order id (LO… load, PO… purchase)"},
    "alert_id": {"type": "string", "pattern": "^[1-9][0-9]{0,15}$", "description": "alert id"},
    "kiosk_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                 "description": "kiosk id"},
}


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    schema: Json
    description: str
    required: bool = False


@dataclass
class Reply:
    """A JSON answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """One validated request, with the connection of its transaction."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, Any]
    body: Any
    kiosk_id: str
    conn: Connection  # SQLAlchemy Core, inside the request's transaction (central.db)
    now: float
    settings: Settings
    keys: IssuerKeys
    idempotency_key: str | None = None
    admin: str = ""  # who calls an admin route (central.auth.authenticate_admin), for the audit


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Route:
    """One operation of the API."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    status: int = 200
    response: str = ""
    body: type[CentralRequest] | None = None  # its schema: central.schemas (generated)
    query: tuple[Param, ...] = ()
    errors: tuple[str, ...] = ()
    idempotency: str = "none"  # none | optional | required
    auth: bool = True  # a kiosk's HMAC signature
    admin: bool = False  # the issuer's admin bearer token (central.auth.authenticate_admin)
    description: str = ""
    content_type: str = "application/json"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")


class Router:
    """Finds the route for a method and path."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._compiled = [(r.pattern(), r) for r in routes]
        seen = set()
        for r in routes:
            if (r.method, r.path) in seen:
                raise ValueError(f"duplicate route {r.method} {r.path}")
            seen.add((r.method, r.path))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """``(route, path params, allowed methods)``; route is None if nothing matches."""
        allowed: list[str] = []
        for pattern, route in self._compiled:
            m = pattern.match(path)
            if not m:
                continue
            if route.method == method:
                return route, m.groupdict(), []
            allowed.append(route.method)
        return None, {}, allowed


def by_operation(routes: list[Route]) -> Mapping[str, Route]:
    return {r.operation_id: r for r in routes}
