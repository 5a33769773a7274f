"""The client side of the local API, for the UI and ``kioskctl``.

HTTP/1.1 over a Unix socket with the standard library's ``http.client``;
Server-Sent Events parsed line by line. Answers decode into the models of
:mod:`protocol.local` (:meth:`LocalClient.call`, :meth:`LocalClient.state`,
``state`` events); an answer that does not fit its model is the daemon's bug and
is refused like no answer. Errors are :class:`LocalApiError` (the daemon
answered with an error) or :class:`DaemonUnavailable` (no daemon on the
socket, or no answer it can read).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from protocol.local import StateSnapshot, Status
from protocol.wire import Invalid, Model, decode_reply, to_json

__all__ = ["DaemonUnavailable", "Event", "LocalApiError", "LocalClient"]


class DaemonUnavailable(Exception):
    """Nothing answers on the socket (daemon stopped, wrong path, no permission)."""


class LocalApiError(Exception):
    """The daemon answered with an error (``status``, ``code``, both messages)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code", "error"))
        self.message = str(body.get("message", ""))
        self.message_zh = str(body.get("message_zh", self.message))
        self.details = body.get("details") or {}
        super().__init__(f"{status} {self.code}: {self.message}")


M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event; ``state`` is the decoded snapshot of a ``state`` event."""

    id: int
    type: str
    data: dict[str, Any]
    state: StateSnapshot | None = None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class LocalClient:
    """Talk to kioskd on ``socket_path``."""

    def __init__(self, socket_path: Path | str, *, timeout: float = 10.0) -> None:
        self.socket_path = Path(socket_path)
        self.timeout = timeout

    def _open(self, method: str, path: str, body: dict[str, Any] | Model | None,
              headers: dict[str, str] | None = None,
              timeout: float | None = None) -> tuple[_UnixConnection, http.client.HTTPResponse]:
        conn = _UnixConnection(self.socket_path, timeout if timeout is not None else self.timeout)
        data = json.dumps(to_json(body)).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=hdrs)
            return conn, conn.getresponse()
        except (FileNotFoundError, ConnectionRefusedError, PermissionError) as exc:
            conn.close()
            raise DaemonUnavailable(f"no daemon on {self.socket_path}: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise DaemonUnavailable(f"local API failed on {self.socket_path}: {exc}") from exc

    def request(self, method: str, path: str, body: dict[str, Any] | Model | None = None,
                timeout: float | None = None) -> Any:
        conn, resp = self._open(method, path, body, timeout=timeout)
        try:
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead
            raise DaemonUnavailable(f"the answer from {self.socket_path} was cut short: "
                                    f"{exc!r}") from exc
        finally:
            conn.close()
        try:
            payload = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
            raise DaemonUnavailable(f"daemon answered non-JSON ({resp.status})") from exc
        if resp.status >= 400:
            raise LocalApiError(resp.status, payload if isinstance(payload, dict) else {})
        return payload

    def get(self, path: str, timeout: float | None = None) -> Any:
        return self.request("GET", path, timeout=timeout)

    def post(self, path: str, body: dict[str, Any] | Model | None = None,
             timeout: float | None = None) -> Any:
        return self.request("POST", path, body or {}, timeout=timeout)

    def call(self, method: str, path: str, reply: type[M], body: Model | None = None,
             timeout: float | None = None) -> M:
        """A request whose answer is decoded into ``reply`` (a :mod:`protocol.local` model)."""
        raw = self.request(method, path, body if body is not None or method == "GET" else {},
                           timeout=timeout)
        return _decoded(reply, raw, path)

    def state(self) -> StateSnapshot:
        return self.call("GET", "/v1/state", StateSnapshot)

    def status(self) -> Status:
        return self.call("GET", "/v1/admin/status", Status)

    def events(self, last_event_id: int | None = None,
               read_timeout: float = 30.0) -> Generator[Event, None, None]:
        """Stream events until the connection ends; the first is always a ``state``
        snapshot or the events missed since ``last_event_id``. The daemon sends a
        comment line at least every 10 s, so ``read_timeout`` detects a dead link."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        conn, resp = self._open("GET", "/v1/events", None, headers, timeout=read_timeout)
        try:
            if resp.status != 200:
                raise LocalApiError(resp.status, {"code": "events_refused"})
            yield from _parse_sse(resp)
        except (OSError, http.client.HTTPException) as exc:
            raise DaemonUnavailable(f"event stream ended: {exc}") from exc
        finally:
            conn.close()


def _parse_sse(resp: http.client.HTTPResponse) -> Iterator[Event]:
    ev_id, ev_type = 0, "message"
    data_lines: list[str] = []
    while True:
        raw = resp.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data_lines:
                data = json.loads("\n".join(data_lines))
                state = _decoded(StateSnapshot, data, "state event") if ev_type == "state" \
                    else None
                yield Event(ev_id, ev_type, data, state)
            ev_type, data_lines = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            ev_id = int(value)
        elif name == "event":
            ev_type = value
        elif name == "data":
            data_lines.append(value)


def _decoded(model: type[M], raw: Any, what: str) -> M:
    try:
        return decode_reply(model, raw)
    except Invalid as exc:
        raise DaemonUnavailable(f"the daemon's answer to {what} is not a {model.__name__}: "
                                f"{exc}") from None
