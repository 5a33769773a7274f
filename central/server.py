"""The reference central server: HTTP in, validated and authenticated route calls out.

One :class:`App` owns the database (:class:`central.db.Database`: SQLite or
PostgreSQL), the issuer keys and the routes; the standard library's
``ThreadingHTTPServer`` feeds it. Each request runs in one transaction
(:func:`central.db.atomic`: ``BEGIN IMMEDIATE`` on SQLite, SERIALIZABLE and retried
on PostgreSQL), its nonce included; a signed GET's only write is its nonce, so it
commits without a synchronous flush (``durable=False``) — on SQLite in a short
transaction of its own just before the GET's read-only one, so that GETs do not
queue for the one write lock while they work. A request that carries an
``Idempotency-Key`` stores its answer in the same transaction as its effect,
under a UNIQUE ``(kiosk, key)``; a repeat — sequential or concurrent — waits
for the first and gets its answer back with ``Idempotent-Replayed: true``.
Documented refusals commit (a wrong PIN must count); anything else rolls back
and becomes ``500 internal_error``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.exc import IntegrityError

from central import db, openapi
from central.auth import authenticate, authenticate_admin
from central.errors import ApiError
from central.risk import Alert
from central.router import PATH_PARAMS, Reply, Request, Route, Router
from central.routes import all_routes
from central.routes.kiosk import read_help
from central.routes.riskfeed import monitor_on
from central.settings import Settings
from central.validation import SchemaViolation, validate
from protocol.masking import mask_card_numbers
from protocol.pboc.secure import IssuerKeys

__all__ = ["App", "CentralServer", "api_routes", "document", "make_server", "tls_context"]

logger = logging.getLogger(__name__)

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


class App:
    """The API without the socket: ``handle(method, path, headers, body)`` → :class:`Reply`."""

    def __init__(self, database: Path | str, settings: Settings | None = None, *,
                 clock: Callable[[], float] = time.time, pool_size: int = 8) -> None:
        self.settings = settings or Settings()
        self.keys = IssuerKeys.from_file(self.settings.keys_file)
        read_help(self.settings.help_file)  # a broken help file stops start-up, not a kiosk
        self.db = db.Database(database, pool_size=pool_size)
        self.clock = clock
        routes = api_routes(self)
        self.router = Router(routes)
        self.document = openapi.build(routes)

    def close(self) -> None:
        self.db.close()

    def sweep_risk(self) -> list[Alert]:
        """Run the risk monitor's sweep (silent kiosks, old events) in its own
        transaction; the alerts it raised."""
        with self.db.connect() as conn:
            return db.atomic(conn, lambda: monitor_on(conn, self.settings.risk,
                                                      self.clock()).sweep())

    # -- one request ------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Mapping[str, str],
               body: bytes) -> Reply:
        started = time.monotonic()
        try:
            reply = self._handle(method, raw_path, headers, body)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), exc.headers)
        except Exception:
            logger.exception("%s %s failed", method, mask_card_numbers(raw_path))
            reply = Reply(500, ApiError("internal_error").body())
        logger.info("%s %s -> %d in %.1f ms", method,
                    mask_card_numbers(raw_path.split("?")[0]), reply.status,
                    (time.monotonic() - started) * 1000)
        return reply

    def _handle(self, method: str, raw_path: str, headers: Mapping[str, str],
                body: bytes) -> Reply:
        split = urlsplit(raw_path)
        route, params, allowed = self.router.match(method, split.path)
        if route is None:
            if allowed:
                refusal = ApiError("method_not_allowed", allowed=sorted(allowed))
                refusal.headers["Allow"] = ", ".join(sorted(allowed))
                raise refusal
            raise ApiError("not_found", path=split.path)
        now = self.clock()
        key = headers.get("Idempotency-Key")
        with self.db.connect() as conn:
            kiosk_id: str | None = None
            if route.auth and method == "GET" and not self.db.nonce_in_reads:
                # SQLite: the nonce in a short write transaction of its own, committed
                # without a synchronous flush; the GET then reads in a plain BEGIN,
                # beside other requests (WAL), instead of holding the one write lock
                # for the whole request.
                kiosk_id = db.atomic(conn, lambda: authenticate(
                    conn, method, raw_path, body, headers, now=now), durable=False)

            def attempt() -> Reply:
                return self._in_transaction(conn, route, method, raw_path, params, headers,
                                            body, now, kiosk_id)
            # A signed request whose nonce is stored here takes SQLite's write lock from
            # its BEGIN; a GET commits without a synchronous flush (its only write is
            # the nonce).
            write = method != "GET" or (route.auth and kiosk_id is None)
            durable = method != "GET"
            for _ in range(2):
                try:
                    return db.atomic(conn, attempt, write=write, durable=durable)
                except IntegrityError:
                    if not key:
                        raise
                    # Another connection stored this Idempotency-Key first; its answer
                    # is the answer (found by the next attempt).
                    logger.info("idempotency key raced; replaying the first answer")
        raise RuntimeError("idempotency record vanished")

    def _in_transaction(self, conn: db.Connection, route: Route, method: str, raw_path: str,
                        params: dict[str, str], headers: Mapping[str, str], body: bytes,
                        now: float, authenticated: str | None = None) -> Reply:
        """Authenticate (the nonce stored in this transaction, unless ``authenticated``
        names the kiosk already), then the route, once."""
        split = urlsplit(raw_path)
        kiosk_id = authenticated if authenticated is not None else (
            authenticate(conn, method, raw_path, body, headers, now=now) if route.auth else "")
        if route.admin:
            authenticate_admin(headers, self.settings.admin_token)
        req = Request(method, split.path, _check_params(params),
                      _parse_query(route, split.query), _parse_body(route, headers, body),
                      kiosk_id, conn, now, self.settings, self.keys)
        key = headers.get("Idempotency-Key")
        if route.idempotency == "none" or not key:
            if route.idempotency == "required":
                raise ApiError("idempotency_key_required")
            return self._call(route, req)
        if not _IDEMPOTENCY_KEY.match(key):
            raise ApiError("validation_error", "Idempotency-Key must be 8 to 128 "
                           "letters, digits or _.:-", field="Idempotency-Key")
        req.idempotency_key = key
        digest = hashlib.sha256(f"{method}\n{raw_path}\n".encode() + body).hexdigest()
        stored = db.one(conn, "SELECT request_hash, status, response FROM idempotency "
                        "WHERE kiosk_id = :kiosk_id AND key = :key",
                        kiosk_id=req.kiosk_id, key=key)
        if stored is not None:
            if stored["request_hash"] != digest:
                raise ApiError("idempotency_conflict")
            return Reply(int(stored["status"]), json.loads(stored["response"]),
                         {"Idempotent-Replayed": "true"})
        reply = self._call(route, req)
        db.run(conn, "INSERT INTO idempotency (kiosk_id, key, request_hash, status, response,"
               " created_at) VALUES (:kiosk_id, :key, :digest, :status, :response, :now)",
               kiosk_id=req.kiosk_id, key=key, digest=digest, status=reply.status,
               response=json.dumps(reply.body, ensure_ascii=False), now=int(req.now))
        return reply

    @staticmethod
    def _call(route: Route, req: Request) -> Reply:
        try:
            return route.handler(req)
        except ApiError as exc:
            return Reply(exc.status, exc.body())


def _health(req: Request) -> Reply:
    db.scalar(req.conn, "SELECT 1")
    return Reply(200, {"status": "ok", "time": int(req.now)})


def api_routes(app: App | None = None) -> list[Route]:
    """Every route, the unsigned meta routes included (``app`` serves the document)."""
    def the_document(req: Request) -> Reply:
        assert app is not None
        return Reply(200, app.document)

    return [*all_routes(),
            Route("GET", "/health", _health, "getHealth", "Liveness of the central side",
                  "meta", response="Health", auth=False),
            Route("GET", "/openapi.json", the_document, "getOpenApi", "This document", "meta",
                  response="", auth=False)]


def document() -> dict[str, Any]:
    """The OpenAPI document, without a database."""
    return openapi.build(api_routes())


def _check_params(params: dict[str, str]) -> dict[str, str]:
    for name, value in params.items():
        try:
            validate(value, PATH_PARAMS[name], where=name)
        except SchemaViolation as exc:
            raise ApiError("validation_error", str(exc), field=exc.where) from None
    return params


def _parse_query(route: Route, query: str) -> dict[str, Any]:
    raw = parse_qs(query, keep_blank_values=True)
    out: dict[str, Any] = {}
    for param in route.query:
        values = raw.get(param.name)
        if not values:
            if param.required:
                raise ApiError("validation_error", f"query parameter {param.name} is required",
                               field=param.name)
            continue
        value: Any = values[-1]
        if param.schema.get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                raise ApiError("validation_error", f"{param.name} must be an integer",
                               field=param.name) from None
        try:
            validate(value, param.schema, where=param.name)
        except SchemaViolation as exc:
            raise ApiError("validation_error", str(exc), field=exc.where) from None
        out[param.name] = value
    return out


def _parse_body(route: Route, headers: Mapping[str, str], body: bytes) -> Any:
    if route.body is None:
        return None
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError("unsupported_media_type", content_type=ctype)
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("validation_error", "the body is not JSON", field="body") from None
    try:
        validate(value, route.body, components=openapi.SCHEMAS)
    except SchemaViolation as exc:
        raise ApiError("validation_error", str(exc), field=exc.where) from None
    return value


class _Handler(BaseHTTPRequestHandler):
    server: CentralServer
    protocol_version = "HTTP/1.1"
    server_version = "citycard-central"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without NODELAY the second one waits
        # for the client's delayed ACK (~40 ms on Linux).
        with contextlib.suppress(OSError):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        app = self.server.app
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > app.settings.max_body_bytes:
            self.close_connection = True
            self._send(Reply(413, ApiError("payload_too_large",
                                           limit=app.settings.max_body_bytes).body()))
            return
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        headers = _Caseless(headers)
        reply = app.handle(self.command, self.path, headers, body)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        data = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve
    do_TRACE = do_CONNECT = _serve

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The standard library's own refusals (bad request line, unknown method) as JSON."""
        self.close_connection = True
        if code == 501:  # a method http.server has no do_ for
            error = ApiError("method_not_allowed", method=self.command)
        else:
            error = ApiError("validation_error", message or "malformed request",
                             http_status=code)
            error.status = code if 400 <= code < 500 else 400
        self._send(Reply(error.status, error.body()))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http: %s", mask_card_numbers(format % args))  # the request line


