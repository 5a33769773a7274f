"""Driving a running local kiosk (deploy/stack.py) from outside, as the e2e tests,
the demo and the reliability benchmarks do: the demo card, waiting for a state,
tapping, and reading the virtual card's and the central server's side of the
money straight from their files."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from deploy.stack import Stack
from protocol.local import StateSnapshot
from protocol.localclient import LocalClient

__all__ = ["CARD", "central_sql", "tap", "wait_state", "wallet_balance"]

CARD = "03104440300000100017"


def wait_state(client: LocalClient, predicate: Callable[[StateSnapshot], bool],
               what: str, timeout: float = 20) -> StateSnapshot:
    deadline = time.monotonic() + timeout
    snap = client.state()
    while not predicate(snap):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached; state: {snap}")
        time.sleep(0.05)
        snap = client.state()
    return snap


def tap(stack: Stack, card_no: str = CARD) -> StateSnapshot:
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", card_no)
    # The card just tapped (the one before may still be on screen for a moment).
    last4 = card_no[-4:]
    return wait_state(stack.kiosk_client, lambda s: s.screen == "card" and s.card is not None
                      and s.card.central == "ok" and s.card.card_no_masked.endswith(last4),
                      "the card screen")


def wallet_balance(stack: Stack, card_no: str = CARD) -> int:
    data = json.loads((stack.workdir / "state" / "sim-wallet.json").read_text("utf-8"))
    return int(data["cards"][card_no]["balance_fen"])


def central_sql(stack: Stack, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """A query on the central server's database (committed: tests also change it)."""
    conn = sqlite3.connect(stack.db, timeout=10)
    try:
        rows = [tuple(r) for r in conn.execute(query, args).fetchall()]
        conn.commit()
        return rows
    finally:
        conn.close()
