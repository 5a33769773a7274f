"""The transition table, move by move, on the real journal: every move it allows
is made, logged and (into a result) journaled; every move it does not allow is
refused loudly and changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.events import EventBus
from daemon.journal import Journal
from daemon.orders import OrderStore
from daemon.sessions.machine import Machine
from daemon.sessions.steps import ENDS, FIRST, MOVES, IllegalMove, Kind, Session, Step
from daemon.state import KioskState
from tests.daemon.sessions.kit import Card, Clock, Worker

ALLOWED = [(kind, frm, to) for kind, moves in MOVES.items()
           for frm, tos in moves.items() for to in sorted(tos)]
# Every (kind, step) pair, to try every move the table does not list from it.
PAIRS = [(kind, frm) for kind in Kind for frm in Step]


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    journal = Journal(tmp_path / "journal.sqlite")
    yield Machine(KioskState(EventBus(keep=5), language="en"), journal, OrderStore(journal),
                  Worker(), pin_threshold_fen=20000, clock=Clock())
    journal.close()


def _in_step(machine: Machine, kind: Kind, step: Step) -> Session:
    """A journaled session of ``kind`` standing in ``step``, current."""
    session = machine.open(kind, Card())
    session.step = step  # placed there directly: the test is of the next move only
    machine.current = session
    return session


def _journaled(machine: Machine, session: Session) -> tuple[str, bool]:
    row = machine.journal.query("SELECT state, ended_at FROM sessions WHERE id = ?",
                                (session.id,))[0]
    return row["state"], row["ended_at"] is not None


@pytest.mark.parametrize(("kind", "frm", "to"), ALLOWED,
                         ids=[f"{k}:{f}->{t}" for k, f, t in ALLOWED])
def test_every_move_in_the_table_is_made_and_a_result_journaled(
        machine: Machine, kind: Kind, frm: Step, to: Step,
        caplog: pytest.LogCaptureFixture) -> None:
    session = _in_step(machine, kind, frm)
    machine.clock.advance(7)  # type: ignore[attr-defined]
    with caplog.at_level(logging.INFO, logger="daemon.sessions.machine"):
        machine.move(session, to)
    assert session.step == to
    assert session.last_activity == machine.clock()  # the new step's idle time starts
    assert f"{session.id} ({kind}): {frm} -> {to}" in caplog.text
    assert _journaled(machine, session) == ((ENDS[to], True) if to in ENDS else ("open", False))
    # A cancelled session leaves the screen at once; a result stays until it times out.
    assert (machine.current is None) == (to == Step.CANCELLED)


@pytest.mark.parametrize(("kind", "frm"), PAIRS, ids=[f"{k}:{f}" for k, f in PAIRS])
def test_every_move_not_in_the_table_is_refused_and_changes_nothing(
        machine: Machine, kind: Kind, frm: Step, caplog: pytest.LogCaptureFixture) -> None:
    allowed = MOVES[kind].get(frm, frozenset())
    refused = [to for to in Step if to not in allowed]
    assert refused, "every step refuses some move"
    for to in refused:
        session = _in_step(machine, kind, frm)
        with (caplog.at_level(logging.ERROR, logger="daemon.sessions.machine"),
              pytest.raises(IllegalMove, match=f"cannot move from {frm} to {to}")):
            machine.move(session, to)
        assert session.step == frm and machine.current is session
        assert _journaled(machine, session) == ("open", False)
        assert f"{session.id}: refused move {frm} -> {to}" in caplog.text


def test_a_session_opens_journaled_in_its_kinds_first_step(machine: Machine) -> None:
    for kind in Kind:
        session = machine.open(kind, Card())
        assert session.step == FIRST[kind] and session.last_activity == machine.clock()
        assert _journaled(machine, session) == ("open", False)
        assert machine.current is None  # current once the caller has set it up


@pytest.mark.parametrize("kind", list(Kind))
def test_every_step_of_a_kind_is_reachable_and_leads_to_an_end(kind: Kind) -> None:
    moves = MOVES[kind]
    reached, todo = {FIRST[kind]}, [FIRST[kind]]
    while todo:
        for to in moves.get(todo.pop(), frozenset()):
            if to not in reached:
                reached.add(to)
                todo.append(to)
    assert set(moves) <= reached, "a step nothing moves to"
    for step in reached - set(ENDS):
        seen, todo = {step}, [step]
        while todo and not seen & set(ENDS):
            for to in moves.get(todo.pop(), frozenset()):
                if to not in seen:
                    seen.add(to)
                    todo.append(to)
        assert seen & set(ENDS), f"{kind}: {step} can never end"
