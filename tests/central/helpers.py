"""Shared by the central tests: demo card numbers, the running-server handle, error checks."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.client import SignedClient
from central.db import connect
from central.server import CentralServer

KIOSK = "KIOSK-DEV-0001"
TERMINAL = "440300000001"
# demo cards (config/sim/demo-cards.toml)
ZHANG = "31044403000000100017"   # active, ordinary, 张伟, 86.50, PIN 147258
LI = "31044403000000100025"      # active, student, 李娜, 12.30
WANG = "31044403000000100033"    # active, senior, 王秀英, 0.00, no PIN
LIU = "31044403000000100041"     # lost
CHEN = "31044403000000100058"    # blacklisted
YANG = "31044403000000100066"    # expired
UNKNOWN = "31044403999999999999"
DEMO_PIN = "147258"


@dataclass
class Central:
    """A running server, its database file and a signed client."""

    server: CentralServer
    url: str
    db: Path
    secret: bytes
    client: SignedClient

    def sql(self, query: str, *args: Any) -> list[sqlite3.Row]:
        conn = connect(self.db)
        try:
            return conn.execute(query, args).fetchall()
        finally:
            conn.close()

    def another_client(self, kiosk_id: str = KIOSK, secret: bytes | None = None) -> SignedClient:
        return SignedClient(self.url, kiosk_id, secret or self.secret)


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
    """The PIN block the kiosk would send (format 0 under its PIN key)."""
    from central import pinblock

    return pinblock.encode(pin, card_no, pinblock.pin_key(central.secret))


_keys = iter(range(10**9))


def new_key(prefix: str = "test") -> str:
    """A fresh Idempotency-Key."""
    return f"{prefix}-{next(_keys):08d}"
