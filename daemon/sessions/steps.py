"""The session kinds, their steps and the one table of moves between them.

A session's step is what the screen draws (``SessionView.step``); it changes
only through :meth:`daemon.sessions.machine.Machine.move`, which checks
:data:`MOVES`, so a move out of order is a bug found at once, not a screen
left hanging. The values are the local API's words. The usual paths::

    top-up        inserting → finishing → (tap_card →) loading → done
    bill          found → paying → (tap_card → paying →) done
                  (a wrong payment password: paying → found, until it is locked)
    pending load  loading → (tap_card → loading →) done

and the other ways out: nothing inserted → cancelled; a bill left unpaid →
cancelled; the card not back in time → holding → pending (a load, with a
voucher) or cancelled (a bill: nothing was debited); the centre unreachable
→ pending (a load) or cancelled (a bill); a refusal → failed (a bill; a load
the centre refused outright, its cash owed with a refund voucher) or pending
(any other load: the cash is in, it waits for the card).

``done``, ``pending``, ``failed`` and ``cancelled`` end the session: entering
one journals how it ended (:data:`ENDS`); nothing moves out of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from daemon.topup import Limits
from protocol.cardno import printed_card_no

__all__ = ["ENDS", "FIRST", "MOVES", "IllegalMove", "Kind", "Session", "Step", "check_move"]


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


_S = Step  # (short, for the table)
#: The step each kind opens in.
FIRST: dict[Kind, Step] = {Kind.TOPUP: _S.INSERTING, Kind.BILL: _S.FOUND,
                           Kind.PENDING_LOAD: _S.LOADING}

_LOAD_MOVES: dict[Step, frozenset[Step]] = {
    _S.LOADING: frozenset({_S.TAP_CARD, _S.DONE, _S.PENDING, _S.FAILED}),
    _S.TAP_CARD: frozenset({_S.LOADING, _S.HOLDING}),
    _S.HOLDING: frozenset({_S.PENDING, _S.FAILED}),
}

#: kind → step → the steps it may move to. A step not listed moves nowhere.
MOVES: dict[Kind, dict[Step, frozenset[Step]]] = {
    Kind.TOPUP: {
        _S.INSERTING: frozenset({_S.FINISHING, _S.CANCELLED}),
        # cancelled: nothing went in
        _S.FINISHING: frozenset({_S.LOADING, _S.TAP_CARD, _S.CANCELLED}),
        **_LOAD_MOVES,
    },
    Kind.PENDING_LOAD: _LOAD_MOVES,
    Kind.BILL: {
        _S.FOUND: frozenset({_S.PAYING, _S.CANCELLED}),
        # cancelled: the central side was unreachable, so the purchase was given up
        # found: a wrong payment password with tries left; nothing was debited
        _S.PAYING: frozenset({_S.FOUND, _S.TAP_CARD, _S.DONE, _S.FAILED, _S.CANCELLED}),
        _S.TAP_CARD: frozenset({_S.PAYING, _S.HOLDING}),
        _S.HOLDING: frozenset({_S.CANCELLED}),  # nothing was debited: given up
    },
}

#: The steps that end a session, with the journal's ``sessions.state`` for each.
ENDS: dict[Step, str] = {_S.DONE: "completed", _S.PENDING: "pending", _S.FAILED: "failed",
                         _S.CANCELLED: "cancelled"}


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
    overdraft_fen: int = 0  # a top-up of a card blacklisted for overdraft: what it owes
    repay_id: str | None = None  # that top-up's repayment order (before its load)
    bill: dict[str, Any] | None = None
    closed: bool = False
    aid: str | None = None  # the card's application: how its number is printed
    last_activity: float = field(default_factory=time.monotonic)

    @property
    def printed_no(self) -> str:
        """The card number as printed on the card (screens and receipts)."""
        return printed_card_no(self.card_no, self.aid)


def check_move(kind: Kind, current: Step, to: Step) -> None:
    """Raise :class:`IllegalMove` unless ``kind`` may go from ``current`` to ``to``."""
    if to not in MOVES[kind].get(current, frozenset()):
        raise IllegalMove(f"a {kind} session cannot move from {current} to {to}")
