"""Schemathesis against the running daemon's local API, over its Unix sockets.

The document is the one kioskd serves (``GET /openapi.json``, the same file as
daemon/api/local-api.json). Every operation gets generated requests in both
modes, on the socket that serves it (kiosk.sock for the cardholder's routes,
admin.sock for the operator's and the simulator's), with a card on the reader:

- *positive* (data the document allows): no 5xx, and the answer — status,
  content type, body — is one the document declares;
- *negative* (data the document forbids): a 4xx in the project's error shape,
  never a 5xx, and nothing changes: every journal table, every virtual card,
  and the central side's money, cards and bills are as they were.

tests/e2e/test_bad_input.py sends hand-made broken bodies (not JSON, too
large, broken lengths, one wrong type per field); this test lets the document
drive the values. A few operations are left out, each for its reason (see
``SKIP``). Examples are few, so this stays well under a minute.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from requests.adapters import HTTPAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

from deploy.sessionkit import CARD, tap
from deploy.stack import Stack

DOCUMENT = Path(__file__).resolve().parents[2] / "daemon" / "api" / "local-api.json"

SKIP = {
    "GET /v1/events": "a Server-Sent Events stream: it never ends",
    "POST /v1/sim/crash": "kills the daemon on purpose (tests/e2e/test_crash.py)",
}
# Valid data for these does its job slowly or on purpose changes what the other
# cases need (real pulses for up to ¥100; waiting up to two minutes for a tap, or
# for a UI's screenshot with no UI running; taking the card away): their negative
# cases still run.
POSITIVE_SKIP = {"POST /v1/sim/insert", "POST /v1/admin/card/read", "POST /v1/sim/remove",
                 "POST /v1/sim/tap", "POST /v1/admin/screenshot"}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
NEGATIVE_CHECKS = [negative_data_rejection]

# Findings this test may meet and lets pass, each with the check it fails. It
# found seventeen (undocumented 4xx answers, null taken for an optional field,
# timeout_s 0, ?unprinted=anything, a settlement for date "" that printed a Z
# report, bodies acted on whatever their Content-Type); all are fixed, so the
# table is empty. On every operation a 5xx, an answer outside the error shape,
# or a refused request that changed anything fails. Add an entry only with an
# issue that names it.
UNDOCUMENTED = status_code_conformance.__name__
ACCEPTED = negative_data_rejection.__name__
ANY_MEDIA = "content type"
KNOWN: dict[str, dict[str, str]] = {}
ERROR_SHAPE = {"code", "message", "message_zh", "details"}


class _UnixConnection(HTTPConnection):
    """urllib3's HTTP connection, to a Unix socket instead of a TCP port."""

    def __init__(self, path: str, **kw: Any) -> None:
        super().__init__("localhost", **kw)
        self._path = path

    def _new_conn(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(self._path)
        return sock


class _UnixPool(HTTPConnectionPool):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self._path = path

    def _new_conn(self) -> HTTPConnection:
        self.num_connections += 1
        return _UnixConnection(self._path, timeout=self.timeout.connect_timeout)


class UnixAdapter(HTTPAdapter):
    """A requests transport adapter that sends every request to one Unix socket."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._pool = _UnixPool(str(path))

    def get_connection_with_tls_context(self, request: Any, verify: Any, proxies: Any = None,
                                        cert: Any = None) -> HTTPConnectionPool:
        return self._pool

    def close(self) -> None:
        self._pool.close()
        super().close()


def _session(sock: Path) -> requests.Session:
    session = requests.Session()
    session.mount("http://", UnixAdapter(sock))
    return session


class Live:
    """The running kiosk and one requests session per socket."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        run = stack.workdir / "run"
        self.sessions = {"kiosk": _session(run / "kiosk.sock"),
                         "admin": _session(run / "admin.sock")}

    def session_for(self, operation: Any) -> requests.Session:
        tags = operation.definition.raw.get("tags", [])
        return self.sessions["kiosk" if tags == ["kiosk"] else "admin"]

    def money(self) -> dict[str, Any]:
        """Every journal row, every virtual card, and the central side's money, cards
        and bills — not the bookkeeping that moves by itself (an outbox item's
        delivery, the central side's heartbeats and nonces)."""
        journal = sqlite3.connect(self.stack.workdir / "state" / "journal.sqlite")
        try:
            tables = [r[0] for r in journal.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            state = {f"journal.{t}": journal.execute(
                "SELECT id, key, kind, payload FROM outbox ORDER BY id" if t == "outbox"
                else f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
        finally:
            journal.close()
        state["cards"] = json.loads((self.stack.workdir / "state" / "sim-wallet.json")
                                    .read_text("utf-8"))["cards"]
        central = sqlite3.connect(self.stack.db)
        try:
            state.update({f"central.{t}": central.execute(
                f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in ("orders", "transactions", "cards", "bills", "feedback")})
        finally:
            central.close()
        return state

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with Stack(tmp_path_factory.mktemp("fuzz") / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        tap(stack, CARD)
        live = Live(stack)
        yield live
        live.close()
        audit = json.loads(stack.kioskctl("--json", "audit").stdout)
        assert audit["holds"] is True, audit


schema = schemathesis.openapi.from_path(DOCUMENT)


def _checks(label: str, negative: bool) -> list[Any]:
    known = KNOWN.get(label, {})
    return [c for c in CHECKS + (NEGATIVE_CHECKS if negative else [])
            if c.__name__ not in known]


def _declared_media(case: Any) -> bool:
    sent = {k.lower(): v for k, v in (case.headers or {}).items()}.get("content-type")
    return sent is None or sent.startswith("application/json")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_local_api_answers_as_documented_and_garbage_changes_nothing(
        case: Any, live: Live) -> None:
    label = f"{case.method.upper()} {case.path}"
    if label in SKIP:
        pytest.skip(SKIP[label])
    negative = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
    if not negative and label in POSITIVE_SKIP:
        return
    before = live.money() if negative else {}
    response = case.call(base_url="http://localhost", session=live.session_for(case.operation))
    case.validate_response(response, checks=_checks(label, negative))
    if response.status_code >= 400:
        assert set(response.json()) == ERROR_SHAPE, (label, response.text)
    known = KNOWN.get(label, {})
    accepted_known = response.status_code < 400 and (
        ACCEPTED in known or (ANY_MEDIA in known and not _declared_media(case)))
    if negative and not accepted_known:
        after = live.money()
        changed = sorted(k for k in after if after[k] != before[k])
        assert not changed, f"{case.as_curl_command()} changed {changed}"
