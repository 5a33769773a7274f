"""When the acceptor may take cash: one pure function, the whole policy.

The acceptor is inhibited unless every condition for taking money holds, and
the first failing condition is the reason. The order matters only for the
reason shown to the operator; any single one keeps the acceptor closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.cash.events import InhibitReason

__all__ = ["InhibitContext", "InhibitDecision", "decide_inhibit"]


@dataclass(frozen=True)
class InhibitContext:
    """What the daemon knows; the defaults are the "not sure" state of start-up.

    ``headroom_fen`` is how much more this session may still load: the least of
    the single-load limit, the daily limit and the e-purse cap minus what is
    already inserted and on the card.
    """

    ready: bool = False
    online: bool = False
    session_accepting: bool = False
    headroom_fen: int = 0


@dataclass(frozen=True)
class InhibitDecision:
    inhibited: bool
    reason: InhibitReason


def decide_inhibit(
    context: InhibitContext,
    *,
    fault: bool,
    decoding: bool,
    smallest_fen: int,
) -> InhibitDecision:
    """Inhibit unless a top-up session is accepting and nothing says otherwise.

    ``fault``: a jam, a removed cashbox or a stuck pulse line. ``decoding``: a
    pulse train is in progress (a second note now would merge with it).
    ``smallest_fen``: the smallest value in the pulse table.
    """
    if not context.ready:
        reason = InhibitReason.NOT_READY
    elif fault:
        reason = InhibitReason.FAULT
    elif not context.online:
        reason = InhibitReason.OFFLINE
    elif not context.session_accepting:
        reason = InhibitReason.NO_SESSION
    elif decoding:
        reason = InhibitReason.DECODING
    elif context.headroom_fen < smallest_fen:
        reason = InhibitReason.HEADROOM
    else:
        return InhibitDecision(False, InhibitReason.ACCEPTING)
    return InhibitDecision(True, reason)
