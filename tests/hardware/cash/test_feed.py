"""Late callbacks: edges that reach the decoder 50-300 ms after they happened, some
in bursts, on a virtual clock (no threads). Every note still decodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.schema import CashSection
from hardware.cash.decoder import PulseDecoder, PulseTable, PulseTiming
from hardware.cash.events import CashEvent, Noise, NoteStacked, UnrecognisedCash
from hardware.cash.feed import EdgeFeed

DEFAULT = CashSection()
TIMING = PulseTiming(DEFAULT.pulse_min_ms, DEFAULT.pulse_max_ms, DEFAULT.train_gap_ms)
TABLE = PulseTable(DEFAULT.pulse_table)
COUNTS = {int(k): v for k, v in DEFAULT.pulse_table.items()}
EDGE_CLOCK = 5000.0  # the edge clock (the kernel's, on a Pi) is not the wall clock

# (edge time, active, wall time its callback ran)
Delivery = tuple[float, bool, float]


def deliver(edges: list[tuple[float, bool]], delays: list[float]) -> list[Delivery]:
    """Each callback runs ``delay`` after its edge, but never before the one before
    it: a callback held up holds up those behind it, which then come as a burst."""
    out: list[Delivery] = []
    wall = float("-inf")
    for (at, active), delay in zip(edges, delays, strict=True):
        wall = max(wall, at + delay)
        out.append((at + EDGE_CLOCK, active, wall))
    return out


def run(deliveries: list[Delivery], feed: EdgeFeed, timer_late: list[float]) -> list[CashEvent]:
    """The acceptor's two threads in virtual time: callbacks at their wall times, and a
    timer that polls when the feed says (itself sometimes late)."""
    events: list[CashEvent] = []
    late = iter(timer_late * (len(deliveries) + 2))

    def timer_until(limit: float) -> None:
        nonlocal events
        while (due := feed.next_poll()) is not None and due <= limit:
            events += feed.poll(min(due + next(late), limit))

    for t, active, wall in deliveries:
        timer_until(wall)
        events += feed.edge(t, active, wall)
    timer_until(float("inf"))
    assert not feed.decoder.busy
    return events


@st.composite
def notes_with_late_callbacks(
        draw: st.DrawFn) -> tuple[list[Delivery], list[float], list[int]]:
    counts = draw(st.lists(st.sampled_from(sorted(COUNTS)), min_size=1, max_size=3))
    rng = draw(st.randoms(use_true_random=False))
    edges: list[tuple[float, bool]] = []
    at = 0.0
    for n in counts:
        for i in range(n):
            edges.append((at, True))
            at += rng.uniform(0.020, 0.200)
            edges.append((at, False))
            at += rng.uniform(0.030, 0.250) if i < n - 1 else rng.uniform(0.301, 2.0)
    # Mostly 50-300 ms; now and then a stall at the top of the range, so the callbacks
    # behind it come in a burst.
    delays = [0.3 if rng.random() < 0.05 else rng.uniform(0.05, 0.3) for _ in edges]
    timer_late = [rng.uniform(0.0, 0.3) for _ in range(7)]
    return deliver(edges, delays), timer_late, [COUNTS[n] for n in counts]


@settings(max_examples=80, deadline=None)
@given(notes_with_late_callbacks())
def test_every_note_decodes_whatever_the_callbacks_delay(
    case: tuple[list[Delivery], list[float], list[int]],
) -> None:
    deliveries, timer_late, expected = case
    feed = EdgeFeed(PulseDecoder(TIMING, TABLE))
    events = run(deliveries, feed, timer_late)
    assert [e.value_fen for e in events if isinstance(e, NoteStacked)] == expected
    assert not [e for e in events if isinstance(e, UnrecognisedCash | Noise)]
    assert feed.late_edges == 0


def _hundred_yuan_held_up(stall: float) -> list[Delivery]:
    """A ¥100 note (100 pulses of 35 ms, 35 ms apart, about 7 s) whose callbacks stop
    for ``stall`` seconds after the 40th pulse, then arrive in a burst."""
    edges = [(i * 0.070 + offset, active)
             for i in range(100) for offset, active in ((0.0, True), (0.035, False))]
    delays = [0.0] * len(edges)
    delays[80] = stall
    return deliver(edges, delays)


def test_a_held_up_hundred_yuan_note_is_one_note() -> None:
    feed = EdgeFeed(PulseDecoder(TIMING, TABLE))
    events = run(_hundred_yuan_held_up(0.45), feed, [0.0])
    assert [(type(e).__name__, getattr(e, "value_fen", None)) for e in events] == \
        [("NoteStacked", 10000)]
    note = events[0]
    assert isinstance(note, NoteStacked) and set(note.widths_ms) == {35.0}


def test_without_the_margin_the_same_note_is_split() -> None:
    # What the margin is for: deciding the gap from wall time alone ends the train
    # at the stall, and the burst after it is another train.
    feed = EdgeFeed(PulseDecoder(TIMING, TABLE), margin_s=0.0)
    events = run(_hundred_yuan_held_up(0.45), feed, [0.0])
    assert not [e for e in events if isinstance(e, NoteStacked) and e.value_fen == 10000]
    assert feed.late_edges > 0


def test_the_next_edge_ends_a_train_without_waiting_for_the_margin() -> None:
    feed = EdgeFeed(PulseDecoder(TIMING, TABLE))
    feed.edge(0.0, True, 10.0)
    feed.edge(0.05, False, 10.05)
    assert feed.poll(10.56) == []  # the pulse ends (no bounce after it)
    assert feed.next_poll() == pytest.approx(10.05 + 0.3 + 0.5)  # the gap, plus the margin
    assert feed.poll(10.6) == [] and feed.decoder.busy  # quiet 550 ms by the wall: not enough
    # The next note's first edge, 400 ms after the last: its timestamp proves the gap.
    events = feed.edge(0.45, True, 10.45)
    assert [e.value_fen for e in events if isinstance(e, NoteStacked)] == [100]


def test_polls_before_any_edge_and_flush_are_harmless() -> None:
    feed = EdgeFeed(PulseDecoder(TIMING, TABLE))
    assert feed.next_poll() is None and feed.poll(1.0) == [] and feed.flush(2.0) == []
    feed.edge(0.0, True, 3.0)
    feed.edge(0.05, False, 3.05)
    assert [e.value_fen for e in feed.flush(3.06) if isinstance(e, NoteStacked)] == [100]

