"""HTTP/1.1 + JSON over a Unix socket: the server side of the local API.

A small router (method + path pattern → handler) under the standard library's
``BaseHTTPRequestHandler``, served on a ``ThreadingUnixStreamServer`` whose
socket file gets the configured mode. A :class:`Route` names its request
model (``body=``, ``query=``; :mod:`protocol.local`), its reply model and the
catalogue codes it refuses with; the router decodes the body or query into
the model — a 400 listing every wrong field otherwise — and calls the handler
with the :class:`Request` and the model. Handlers return a model (or a
JSON-ready value) or raise :class:`ApiError` (the HTTP layer's own refusals)
or a domain error (:mod:`daemon.errors`, answered with the status
:mod:`daemon.api.errors` gives its code). Server-Sent Events are a handler
that returns a :class:`Stream`.
"""

from __future__ import annotations

import contextlib
import grp
import json
import logging
import os
import re
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from daemon.api.errors import body_of, status_of
from daemon.errors import KioskError
from protocol.errors import LOCAL, error_body
from protocol.wire import Invalid, Model, decode, decode_query, to_json

__all__ = ["ApiError", "Request", "Route", "Router", "Stream", "UnixHttpServer", "group_id"]

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


class ApiError(Exception):
    """An error answer: HTTP status plus the project's error shape; ``code`` is one
    of the catalogue's (:data:`protocol.errors.LOCAL`, tests/protocol/test_errors.py)."""

    def __init__(self, status: int, code: str, message: str, message_zh: str = "",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(code, message, message_zh or message, details)
        self.headers: dict[str, str] = {}

    @classmethod
    def invalid(cls, exc: Invalid) -> ApiError:
        """400 with every wrong field in ``details.problems``; the code is the first's."""
        entry = LOCAL[exc.code]
        return cls(entry.status, exc.code, f"{entry.message} ({exc})", entry.message_zh,
                   details={"field": exc.problems[0].field,
                            "problems": [p.as_json() for p in exc.problems]})


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stream:
    """A streaming (text/event-stream) answer: an iterator of already-encoded chunks."""

    chunks: Iterator[bytes]


Handler = Callable[..., Any]  # (Request) or (Request, the body/query model) -> reply


@dataclass(frozen=True)
class Route:
    """One operation: how it is matched, what it takes and answers, and its refusals.

    ``body``/``query``: the request model the handler gets as its second argument;
    ``reply``: the model it answers with (None: described by ``reply_doc`` only);
    ``errors``: the :data:`protocol.errors.LOCAL` codes it refuses with, ``relays``
    the :data:`protocol.errors.CENTRAL` ones it passes on from the card centre.
    ``socket``: ``kiosk`` (both sockets) or ``admin`` (admin.sock only);
    ``max_body``: the largest body it reads (413 ``too_large`` past it)."""

    method: str
    pattern: str
    handler: Handler
    summary: str = ""
    body: type[Model] | None = None
    query: type[Model] | None = None
    reply: Any = None
    reply_doc: str = ""
    errors: tuple[str, ...] = ()
    relays: tuple[str, ...] = ()
    description: str = ""
    socket: str = "kiosk"
    max_body: int = MAX_BODY  # larger only where a route takes a large upload

    def call(self, request: Request) -> Any:
        """The handler's answer, called with the decoded body or query (400 when it is not)."""
        if self.body is None and self.query is None:
            return self.handler(request)
        try:
            model = (decode(self.body, request.body) if self.body is not None
                     else decode_query(self.query, request.query))  # type: ignore[arg-type]
        except Invalid as exc:
            raise ApiError.invalid(exc) from None
        return self.handler(request, model)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$"
        m = re.match(regex, path)
        return m.groupdict() if m else None


class Router:
    """An ordered list of routes; the first match wins."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self.routes: list[Route] = list(routes or [])

    def add(self, method: str, pattern: str, handler: Handler, summary: str = "",
            **spec: Any) -> None:
        """Add a route; ``spec`` is :class:`Route`'s keyword fields (body, reply, errors, …)."""
        self.routes.append(Route(method, pattern, handler, summary, **spec))

    def max_body(self, method: str, path: str) -> int:
        """The largest body the route for ``method path`` takes (MAX_BODY if none)."""
        for route in self.routes:
            if route.match(method, path) is not None:
                return route.max_body
        return MAX_BODY

    def dispatch(self, request: Request) -> Any:
        allowed: list[str] = []
        for route in self.routes:
            params = route.match(request.method, request.path)
            if params is not None:
                request.params = params
                return route.call(request)
            if route.match(route.method, request.path) is not None:
                allowed.append(route.method)
        if allowed:
            allowed = sorted(set(allowed))
            refusal = ApiError(405, "method_not_allowed", f"{request.method} not allowed here",
                               f"此处不支持 {request.method}", details={"allowed": allowed})
            refusal.headers["Allow"] = ", ".join(allowed)
            raise refusal
        raise ApiError(404, "not_found", f"no such resource: {request.path}", "没有这个资源")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: UnixHttpServer

    def address_string(self) -> str:  # Unix sockets have no peer address
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.server.name, *args)

    def _send_json(self, status: int, payload: Any,
                   headers: dict[str, str] | None = None) -> None:
        data = json.dumps(to_json(payload), ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The standard library's own refusals in the error shape, not its HTML page."""
        self.close_connection = True
        if code == 501:  # a method with no do_ method here: the router says 405 or 404
            self._handle()
            return
        error = ApiError(code if 400 <= code < 600 else 400, "bad_request",
                         message or "malformed request", "请求格式不正确")
        self._send_json(error.status, error.body)

    def _handle(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            body = self._read_body(self.server.router.max_body(self.command, split.path))
            request = Request(self.command, split.path, {}, query,
                              {k.lower(): v for k, v in self.headers.items()}, body)
            result = self.server.router.dispatch(request)
        except ApiError as exc:
            self._send_json(exc.status, exc.body, exc.headers)
            return
        except KioskError as exc:  # the domain's refusal: its status comes from one table
            self._send_json(status_of(exc), body_of(exc))
            return
        except Exception:
            logger.exception("%s %s failed", self.command, split.path)
            self._send_json(500, ApiError(500, "internal", "internal error", "内部错误").body)
            return
        if isinstance(result, Stream):
            self._stream(result)
        else:
            self._send_json(200, result)

    def _read_body(self, limit: int) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise ApiError(400, "bad_request", "Content-Length is not a length",
                           "Content-Length 无效")
        if length > limit:
            raise ApiError(413, "too_large", "request body too large", "请求过大")
        media = self.headers.get("Content-Type")
        if media is not None and media.split(";")[0].strip().lower() != "application/json":
            # Acting on a body the sender did not call JSON (a form, a multipart
            # upload) would let a confused client trigger an operation.
            raise ApiError(415, "unsupported_media_type", "the body must be application/json",
                           "请求必须是 application/json")
        if not length:
            return {}
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "bad_json", "body is not JSON", "请求不是 JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad_json", "body must be a JSON object", "请求必须是 JSON 对象")
        return body

    def _stream(self, stream: Stream) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        server = self.server
        server.streaming(self.connection, True)
        try:
            for chunk in stream.chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                if server.stopping.is_set():
                    break
        except OSError:  # the client went away, or close() ended the stream
            logger.debug("event stream ended by its connection")
        finally:
            server.streaming(self.connection, False)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class UnixHttpServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The local API on one Unix socket, its file created with ``mode`` and, when
    ``group`` is given, owned by that group (the daemon's user must be in it) —
    or the socket systemd made and passed on (:mod:`daemon.api.activation`)."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, path: Path, router: Router, *, mode: int, name: str,
                 group: str = "", inherited: socket.socket | None = None) -> None:
        """``inherited``: a listening socket systemd made (socket activation); its
        file, owner, group and mode are systemd's, and it outlives this server."""
        self.router = router
        self.name = name
        self.path = Path(path)
        self.stopping = threading.Event()
        self._own_file: tuple[int, int] | None = None  # (st_dev, st_ino) of a file it made
        if inherited is not None:
            super().__init__(str(self.path), _Handler, bind_and_activate=False)
            self.socket.close()
            self.socket = inherited
            self.server_address = inherited.getsockname()
            if self.server_address != str(self.path):  # the UI and kioskctl use the config's
                logger.warning("systemd passed the %s socket on %s, but the config's is %s: "
                               "clients of %s find no daemon", name, self.server_address,
                               self.path, self.path)
        else:
            self._bind(mode, group)
            made = self.path.stat()
            self._own_file = (made.st_dev, made.st_ino)
        self._thread: threading.Thread | None = None
        self._streams: set[socket.socket] = set()
        self._streams_lock = threading.Lock()

    def _bind(self, mode: int, group: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_socket():
            self.path.unlink()  # a stale socket from a previous run
        old_umask = os.umask(0o177)  # never world-accessible, not even briefly
        try:
            super().__init__(str(self.path), _Handler)
        finally:
            os.umask(old_umask)
        try:
            os.chmod(self.path, mode)
            if group:
                _give_group(self.path, group)
        except OSError:
            self.server_close()
            self.path.unlink(missing_ok=True)
            raise

    def streaming(self, conn: socket.socket, live: bool) -> None:
        """Track the connections that carry an event stream, so close() can end them."""
        with self._streams_lock:
            (self._streams.add if live else self._streams.discard)(conn)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"api-{self.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
        # An event stream waits for its next event: end it now, so its client
        # hears that this server is gone instead of at the next keepalive.
        with self._streams_lock:
            for conn in self._streams:
                with contextlib.suppress(OSError):  # already gone
                    conn.shutdown(socket.SHUT_RDWR)
        self.server_close()
        # Only the file it made: systemd's socket stays for the next start, and
        # so does one a socket unit has made on this path since.
        with contextlib.suppress(FileNotFoundError):
            now = self.path.stat()
            if (now.st_dev, now.st_ino) == self._own_file:
                self.path.unlink()

    def __repr__(self) -> str:
        state = "closed" if self.stopping.is_set() else "serving"
        return f"<UnixHttpServer {self.name} {self.path} {state}>"


def group_id(group: str) -> int:
    """The id of ``group``; LookupError naming it when this system has no such group."""
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise LookupError(f"there is no group {group!r} on this system") from None


def _give_group(path: Path, group: str) -> None:
    """chgrp ``path`` to ``group``; an OSError that names the group otherwise."""
    try:
        gid = group_id(group)
    except LookupError as exc:
        raise OSError(f"{path.name}: {exc}") from None
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        raise PermissionError(f"{path.name}: cannot give it to group {group!r}; the daemon's "
                              "user must be a member of that group") from None
