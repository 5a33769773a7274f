"""The central API as a FastAPI application, built from the routes' declarations.

Every :class:`central.router.Route` (declared at the bottom of each
``central/routes/*.py``) becomes one FastAPI operation whose endpoint is
generic: the route's handler keeps taking today's :class:`central.router.Request`
and answering a :class:`central.router.Reply`. What sits between the socket and
the handler is FastAPI dependencies, resolved in this order:

``raw_body``            the body as bytes (``413 payload_too_large`` past the limit)
``db``                  the request's database connection (:func:`db`: the one
                        place a connection comes from)
``authenticated_kiosk`` the HMAC signature (:func:`central.auth.authenticate`)
/ ``admin_staff``       or the admin bearer token; ``anonymous`` for the meta routes
``validated_request``   path, query and body against the route's schemas, every
                        problem listed (``400 validation_error``)
``idempotency_key``     the ``Idempotency-Key`` header checked (none/optional/required)

What touches the database is not done by the dependencies themselves: the caller's
check (signature and nonce, or admin token), the request's validation and the key's
are steps they hand to the endpoint, which runs them in that order, then the handler,
in ONE transaction (:func:`central.db.atomic`: ``BEGIN IMMEDIATE`` on SQLite,
SERIALIZABLE and retried on PostgreSQL; :func:`run`) — the nonce, the idempotency
record and the handler's effect commit together, and a retried transaction runs all
of them again. With an idempotency key the answer is stored in the transaction of its
effect (:func:`run_once`). Documented refusals (:class:`ApiError`) from the handler
commit — a wrong PIN must count — and answer the project's error shape; a refusal of
the caller, the request or the key rolls back; anything else rolls back and answers
``500 internal_error``. The OpenAPI document is FastAPI's (``app.openapi()``),
completed by :mod:`central.openapi`.

One exception, on SQLite only (one writer at a time): a signed GET stores its nonce
in a short write transaction of its own, committed without a synchronous flush,
just before its read (:func:`authenticated_kiosk` hands the check to the endpoint);
the GET then reads in a plain ``BEGIN`` beside other requests (WAL) instead of
holding the write lock for the whole request.

The transactions run in FastAPI's thread pool (the storage is blocking SQLAlchemy):
one hop per request, the SQLite GET's two transactions included. The rest (body,
connection slot, validation of the body) stays on the event loop.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at run time, and those of the generated endpoints name local variables.

import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central import __version__, openapi
from central import db as storage
from central.auth import authenticate, authenticate_admin
from central.errors import ApiError
from central.router import PATH_PARAMS, Reply, Request, Route, Router
from central.schemas import body_ref
from central.validation import SchemaViolation, problems
from protocol.masking import mask_card_numbers

if TYPE_CHECKING:
    from central.server import App

__all__ = ["IdempotencyKey", "create_app", "db", "document_of", "reply_response", "run",
           "run_once"]

#: A step a dependency hands to the endpoint, run inside the request's transaction.
Step = Callable[[], Any]

logger = logging.getLogger(__name__)

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
_JSON = "application/json; charset=utf-8"


def _state(request: HttpRequest) -> "App":
    app: App = request.app.state.central
    return app


# -- the dependencies ---------------------------------------------------------------------
async def raw_body(request: HttpRequest) -> bytes:
    """The request's body, refused past ``Settings.max_body_bytes`` before it is read
    whole (a declared length too large is refused unread)."""
    limit = _state(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    try:
        length = int(declared) if declared is not None else 0
    except ValueError:
        length = -1
    if length < 0 or length > limit:
        raise ApiError("payload_too_large", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError("payload_too_large", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def db(request: HttpRequest) -> AsyncIterator[storage.Connection]:
    """The request's database connection (SQLAlchemy, from :class:`central.db.Database`'s
    pool, outside any transaction), for the dependencies and the endpoint alike.

    The one place a request gets its connection. A request waits for a connection
    *here*, on the event loop (``db_slots``: one per pooled connection), never in a
    worker thread: a thread blocked on an empty pool while the requests holding its
    connections wait for a thread would hang the server (100 kiosks at once did).
    With a slot held the pool hands a connection out at once."""
    state = _state(request)
    async with state.db_slots:
        with state.db.connect() as conn:
            yield conn


def _target(request: HttpRequest) -> str:
    """The request target as the client signed it: raw path, ``?``, raw query."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    query: bytes = request.scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


