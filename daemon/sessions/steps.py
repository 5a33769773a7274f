"""The session kinds, their steps and the one table of moves between them.

A session's step is what the screen draws (``SessionView.step``); it changes
only through :meth:`daemon.sessions.machine.Machine.move`, which checks this
table, so a step no kind can reach — or a move out of order — is a bug found at
once, not a screen left hanging. The values are the local API's words.

Top-up::

    inserting ─▶ finishing ─▶ loading ◀─▶ tap_card ─▶ holding
        │            │           │                        │
        └▶ cancelled ◀┘           └▶ done | pending | failed ◀┘

Bill::

    found ─▶ paying ◀─▶ tap_card ─▶ holding ─▶ cancelled
      │        ├─▶ done | failed | cancelled
      └▶ cancelled

Pending load (a load waiting at the central side, or points)::

    loading ◀─▶ tap_card ─▶ holding ─▶ pending | failed
       └─▶ done | pending | failed

``done``, ``pending``, ``failed`` and ``cancelled`` end the session: entering
one journals how it ended (:data:`ENDS`); nothing moves out of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from daemon.topup import Limits

__all__ = ["ENDS", "FIRST", "MOVES", "IllegalMove", "Kind", "Session", "Step"]


class Kind(StrEnum):
    TOPUP = "topup"
    BILL = "bill"
    PENDING_LOAD = "pending_load"


class Step(StrEnum):
    INSERTING = "inserting"  # the acceptor takes cash
    FINISHING = "finishing"  # inhibited; the last train decodes; the load order is journaled
    FOUND = "found"  # a bill on screen, not yet paid
    LOADING = "loading"  # a load order is being driven
    PAYING = "paying"  # a purchase order is being driven
    TAP_CARD = "tap_card"  # the order needs its card back on the reader
    HOLDING = "holding"  # the card did not come back: the order is being held or given up
    DONE = "done"
    PENDING = "pending"  # the load waits at the central side for the card (voucher)
    FAILED = "failed"
    CANCELLED = "cancelled"


S = Step
#: The step each kind opens in.
FIRST: dict[Kind, Step] = {Kind.TOPUP: S.INSERTING, Kind.BILL: S.FOUND,
                           Kind.PENDING_LOAD: S.LOADING}

_LOAD_MOVES: dict[Step, frozenset[Step]] = {
    S.LOADING: frozenset({S.TAP_CARD, S.DONE, S.PENDING, S.FAILED}),
    S.TAP_CARD: frozenset({S.LOADING, S.HOLDING}),
    S.HOLDING: frozenset({S.PENDING, S.FAILED}),
}

#: kind → step → the steps it may move to. A step not listed moves nowhere.
MOVES: dict[Kind, dict[Step, frozenset[Step]]] = {
    Kind.TOPUP: {
        S.INSERTING: frozenset({S.FINISHING, S.CANCELLED}),
        S.FINISHING: frozenset({S.LOADING, S.TAP_CARD, S.CANCELLED}),  # nothing went in
        **_LOAD_MOVES,
    },
    Kind.PENDING_LOAD: _LOAD_MOVES,
    Kind.BILL: {
        S.FOUND: frozenset({S.PAYING, S.CANCELLED}),
        # cancelled: the central side was unreachable, so the purchase was given up
        S.PAYING: frozenset({S.TAP_CARD, S.DONE, S.FAILED, S.CANCELLED}),
        S.TAP_CARD: frozenset({S.PAYING, S.HOLDING}),
        S.HOLDING: frozenset({S.CANCELLED}),  # nothing was debited: given up
    },
}

#: The steps that end a session, with the journal's ``sessions.state`` for each.
ENDS: dict[Step, str] = {S.DONE: "completed", S.PENDING: "pending", S.FAILED: "failed",
                         S.CANCELLED: "cancelled"}


class IllegalMove(RuntimeError):
    """A move the table does not allow: a programming error, never the cardholder's."""


@dataclass
class Session:
    """One cardholder session; ``step`` is changed only by ``Machine.move``."""

    id: str
    kind: Kind
    card_no: str
    balance_fen: int  # the card's balance when the session opened
    step: Step
    limits: Limits | None = None
    order_id: str | None = None
    owed_id: str | None = None  # cash over the limits, owed back (a refused order)
    bill: dict[str, Any] | None = None
    closed: bool = False
    last_activity: float = field(default_factory=time.monotonic)


def check_move(kind: Kind, current: Step, to: Step) -> None:
    """Raise :class:`IllegalMove` unless ``kind`` may go from ``current`` to ``to``."""
    if to not in MOVES[kind].get(current, frozenset()):
        raise IllegalMove(f"a {kind} session cannot move from {current} to {to}")
