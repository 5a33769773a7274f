"""Inhibit decisions: closed unless a top-up session is accepting and all is well."""

from __future__ import annotations

import pytest

from hardware.cash.events import InhibitReason
from hardware.cash.inhibit import InhibitContext, InhibitDecision, decide_inhibit

OPEN = InhibitContext(ready=True, online=True, session_accepting=True, headroom_fen=50_000)
R = InhibitReason

CASES = [
    ("start-up: not sure yet", InhibitContext(), False, False, R.NOT_READY),
    ("start-up even with a session flag", InhibitContext(session_accepting=True,
                                                          headroom_fen=50_000, online=True),
     False, False, R.NOT_READY),
    ("offline: never take money we cannot credit",
     InhibitContext(ready=True, online=False, session_accepting=True, headroom_fen=50_000),
     False, False, R.OFFLINE),
    ("no top-up session", InhibitContext(ready=True, online=True), False, False, R.NO_SESSION),
    ("fault (jam, cashbox removed, stuck line)", OPEN, True, False, R.FAULT),
    ("fault beats offline", InhibitContext(ready=True), True, False, R.FAULT),
    ("a train is being decoded", OPEN, False, True, R.DECODING),
    ("headroom below the smallest denomination",
     InhibitContext(ready=True, online=True, session_accepting=True, headroom_fen=99),
     False, False, R.HEADROOM),
    ("no headroom at all",
     InhibitContext(ready=True, online=True, session_accepting=True, headroom_fen=0),
     False, False, R.HEADROOM),
]


@pytest.mark.parametrize(("context", "fault", "decoding", "reason"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_inhibited(context: InhibitContext, fault: bool, decoding: bool, reason: R) -> None:
    decision = decide_inhibit(context, fault=fault, decoding=decoding, smallest_fen=100)
    assert decision == InhibitDecision(True, reason)


@pytest.mark.parametrize("headroom", [100, 101, 50_000])
def test_accepting_when_everything_holds(headroom: int) -> None:
    context = InhibitContext(ready=True, online=True, session_accepting=True,
                             headroom_fen=headroom)
    decision = decide_inhibit(context, fault=False, decoding=False, smallest_fen=100)
    assert decision == InhibitDecision(False, R.ACCEPTING)


def test_smallest_denomination_comes_from_the_table() -> None:
    context = InhibitContext(ready=True, online=True, session_accepting=True, headroom_fen=400)
    assert decide_inhibit(context, fault=False, decoding=False, smallest_fen=500).inhibited
    assert not decide_inhibit(context, fault=False, decoding=False, smallest_fen=100).inhibited
