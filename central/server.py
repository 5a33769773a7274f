"""The reference central server: FastAPI (:mod:`central.app`) served by uvicorn.

One :class:`App` owns the database pool, the issuer keys, the settings, the
clock and the routes, and makes the ASGI application from them
(:func:`central.app.create_app`). :class:`CentralServer` serves it with uvicorn
on a socket it binds itself — ``--port 0`` is known before serving, and the
listen backlog is sized for a fleet reconnecting at once — either on a
background thread (tests, ``start()``/``stop()``) or in the foreground
(``citycard-central serve``, ``serve_forever()``; more workers are
:func:`serve_workers`). The database is :class:`central.db.Database` (SQLite or
PostgreSQL); each request runs in one transaction (:func:`central.db.atomic`:
``BEGIN IMMEDIATE`` on SQLite, SERIALIZABLE and retried on PostgreSQL), its nonce
included; idempotency and refusals are as :mod:`central.app` says.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from central import db
from central.app import create_app, document_of
from central.keys import seal_existing
from central.risk import Alert, claim_sweep
from central.router import Reply, Request, Route, Router
from central.routes import all_routes
from central.routes.kiosk import read_help
from central.routes.riskfeed import monitor_on
from central.settings import Settings
from protocol.pboc.secure import IssuerKeys

__all__ = ["DEFAULT_BACKLOG", "App", "CentralServer", "api_routes", "bind", "document",
           "make_server", "tls_context", "uvicorn_config"]

logger = logging.getLogger(__name__)

#: The listen backlog: a fleet of 1,000 kiosks reconnecting after an outage at once
#: must queue, not be refused (socketserver's default was 5). Capped by the
#: kernel's net.core.somaxconn.
DEFAULT_BACKLOG = 2048
#: How long an idle keep-alive connection stays open. kioskd keeps one
#: connection to the central side and calls it every few seconds to minutes; a
#: server that closes it just as a request leaves costs that request, so idle
#: connections are kept longer than uvicorn's 5 s default.
KEEP_ALIVE_S = 120


class App:
    """The API without the socket: the database, keys, settings, clock and the ASGI app."""

    def __init__(self, database: Path | str, settings: Settings | None = None, *,
                 clock: Callable[[], float] = time.time, pool_size: int = 8) -> None:
        self.settings = settings or Settings()
        self.keys = IssuerKeys.from_file(self.settings.keys_file)
        read_help(self.settings.help_file)  # a broken help file stops start-up, not a kiosk
        # One connection more than the requests may hold (central.app.db): the risk
        # sweep's, so it never takes one a request was promised.
        self.db = db.Database(database, pool_size=pool_size + 1)
        self.db_slots = asyncio.Semaphore(pool_size)
        try:  # clear kiosk secrets sealed once a key is given; sealed ones need it
            with self.db.connect() as conn:
                seal_existing(conn, self.settings.secret_key)
        except BaseException:
            self.db.close()
            raise
        self.clock = clock
        routes = api_routes(self)
        self.router = Router(routes)
        self.asgi = create_app(routes, self)
        self.document = document_of(self.asgi)
        self._sweeper: threading.Thread | None = None
        self._stop_sweeping = threading.Event()

    def close(self) -> None:
        self.stop_sweeping()
        self.db.close()

    def sweep_risk(self) -> list[Alert]:
        """Run the risk monitor's sweep (silent kiosks, old events) in its own
        transaction; the alerts it raised."""
        with self.db.connect() as conn:
            return db.atomic(conn, lambda: monitor_on(conn, self.settings.risk,
                                                      self.clock()).sweep())

    def sweep_risk_if_due(self) -> list[Alert] | None:
        """The timed sweep: :meth:`sweep_risk` if this process claims the period
        (:func:`central.risk.claim_sweep`: one of a server's workers sweeps, not each
        of them), in the same transaction as the claim; None when another did."""
        every = self.settings.risk.sweep_every_s
        with self.db.connect() as conn:
            def claimed() -> list[Alert] | None:
                now = self.clock()
                if not claim_sweep(conn, now, every):
                    return None
                return monitor_on(conn, self.settings.risk, now).sweep()
            return db.atomic(conn, claimed)

    # -- the risk sweep, every sweep_every_s while the app is served ----------------------
    def start_sweeping(self) -> None:
        if self._sweeper is not None:
            return
        self._stop_sweeping.clear()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="central-risk-sweep",
                                         daemon=True)
        self._sweeper.start()

    def stop_sweeping(self) -> None:
        self._stop_sweeping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
            self._sweeper = None

    def _sweep_loop(self) -> None:
        every = self.settings.risk.sweep_every_s
        while True:
            try:
                raised = self.sweep_risk_if_due()
            except Exception:
                logger.exception("risk sweep failed; next one in %d s", every)
            else:
                if raised:
                    logger.info("risk sweep raised %d alert(s)", len(raised))
            if self._stop_sweeping.wait(every):
                return


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


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document, without a database (what ``/openapi.json`` serves)."""
    return document_of(create_app(api_routes()))