Body = Annotated[bytes, Depends(raw_body)]
Connection = Annotated[storage.Connection, Depends(db)]


def _now(request: HttpRequest) -> float:
    now: float | None = getattr(request.state, "now", None)
    if now is None:
        now = request.state.now = _state(request).clock()
    return now


async def authenticated_kiosk(request: HttpRequest, body: Body, conn: Connection) -> Step:
    """The check of the calling kiosk's HMAC signature, which stores its nonce and
    answers its id (``401 unauthorized`` otherwise), run in the request's transaction.

    On SQLite a GET's nonce is stored here, in a short transaction of its own
    (committed without a synchronous flush), and the check only answers the id."""
    state = _state(request)
    now = _now(request)

    def check() -> str:
        return authenticate(conn, request.method, _target(request), body, request.headers,
                            now=now, secret_key=state.settings.secret_key)

    if request.method == "GET" and not state.db.nonce_in_reads:
        # Run by the endpoint, in the same hop to the thread pool as the GET's read.
        request.state.nonce_first = check

        def stored() -> str:
            kiosk_id: str = request.state.kiosk_id
            return kiosk_id
        return stored
    return check


def _staff(request: HttpRequest, conn: storage.Connection) -> None:
    """Who of the issuer's staff calls (``admin:NAME`` or the token file's actor),
    kept on the request for the handler's audit trail; ``401`` otherwise."""
    request.state.admin = authenticate_admin(conn, request.headers,
                                             _state(request).settings.admin_token)


async def admin_staff(request: HttpRequest, conn: Connection) -> Step:
    """The check of issuer staff's bearer token (``401 unauthorized`` otherwise); no
    kiosk id."""
    def check() -> str:
        _staff(request, conn)
        return ""
    return check


async def kiosk_and_staff(request: HttpRequest, conn: Connection,
                          kiosk: Annotated[Step, Depends(authenticated_kiosk)]) -> Step:
    """A route that wants both (none does today): the signature, then the token."""
    def check() -> str:
        kiosk_id: str = kiosk()
        _staff(request, conn)
        return kiosk_id
    return check


async def anonymous() -> Step:
    """The unsigned meta routes: nobody in particular."""
    return lambda: ""


@dataclass(frozen=True)
class IdempotencyKey:
    """A request's checked ``Idempotency-Key`` and the digest of what it names."""

    key: str
    digest: str


def _idempotency(mode: str) -> Callable[..., Awaitable[Step]]:
    async def idempotency_key(request: HttpRequest, body: Body) -> Step:
        def check() -> IdempotencyKey | None:
            key = request.headers.get("idempotency-key")
            if mode == "none" or not key:
                if mode == "required":
                    raise ApiError("idempotency_key_required")
                return None
            if not _IDEMPOTENCY_KEY.match(key):
                raise ApiError("validation_error", "Idempotency-Key must be 8 to 128 "
                               "letters, digits or _.:-", field="Idempotency-Key")
            digest = hashlib.sha256(f"{request.method}\n{_target(request)}\n".encode()
                                    + body).hexdigest()
            return IdempotencyKey(key, digest)
        return check
    return idempotency_key


_IDEMPOTENCY = {mode: _idempotency(mode) for mode in ("none", "optional", "required")}


# -- checks of path, query and body --------------------------------------------------------
def _invalid(found: list[SchemaViolation]) -> ApiError:
    """``400 validation_error`` naming every problem; ``field`` is the first one's."""
    first = found[0]
    return ApiError("validation_error", "; ".join(str(p) for p in found),
                    field=first.where,
                    problems=[{"field": p.where, "message": p.problem} for p in found])


