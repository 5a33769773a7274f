"""The daemon's client for the central API: signed, timed out, retried only when safe.

Every request is signed (:class:`protocol.signing.KioskAuth`, afresh on each
retry), has explicit connect/read timeouts, and is logged once with its
duration and outcome, card numbers masked. Every answer (or its absence) sets
the link state: ``up``, ``down`` (no answer, 5xx) or ``unauthorized`` (the
central side refuses this kiosk's signature: wrong secret or kiosk id, clock
far off), as useless for money as ``down``. Every answer that carries the
server's clock also measures this kiosk's clock skew (:mod:`daemon.clockskew`).
GETs and requests carrying an ``Idempotency-Key`` are retried on connection
failures and 5xx; nothing else is. Errors::

    CentralError
    ├── CentralUnavailable   no answer, timeout, 5xx (the link is down)
    ├── CentralMalformed     an answer that is not the documented JSON, or that does not
    │                        decode into its model (protocol.central; reply_as)
    └── CentralRejected      a documented error answer (code, messages)
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote, urlencode

import requests

from config.schema import CentralSection
from daemon.clockskew import ClockSkew, server_time_of
from protocol.masking import mask_card_numbers
from protocol.signing import KioskAuth
from protocol.wire import Invalid, Model, decode_reply, to_json

if TYPE_CHECKING:
    from daemon.kiosksecret import KioskSecret

__all__ = ["PROBE_PATH", "CentralClient", "CentralError", "CentralMalformed", "CentralRejected",
           "CentralUnavailable", "LinkState", "LinkStatus", "SecretFileError", "central_path",
           "read_secret", "reply_as"]

logger = logging.getLogger(__name__)


class CentralError(Exception):
    """Root of the central client's errors."""


class CentralUnavailable(CentralError):
    """The central side did not answer usefully (network, timeout, 5xx)."""


class CentralMalformed(CentralError):
    """The central side answered something that is not the documented JSON."""


class CentralRejected(CentralError):
    """The central side refused the request with a documented error."""

    def __init__(self, status: int, code: str, message: str, message_zh: str,
                 details: dict[str, Any]) -> None:
        super().__init__(mask_card_numbers(f"{status} {code}: {message}"))
        self.status = status
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.details = details


M = TypeVar("M", bound=Model)


def reply_as(model: type[M], payload: Any) -> M:
    """A central answer (decoded JSON) as ``model``; CentralMalformed naming the first
    problem when it is not one (wrong type, a field missing, a negative amount, …)."""
    try:
        return decode_reply(model, payload)
    except Invalid as exc:
        raise CentralMalformed(f"not a {model.__name__}: {exc}") from None


LinkState = Literal["up", "down", "unauthorized", "unknown"]
PROBE_PATH = "/v1/notices"  # a cheap signed GET: /health would answer a kiosk it refuses


@dataclass(frozen=True)
class LinkStatus:
    state: LinkState
    last_ok_at: float | None  # the last answer that was not a refusal of our signature
    last_error: str | None

    @property
    def up(self) -> bool:
        return self.state == "up"


def central_path(template: str, query: Mapping[str, str | int | None] | Model | None = None,
                 **segments: str) -> str:
    """A central API path with every value encoded: ``{name}`` in ``template`` becomes
    ``segments[name]`` percent-encoded (a ``/``, ``?`` or ``&`` in it stays data),
    and ``query`` (a :class:`protocol.central.CentralQuery` model, or a mapping; None
    values left out) is appended URL-encoded.

    The path is signed as built here and sent unchanged, so nothing a cardholder
    typed can change which resource or which parameters the central side sees.
    """
    path = template.format_map({name: quote(str(value), safe="")
                                for name, value in segments.items()})
    fields = to_json(query) if isinstance(query, Model) else (query or {})
    pairs = [(name, str(value)) for name, value in fields.items() if value is not None]
    return f"{path}?{urlencode(pairs)}" if pairs else path


class SecretFileError(ValueError):
    """The secret file is there but unfit: readable by others, or too short."""