class _Config(uvicorn.Config):
    """uvicorn's configuration with a ready TLS context (uvicorn itself takes files)."""

    def __init__(self, app: Any, tls: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._tls = tls

    def load(self) -> None:
        super().load()
        if self._tls is not None:
            self.ssl = self._tls


def uvicorn_config(app: Any, *, backlog: int = DEFAULT_BACKLOG,
                   tls: ssl.SSLContext | None = None, **kwargs: Any) -> uvicorn.Config:
    """How every central server runs uvicorn: uvloop and httptools where installed,
    no access log (:mod:`central.app` logs each request with card numbers masked),
    uvicorn leaving the logging configuration alone."""
    return _Config(app, tls, loop="auto", http="auto", lifespan="on", log_config=None,
                   access_log=False, server_header=False, date_header=True,
                   backlog=backlog, timeout_keep_alive=KEEP_ALIVE_S,
                   timeout_graceful_shutdown=5, **kwargs)


def bind(host: str, port: int, backlog: int = DEFAULT_BACKLOG) -> socket.socket:
    """A listening TCP socket (``port`` 0: a free one), shared by every worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, tls: bool) -> str:
    host, port = sock.getsockname()[:2]
    return f"{'https' if tls else 'http'}://{f'[{host}]' if ':' in host else host}:{port}"


class CentralServer:
    """One :class:`App` served by uvicorn on a bound socket."""

    def __init__(self, address: tuple[str, int], app: App,
                 tls: ssl.SSLContext | None = None, *, backlog: int = DEFAULT_BACKLOG) -> None:
        self.app = app
        self.socket = bind(address[0], address[1], backlog)
        self.url = url_of(self.socket, tls is not None)
        self.server = uvicorn.Server(uvicorn_config(app.asgi, backlog=backlog, tls=tls))
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        """Serve in this thread until SIGTERM/SIGINT (main thread) or :meth:`shutdown`."""
        self.server.run(sockets=[self.socket])

    def shutdown(self) -> None:
        self.server.should_exit = True

    def server_close(self) -> None:
        self.socket.close()

    def start(self) -> str:
        """Serve on a background thread; return the base URL once it answers."""
        self._thread = threading.Thread(target=self.serve_forever, name="central-http",
                                        daemon=True)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the central server did not start (see the log)")
            time.sleep(0.005)
        return self.url

    def stop(self) -> None:
        self.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.server_close()
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
                clock: Callable[[], float] = time.time,
                backlog: int = DEFAULT_BACKLOG) -> CentralServer:
    """An app on a bound (not yet serving) socket; ``database`` is a SQLite path or a
    database URL (``postgresql+psycopg://…``)."""
    return CentralServer((host, port), App(database, settings, clock=clock), tls,
                         backlog=backlog)