def _check_params(params: dict[str, str]) -> dict[str, str]:
    found = [p for name, value in params.items()
             for p in problems(value, PATH_PARAMS[name], where=name)]
    if found:
        raise _invalid(found)
    return params


def _parse_query(route: Route, query: str) -> dict[str, Any]:
    raw = parse_qs(query, keep_blank_values=True)
    out: dict[str, Any] = {}
    found: list[SchemaViolation] = []
    for param in route.query:
        values = raw.get(param.name)
        if not values:
            if param.required:
                found.append(SchemaViolation(param.name, "is required"))
            continue
        value: Any = values[-1]
        if param.schema.get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                found.append(SchemaViolation(param.name, "must be an integer"))
                continue
        here = problems(value, param.schema, where=param.name)
        if here:
            found += here
            continue
        out[param.name] = value
    if found:
        raise _invalid(found)
    return out


def _parse_body(route: Route, request: HttpRequest, body: bytes) -> Any:
    if route.body is None:
        return None
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError("unsupported_media_type", content_type=ctype)
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("validation_error", "the body is not JSON", field="body") from None
    found = problems(value, body_ref(route.body), components=openapi.SCHEMAS)
    if found:
        raise _invalid(found)
    return value


# -- running a handler ----------------------------------------------------------------------
def _call(route: Route, req: Request) -> Reply:
    try:
        return route.handler(req)
    except ApiError as exc:
        return Reply(exc.status, exc.body())


def run(route: Route, req: Request) -> Reply:
    """The handler, inside the request's transaction; a documented refusal is an answer
    (its writes commit)."""
    return _call(route, req)


def run_once(route: Route, req: Request, key: IdempotencyKey) -> Reply:
    """The handler once per ``(kiosk, key)``, inside the request's transaction: its
    answer is stored with its effect; a repeat answers it again. A concurrent repeat
    that stored first makes this transaction's INSERT fail (``IntegrityError``): the
    endpoint runs the request again and finds the stored answer."""
    conn = req.conn
    stored = storage.one(conn, "SELECT request_hash, status, response FROM idempotency "
                         "WHERE kiosk_id = :kiosk_id AND key = :key",
                         kiosk_id=req.kiosk_id, key=key.key)
    if stored is not None:
        if stored["request_hash"] != key.digest:
            raise ApiError("idempotency_conflict")
        return Reply(int(stored["status"]), json.loads(stored["response"]),
                     {"Idempotent-Replayed": "true"})
    reply = _call(route, req)
    storage.run(conn, "INSERT INTO idempotency (kiosk_id, key, request_hash, status, response,"
                " created_at) VALUES (:kiosk_id, :key, :digest, :status, :response, :now)",
                kiosk_id=req.kiosk_id, key=key.key, digest=key.digest, status=reply.status,
                response=json.dumps(reply.body, ensure_ascii=False), now=int(req.now))
    return reply


def reply_response(reply: Reply) -> Response:
    """A :class:`Reply` as the HTTP answer: compact UTF-8 JSON."""
    data = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=reply.status, headers=reply.headers, media_type=_JSON)