def read_secret(path: Path) -> bytes:
    """The kiosk's HMAC secret; the file must not be readable by group or others.
    OSError when it cannot be read, SecretFileError when it is unfit."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretFileError(f"{path} has mode {mode:04o}; secrets must be 0600")
    secret = path.read_bytes().strip()
    if len(secret) < 16:
        raise SecretFileError(f"{path} holds too short a secret (16 bytes at least)")
    return secret


class CentralClient:
    """Signed JSON requests to the central API."""

    def __init__(self, settings: CentralSection, *, kiosk_id: str,
                 secret: bytes | KioskSecret,
                 wall: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._wall = wall  # this kiosk's clock, as the skew is measured against it
        self.clock = ClockSkew()
        self._base = settings.url.rstrip("/")
        self._session = requests.Session()
        # Signs each attempt afresh; a KioskSecret with the secret its file holds now.
        self._session.auth = (KioskAuth(kiosk_id, secret) if isinstance(secret, bytes)
                              else secret.auth(kiosk_id))
        if settings.ca_file is not None:
            self._session.verify = str(settings.ca_file)
        if settings.client_cert is not None and settings.client_key is not None:
            self._session.cert = (str(settings.client_cert), str(settings.client_key))
        # requests reads the environment (proxy variables, CA bundle) again on every
        # request: a third of its own time per call, the MAC2's inside the load window
        # (docs/PERFORMANCE.md). A daemon's environment is fixed when it starts, so it
        # is read once, here, by requests' own rules, and the session keeps the result.
        env = self._session.merge_environment_settings(self._base, {}, None, None, None)
        self._session.proxies, self._session.verify = env["proxies"], env["verify"]
        self._session.trust_env = False
        self._lock = threading.Lock()
        self._state: LinkState = "unknown"
        self._last_ok: float | None = None
        self._last_error: str | None = None

    @property
    def link(self) -> LinkStatus:
        with self._lock:
            return LinkStatus(self._state, self._last_ok, self._last_error)

    def _mark(self, state: LinkState, error: str | None = None) -> None:
        with self._lock:
            self._state = state
            if state == "up":
                self._last_ok = time.time()
            else:
                self._last_error = error

    def request(self, method: str, path: str, body: dict[str, Any] | Model | None = None, *,
                idempotency_key: str | None = None, retries: int | None = None) -> Any:
        """Send one signed request (a :mod:`protocol.central` model or a dict); return the
        decoded JSON body of a 2xx answer (read it with :func:`reply_as`)."""
        data = (json.dumps(to_json(body), separators=(",", ":")).encode() if body is not None
                else b"")
        safe = method == "GET" or idempotency_key is not None
        attempts = 1 + ((self._settings.retries if retries is None else retries) if safe else 0)
        last: CentralUnavailable | None = None
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, path, data, idempotency_key)
            except CentralUnavailable as exc:
                last = exc
                if attempt < attempts:
                    time.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))
        assert last is not None
        raise last

    def _once(self, method: str, path: str, data: bytes, key: str | None) -> Any:
        headers: dict[str, str] = {}
        if data:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        # Everything said about this request (log, link state, errors) names it masked.
        what = mask_card_numbers(f"{method} {path}")
        started, sent_at = time.monotonic(), self._wall()
        try:
            resp = self._session.request(
                method, self._base + path, data=data or None, headers=headers,
                timeout=(self._settings.connect_timeout_s, self._settings.read_timeout_s))
        except requests.RequestException as exc:
            self._log(what, type(exc).__name__, started)
            self._mark("down", f"{what}: {type(exc).__name__}")
            # requests' message repeats the URL, card number and all; not chained, so
            # no traceback of this error can show it either.
            raise CentralUnavailable(mask_card_numbers(f"{what}: {exc}")) from None
        self._log(what, str(resp.status_code), started)
        return self._decode(what, resp, sent_at, self._wall())

    @staticmethod
    def _log(what: str, outcome: str, started: float) -> None:
        logger.info("central %s -> %s in %.0f ms", what, outcome,
                    (time.monotonic() - started) * 1000)

    def _decode(self, what: str, resp: requests.Response, sent_at: float,
                received_at: float) -> Any:
        if resp.status_code >= 500:
            self._mark("down", f"{what}: HTTP {resp.status_code}")
            raise CentralUnavailable(f"{what}: HTTP {resp.status_code}")
        try:
            payload = resp.json()
        except ValueError:
            self._mark("up")
            raise CentralMalformed(f"{what}: answer is not JSON") from None
        if resp.status_code == 401 and isinstance(payload, dict) \
                and payload.get("code") == "unauthorized":
            details = payload.get("details")
            details = details if isinstance(details, dict) else {}
            reason = details.get("reason")
            self._mark("unauthorized", f"{what}: refused, {reason or 'unauthorized'}")
            self.clock.verdict(refused=reason == "clock_skew")
            server_time = server_time_of(details)
        else:
            self._mark("up")
            server_time = None
            if resp.status_code < 300:  # done, so our timestamp was accepted
                self.clock.verdict(refused=False)
                server_time = server_time_of(payload)  # the heartbeat's answer carries it
        if server_time is not None:
            self.clock.measured(server_time, sent_at, received_at)
        if resp.status_code >= 400:
            if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
                raise CentralMalformed(f"{what}: error without the error shape")
            raise CentralRejected(resp.status_code, payload["code"],
                                  str(payload.get("message", "")),
                                  str(payload.get("message_zh", payload.get("message", ""))),
                                  payload.get("details") or {})
        return payload

    def probe(self) -> LinkStatus:
        """Check the link with a signed call (``GET /v1/notices``, not retried), so a
        kiosk the central side refuses is ``unauthorized``, not ``up``."""
        with contextlib.suppress(CentralError):  # the outcome is in the link state
            self.request("GET", PROBE_PATH, retries=0)
        return self.link

    def close(self) -> None:
        self._session.close()
