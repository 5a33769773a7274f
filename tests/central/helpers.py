"""Shared by the central tests: demo card numbers, the running-server handle, error checks."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql_text

from central.client import SignedClient
from central.db import connect, transaction
from central.keys import PinKdf
from central.server import CentralServer

KIOSK = "KIOSK-DEV-0001"
TERMINAL = "440300000001"
# demo cards (config/sim/demo-cards.toml)
ZHANG = "03104440300000100017"   # active, ordinary, 张伟, 86.50, PIN 147258
LI = "03104440300000100025"      # active, student, 李娜, 12.30
WANG = "31044403000000100033"    # active, senior, 王秀英, 0.00, no PIN
LIU = "03104440300000100041"     # lost
CHEN = "03104440300000100058"    # blacklisted
YANG = "31044403000000100066"    # expired
UNKNOWN = "31044403999999999999"
DEMO_PIN = "147258"
# The payment-password verifiers' cost in tests: the default's ≥ 50 ms a guess would make
# every PIN test slow (tests/central/test_keys.py checks the default's parameters).
TEST_PIN_KDF = PinKdf(n=16, r=1, p=1)


@dataclass
class Central:
    """A running server, its database (an SQLite file's path, or a PostgreSQL URL)
    and a signed client."""

    server: CentralServer
    url: str
    db: Path | str
    secret: bytes
    client: SignedClient

    @property
    def db_args(self) -> list[str]:
        """How ``citycard-central`` names this database."""
        if isinstance(self.db, Path):
            return ["--db", str(self.db)]
        return ["--database-url", self.db]

    @property
    def backend(self) -> str:
        return "sqlite" if isinstance(self.db, Path) else "postgresql"

    def sql(self, query: str, *args: Any) -> list[SqlRow]:
        """Run ``query`` (``?`` placeholders, in order) in its own transaction."""
        names = iter(range(len(args) + 1))
        named = re.sub(r"\?", lambda _: f":p{next(names)}", query)
        conn = connect(self.db)
        try:
            with transaction(conn):
                result = conn.execute(
                    sql_text(named), {f"p{i}": a for i, a in enumerate(args)})
                return [SqlRow(r) for r in result] if result.returns_rows else []
        finally:
            conn.close()

    def another_client(self, kiosk_id: str = KIOSK, secret: bytes | None = None) -> SignedClient:
        return SignedClient(self.url, kiosk_id, secret or self.secret)


class SqlRow(tuple[Any, ...]):
    """A row read by :meth:`Central.sql`: by position (``row[0]``) or by name
    (``row["kind"]``), as sqlite3.Row allowed."""

    _by_name: dict[str, Any]

    def __new__(cls, row: Any) -> SqlRow:
        made = super().__new__(cls, tuple(row))
        made._by_name = dict(row._mapping)
        return made

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return self._by_name[key] if isinstance(key, str) else super().__getitem__(key)


class Clock:
    """The server's clock in a test: stands still until the test moves it, so two
    answers given "at the same moment" are comparable byte for byte."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def same_answer(one: Any, other: Any) -> bool:
    """Status, body and headers alike (but the Date header)."""
    def headers(resp: Any) -> dict[str, str]:
        return {k.lower(): v for k, v in resp.headers.items() if k.lower() != "date"}
    return (one.status_code, one.content, headers(one)) == (
        other.status_code, other.content, headers(other))


def error_of(resp: Any, status: int, code: str) -> dict[str, Any]:
    """Assert the one error shape with this status and code; return the details."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"code", "message", "message_zh", "details"}, body
    assert body["code"] == code, body
    assert body["message"] and body["message_zh"]
    assert isinstance(body["details"], dict)
    return dict(body["details"])


def pin_block(central: Central, pin: str, card_no: str) -> str:
    """The PIN block the kiosk would send (format 4 under its PIN key)."""
    from protocol import pinblock

    return pinblock.encode(pin, card_no, pinblock.pin_key(central.secret))


_keys = iter(range(10**9))


def new_key(prefix: str = "test") -> str:
    """A fresh Idempotency-Key."""
    return f"{prefix}-{next(_keys):08d}"
