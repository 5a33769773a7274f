"""Pulse decoding tables: edges in, events out, on a virtual clock (no threads)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.schema import CashSection
from hardware.cash.decoder import PulseDecoder, PulseTable, PulseTiming
from hardware.cash.errors import CashConfigError
from hardware.cash.events import (
    CashEvent,
    Fault,
    FaultKind,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)

DEFAULT = CashSection()
TIMING = PulseTiming(DEFAULT.pulse_min_ms, DEFAULT.pulse_max_ms, DEFAULT.train_gap_ms)
TABLE = PulseTable(DEFAULT.pulse_table)


def run(
    levels: Sequence[tuple[bool, float]], decoder: PulseDecoder | None = None
) -> list[CashEvent]:
    """Feed (active, ms) levels from t=0 with the line inactive; poll at every deadline."""
    dec = decoder or PulseDecoder(TIMING, TABLE)
    events: list[CashEvent] = []
    t = 0.0
    for active, ms in levels:
        events += _poll_until(dec, t)
        events += dec.edge(t, active)
        t += ms / 1000
    events += _poll_until(dec, t)
    events += dec.edge(t, False)
    events += _poll_until(dec, t + 3600)
    assert not dec.busy
    return events


def _poll_until(dec: PulseDecoder, t: float) -> list[CashEvent]:
    events: list[CashEvent] = []
    while (deadline := dec.deadline()) is not None and deadline <= t:
        events += dec.poll(deadline)
    return events


def train(count: int, pulse: float = 50, space: float = 50) -> list[tuple[bool, float]]:
    levels: list[tuple[bool, float]] = []
    for i in range(count):
        levels.append((True, pulse))
        if i < count - 1:
            levels.append((False, space))
    return levels


def quiet(ms: float) -> list[tuple[bool, float]]:
    return [(False, ms)]


def values(events: Sequence[CashEvent]) -> list[object]:
    """A compact view: fen for notes, ('?', pulses, long) for unrecognised, 'noise'."""
    out: list[object] = []
    for e in events:
        if isinstance(e, NoteStacked):
            out.append(e.value_fen)
        elif isinstance(e, UnrecognisedCash):
            out.append(("?", e.pulses, e.long_pulses))
        elif isinstance(e, Noise):
            out.append("noise")
        elif isinstance(e, Fault):
            out.append((e.kind.value, e.active))
    return out


DENOMINATIONS = sorted((int(k), v) for k, v in DEFAULT.pulse_table.items())


@pytest.mark.parametrize(("pulses", "fen"), DENOMINATIONS)
@pytest.mark.parametrize(("pulse", "space"), [(50, 50), (20, 30), (200, 100), (100, 250)])
def test_every_denomination_at_every_timing(
    pulses: int, fen: int, pulse: float, space: float
) -> None:
    events = run(train(pulses, pulse, space))
    assert values(events) == [fen]
    note = events[0]
    assert isinstance(note, NoteStacked)
    assert note.pulses == pulses
    assert len(note.widths_ms) == pulses


CASES: list[tuple[str, list[tuple[bool, float]], list[object]]] = [
    ("back to back, gap just over the quiet gap",
     train(5) + quiet(310) + train(10) + quiet(301) + train(1), [500, 1000, 100]),
    ("two trains a long way apart", train(20) + quiet(5000) + train(50), [2000, 5000]),
    ("gap just under the quiet gap merges trains (5+5 = 10 pulses)",
     train(5) + quiet(290) + train(5), [1000]),
    ("merged trains with no table entry", train(1) + quiet(200) + train(5), [("?", 6, 0)]),
    ("unknown count", train(3), [("?", 3, 0)]),
    ("unknown count next to a good note", train(7) + quiet(400) + train(1), [("?", 7, 0), 100]),
    ("a spike alone is noise, no cash", [(True, 2)], ["noise"]),
    ("spike shorter than the window inside a space is noise; train continues",
     [*train(2), (False, 20), (True, 5), (False, 25), *train(3)], ["noise", 500]),
    ("a train split by noise across a long space is still one train",
     [*train(1), (False, 150), (True, 3), (False, 140), *train(4)], ["noise", 500]),
    ("spike during the quiet gap does not extend the train",
     [*train(1), (False, 200), (True, 3), (False, 150), *train(1)], ["noise", 100, 100]),
    ("too-long pulse makes the train unrecognised, never a smaller value",
     [*train(4), (False, 50), (True, 250)], [("?", 4, 1)]),
    ("a lone too-long pulse is unrecognised cash",
     [(True, 260)], [("?", 0, 1)]),
    ("pulse exactly at the window edges counts",
     [(True, 20), (False, 50), (True, 200), (False, 50), (True, 100), (False, 50),
      (True, 50), (False, 50), (True, 50)], [500]),
    ("pulse just under the minimum is noise",
     [(True, 19.5), (False, 50), *train(1)], ["noise", 100]),
    ("contact bounce at both edges of every pulse is absorbed",
     [lv for _ in range(5) for lv in [(True, 1), (False, 1), (True, 1), (False, 1), (True, 45),
      (False, 1), (True, 1), (False, 50)]], [500]),
    ("a dip longer than the bounce limit splits a pulse in two",
     [(True, 30), (False, 15), (True, 30)], [("?", 2, 0)]),
    ("line stuck active is a fault, then an unrecognised train when it releases",
     [(True, 900)], [("pulse_line_stuck", True), ("pulse_line_stuck", False), ("?", 0, 1)]),
]


@pytest.mark.parametrize(("levels", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decoding_table(levels: list[tuple[bool, float]], expected: list[object]) -> None:
    assert values(run(levels)) == expected


def test_unrecognised_event_carries_raw_count_and_timing() -> None:
    [event] = run(train(3, pulse=40, space=60))
    assert isinstance(event, UnrecognisedCash)
    assert event.pulses == 3 and event.long_pulses == 0
    assert event.widths_ms == (40.0, 40.0, 40.0)
    assert event.duration_ms == 240.0


def test_noise_event_carries_width() -> None:
    [event] = run([(True, 7)])
    assert event == Noise(width_ms=7.0)


def test_busy_from_first_edge_until_train_ends() -> None:
    dec = PulseDecoder(TIMING, TABLE)
    assert not dec.busy and dec.deadline() is None
    dec.edge(0.0, True)
    assert dec.busy
    dec.edge(0.05, False)
    assert dec.poll(0.2) == [] and dec.busy  # quiet for 150 ms < 300 ms gap
    assert values(dec.poll(0.35)) == [100]
    assert not dec.busy


def test_time_never_runs_backwards_between_poll_and_late_edge() -> None:
    dec = PulseDecoder(TIMING, TABLE)
    dec.edge(0.0, True)
    dec.edge(0.05, False)
    assert values(dec.poll(0.40)) == [100]
    # An edge stamped before the poll but delivered after it starts a new train.
    dec.edge(0.30, True)
    dec.edge(0.45, False)
    assert dec.busy
    assert values(dec.poll(1.0)) == [100]


def test_repeated_levels_are_ignored() -> None:
    levels = [(True, 25), (True, 25), (False, 50), (False, 50), *train(4)]
    assert values(run(levels)) == [500]


@pytest.mark.parametrize(
    ("table", "message"),
    [({}, "empty"), ({"1": 100, "2": 100}, "same value"), ({"0": 100}, "not usable")],
)
def test_bad_pulse_tables_are_refused(table: dict[str, int], message: str) -> None:
    with pytest.raises(CashConfigError, match=message):
        PulseTable(table)


def test_bad_timing_is_refused() -> None:
    with pytest.raises(CashConfigError):
        PulseTiming(pulse_min_ms=200, pulse_max_ms=20)
    with pytest.raises(CashConfigError):
        PulseTiming(pulse_min_ms=20, pulse_max_ms=60, train_gap_ms=5)


def test_table_lookup_both_ways() -> None:
    assert TABLE.denominations == (100, 500, 1000, 2000, 5000, 10000)
    assert TABLE.pulses_for(5000) == 50
    assert TABLE.value_for(50) == 5000
    assert TABLE.value_for(51) is None
    with pytest.raises(CashConfigError, match="no pulse count"):
        TABLE.pulses_for(300)


def test_stuck_fault_kind() -> None:
    events = run([(True, 1000)])
    assert Fault(FaultKind.PULSE_LINE_STUCK, True) in events


def test_flush_reports_an_open_train_even_mid_pulse() -> None:
    dec = PulseDecoder(TIMING, TABLE)
    for start in (0.0, 0.1, 0.2, 0.3):
        dec.edge(start, True)
        dec.edge(start + 0.05, False)
    dec.edge(0.4, True)  # the fifth pulse is still active at shutdown
    assert values(dec.flush(0.45)) == [500]
    assert not dec.busy and dec.deadline() is None
    assert dec.flush(1.0) == []


@st.composite
def insertions(draw: st.DrawFn) -> tuple[list[tuple[bool, float]], list[int]]:
    """Notes with random in-window timing, random spikes in spaces, random long gaps."""
    counts = draw(st.lists(st.sampled_from(sorted(TABLE_COUNTS)), min_size=1, max_size=4))
    levels: list[tuple[bool, float]] = []
    for n in counts:
        for i in range(n):
            levels.append((True, draw(st.floats(20, 200))))
            if i < n - 1:
                space = draw(st.floats(30, 250))
                if draw(st.booleans()):  # a spike in the middle of the space
                    levels += [(False, space / 2), (True, draw(st.floats(0.5, 15))),
                               (False, space / 2)]
                else:
                    levels.append((False, space))
        levels.append((False, draw(st.floats(301, 2000))))
    return levels, [TABLE_COUNTS[n] for n in counts]


TABLE_COUNTS = {int(k): v for k, v in DEFAULT.pulse_table.items() if int(k) <= 20}


@settings(max_examples=60, deadline=None)
@given(insertions())
def test_any_in_window_timing_decodes_to_the_inserted_notes(
    case: tuple[list[tuple[bool, float]], list[int]],
) -> None:
    levels, expected = case
    notes = [e.value_fen for e in run(levels) if isinstance(e, NoteStacked)]
    assert notes == expected
    assert not [e for e in run(levels) if isinstance(e, UnrecognisedCash)]