# -- one FastAPI operation per route ----------------------------------------------------------
def _endpoint(route: Route) -> Callable[..., Response]:
    caller = (kiosk_and_staff if route.auth and route.admin else authenticated_kiosk
              if route.auth else admin_staff if route.admin else anonymous)

    async def validated_request(request: HttpRequest, body: Body, conn: Connection,
                                who: Annotated[Step, Depends(caller)]) -> Step:
        """The step that checks the caller, then path, query and body (in that order:
        an unsigned request is ``401`` whatever its body), and makes the Request."""
        state = _state(request)
        now = _now(request)

        def check() -> Request:
            kiosk_id: str = who()
            return Request(request.method, request.scope["path"],
                           _check_params(dict(request.path_params)),
                           _parse_query(route, request.scope.get("query_string", b"")
                                        .decode("latin-1")),
                           _parse_body(route, request, body), kiosk_id, conn, now,
                           state.settings, state.keys,
                           admin=getattr(request.state, "admin", ""))
        return check

    def endpoint(request: HttpRequest, conn: Connection,
                 make_request: Annotated[Step, Depends(validated_request)],
                 check_key: Annotated[Step, Depends(_IDEMPOTENCY[route.idempotency])]
                 ) -> Response:
        def attempt() -> Reply:
            req: Request = make_request()
            key: IdempotencyKey | None = check_key()
            if key is None:
                return run(route, req)
            req.idempotency_key = key.key
            return run_once(route, req, key)

        # SQLite, a signed GET: its nonce first, in a short write transaction of its own
        # committed without a synchronous flush; then the GET reads beside other requests.
        nonce_first: Step | None = getattr(request.state, "nonce_first", None)
        if nonce_first is not None:
            request.state.kiosk_id = storage.atomic(conn, nonce_first, durable=False)
        # A signed request whose nonce is stored here takes SQLite's write lock from its
        # BEGIN; a GET commits without a synchronous flush (its only write is the nonce).
        nonce_here = route.auth and nonce_first is None
        write = request.method != "GET" or nonce_here
        durable = request.method != "GET"
        for _ in range(2):
            try:
                return reply_response(storage.atomic(conn, attempt, write=write,
                                                     durable=durable))
            except IntegrityError:
                if not request.headers.get("idempotency-key"):
                    raise
                # Another connection stored this Idempotency-Key first; its answer is
                # the answer (found by the next attempt).
                logger.info("idempotency key raced; replaying the first answer")
        raise RuntimeError("idempotency record vanished")

    return endpoint


def _error_response(exc: ApiError) -> Response:
    return reply_response(Reply(exc.status, exc.body(), exc.headers))


def create_app(routes: list[Route], central: "App | None" = None) -> FastAPI:
    """The FastAPI application of ``routes``; ``central`` holds the database,
    keys, settings and clock (None: only to write the document)."""
    router = Router(routes)  # refuses a duplicate (method, path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        if central is not None:
            central.start_sweeping()
        try:
            yield
        finally:
            if central is not None:
                central.stop_sweeping()

    api = FastAPI(title=openapi.TITLE, version=__version__,
                  openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False,
                  lifespan=lifespan)
    api.openapi_version = "3.0.3"
    api.state.central = central
    for route in routes:
        api.add_api_route(route.path, _endpoint(route), methods=[route.method],
                          operation_id=route.operation_id, summary=route.summary,
                          description=route.description, tags=[route.tag],
                          status_code=route.status, response_class=Response,
                          openapi_extra=openapi.operation_extra(route))

    async def api_error(_: HttpRequest, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(exc)

    async def http_error(request: HttpRequest, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.scope["path"]
        if exc.status_code == 405:
            _, _, allowed = router.match(request.method, path)
            refusal = ApiError("method_not_allowed", allowed=sorted(allowed))
            refusal.headers["Allow"] = ", ".join(sorted(allowed))
            return _error_response(refusal)
        if exc.status_code == 404:
            return _error_response(ApiError("not_found", path=path))
        error = ApiError("validation_error", str(exc.detail), http_status=exc.status_code)
        return _error_response(error)

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(StarletteHTTPException, http_error)

    api.add_middleware(_Guard)
    return api


def document_of(api: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of an application made by :func:`create_app`."""
    return openapi.finish(api.openapi())


class _Guard:
    """Outermost: one log line per request (card numbers masked), and a defect anywhere
    below answers ``500 internal_error`` in the error shape instead of a bare 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            logger.exception("%s %s failed", scope["method"], mask_card_numbers(scope["path"]))
            if status:  # the answer had begun: nothing more to say on this connection
                raise
            status = 500
            response = reply_response(Reply(500, ApiError("internal_error").body()))
            await response(scope, receive, send)
        logger.info("%s %s -> %d in %.1f ms", scope["method"], mask_card_numbers(scope["path"]),
                    status, (time.monotonic() - started) * 1000)
