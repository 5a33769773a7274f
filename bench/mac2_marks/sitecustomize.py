"""A diagnosis hook for the reference central server: where one MAC2 request's time goes.

Put this directory on the server's ``PYTHONPATH`` and name an output file in
``MAC2_MARKS``; nothing else changes in the server. It wraps, by monkeypatching at
start-up, the functions a request goes through and notes ``time.monotonic()`` at
their edges: ``central.app._Guard`` (the span of the server's own log line),
``central.db.Database.connect`` (the ``db`` dependency's connection),
``central.db.atomic`` (the endpoint in the thread pool), ``central.db.transaction``
(the process's writer lock, ``BEGIN IMMEDIATE``, the handler's transaction, its
``COMMIT``), ``central.app._call`` (the route's handler), ``central.app.reply_response``
and the ASGI ``send`` of the answer. One JSON line per ``POST …/mac2``: ``[mark, ms
since the request reached _Guard, on the event loop's thread]``. Summarise with
``python bench/mac2_marks/report.py FILE [N]`` (N: the first N lines are one card,
the next N the other, as bench.load_window runs them). docs/PERFORMANCE.md ("A cash
top-up") shows what was found with it.

Active in ``citycard-central serve`` (``bench.load_window`` starts it through
deploy/stack.py, which passes the environment on) and in ``bench.central_load
--in-process-child``. ``MAC2_SPIN=1`` (in-process child only): the child's idle wait
before each MAC2 (``--mac2-idle-ms``) is a busy loop on the event loop's thread
instead of a sleep.
"""

from __future__ import annotations

import os
import sys

_OUT = os.environ.get("MAC2_MARKS")
_SERVE = "serve" in sys.argv and "citycard-central" in sys.argv[0]
_CHILD = "--in-process-child" in sys.argv


def _install(out: str) -> None:
    import json
    import threading
    import time
    from collections.abc import Iterator
    from contextlib import contextmanager
    from typing import Any

    import central.app as capp
    import central.db as cdb

    events: list[tuple[str, float, int]] = []

    def mark(name: str) -> None:
        events.append((name, time.monotonic(), threading.get_ident()))

    atomic = cdb.atomic

    def timed_atomic(conn: Any, body: Any, **kw: Any) -> Any:
        mark("atomic enter")
        try:
            return atomic(conn, body, **kw)
        finally:
            mark("atomic exit")
    cdb.atomic = timed_atomic

    @contextmanager
    def transaction(conn: Any, *, write: bool = True, durable: bool = True) -> Iterator[Any]:
        # central.db.transaction, with marks between its steps
        mark("tx enter")
        if conn.in_transaction():
            conn.commit()
        writer = getattr(conn.engine, cdb._WRITER, None) if write else None
        if writer is not None:
            writer.acquire()
        mark("writer lock held")
        conn.info[cdb._MODE] = (write, durable)
        try:
            tx = conn.begin()
            mark("BEGIN done")
            try:
                yield conn
            except BaseException:
                tx.rollback()
                raise
            mark("body done, COMMIT start")
            tx.commit()
            mark("COMMIT done")
        finally:
            conn.info.pop(cdb._MODE, None)
            if writer is not None:
                writer.release()
    cdb.transaction = transaction

    call = capp._call

    def timed_call(route: Any, req: Any) -> Any:
        mark("handler start")
        try:
            return call(route, req)
        finally:
            mark("handler end")
    capp._call = timed_call

    reply_response = capp.reply_response

    def timed_reply(reply: Any) -> Any:
        response = reply_response(reply)
        mark("reply built")
        return response
    capp.reply_response = timed_reply

    connect = cdb.Database.connect

    @contextmanager
    def timed_connect(self: Any) -> Iterator[Any]:
        mark("db slot held, connect")
        with connect(self) as conn:
            mark("connection out")
            yield conn
        mark("connection back")
    cdb.Database.connect = timed_connect  # type: ignore[method-assign]

    guard = capp._Guard.__call__

    async def timed_guard(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await guard(self, scope, receive, send)
            return
        events.clear()
        mark("guard start")

        async def sending(message: Any) -> None:
            mark("send " + message["type"])
            await send(message)
            mark("sent " + message["type"])
        try:
            await guard(self, scope, receive, sending)
        finally:
            mark("guard end")
            if scope["path"].endswith("/mac2"):
                start, loop = events[0][1], events[0][2]
                with open(out, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps([(name, round((t - start) * 1000, 3), tid == loop)
                                         for name, t, tid in events]) + "\n")
    capp._Guard.__call__ = timed_guard  # type: ignore[method-assign]


def _spin() -> None:
    import asyncio
    import time
    from typing import Any

    sleep = asyncio.sleep

    async def spinning(delay: float, result: Any = None) -> Any:
        if 0.005 <= delay <= 0.2:  # the idle wait before a MAC2
            end = time.perf_counter() + delay
            while time.perf_counter() < end:
                pass
            return result
        return await sleep(delay, result)
    asyncio.sleep = spinning


if _OUT and (_SERVE or _CHILD):
    _install(_OUT)
if os.environ.get("MAC2_SPIN") and _CHILD:
    _spin()