class _Caseless(dict[str, str]):
    """Header look-up that ignores case, as HTTP does."""

    def __init__(self, items: dict[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in items.items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class CentralServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` bound to one :class:`App`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.scheme = "https" if tls else "http"
        if tls is not None:
            # The handshake happens on the request's own thread, not in accept().
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None
        self._next_sweep = time.monotonic()

    def service_actions(self) -> None:
        """Between polls of the listening socket: the risk sweep, when it is due."""
        super().service_actions()
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.app.settings.risk.sweep_every_s
        try:
            raised = self.app.sweep_risk()
        except Exception:
            logger.exception("risk sweep failed; next one in %d s",
                             self.app.settings.risk.sweep_every_s)
            return
        if raised:
            logger.info("risk sweep raised %d alert(s)", len(raised))

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host if isinstance(host, str) else host.decode()}:{port}"

    def start(self) -> str:
        """Serve on a background thread; return the base URL."""
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,),
                                        name="central-http",
                                        daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.close()


def tls_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """Server TLS; with ``client_ca`` every client must present a certificate it signed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    if client_ca is not None:
        ctx.load_verify_locations(str(client_ca))
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_server(database: Path | str, host: str = "127.0.0.1", port: int = 0, *,
                settings: Settings | None = None, tls: ssl.SSLContext | None = None,
                clock: Callable[[], float] = time.time) -> CentralServer:
    """An app on a bound (not yet serving) socket; ``database`` is a SQLite path or a
    database URL (``postgresql+psycopg://…``)."""
    return CentralServer((host, port), App(database, settings, clock=clock), tls)
