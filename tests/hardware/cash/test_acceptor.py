"""The acceptor on MockFactory pins, driven by the simulator's real pulse trains.

Outcomes only (events, counts, pin levels); no timing assertions.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

import pytest
from gpiozero.pins.mock import MockFactory

from config.schema import CashSection
from hardware.cash import CashAcceptor, CashListener
from hardware.cash.acceptor import NOISE_REPORTS_PER_S
from hardware.cash.errors import AcceptorClosed, CashError
from hardware.cash.events import (
    Fault,
    FaultKind,
    InhibitChanged,
    InhibitReason,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)
from hardware.cash.inhibit import InhibitDecision
from hardware.cash.sim import (
    CashSimulator,
    ScriptedMockPin,
    SimNoise,
    SimTiming,
    open_simulated,
)
from tests.hardware.cash.helpers import FAST, FAST_SIM, FAST_TABLE, Recorder, open_for_cash


def _fen(events: list[NoteStacked | UnrecognisedCash]) -> list[object]:
    return [e.value_fen if isinstance(e, NoteStacked) else ("?", e.pulses) for e in events]


def test_starts_inhibited_with_the_line_asserted(acceptor: CashAcceptor) -> None:
    assert acceptor.inhibited
    assert acceptor.decision.reason is InhibitReason.NOT_READY
    assert acceptor.inhibit_output.is_active
    assert "inhibited" in repr(acceptor)


def test_every_denomination_through_real_pulses(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    values = sorted(FAST_TABLE.values())
    insertions = [sim.insert(v) for v in values]
    assert sim.wait_idle()
    assert all(i.accepted for i in insertions)
    assert _fen(recorder.wait_for_cash(len(values))) == values
    assert acceptor.counters.short.total_fen == sum(values)
    assert not any(e.unsolicited for e in recorder.cash())


def test_inhibit_is_asserted_while_a_train_is_decoded(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.insert(500)
    assert sim.wait_idle()
    changes = [e for e in recorder.drain() if isinstance(e, InhibitChanged)]
    assert [(c.inhibited, c.reason) for c in changes] == [
        (False, InhibitReason.ACCEPTING),
        (True, InhibitReason.DECODING),
        (False, InhibitReason.ACCEPTING),
    ]
    assert not acceptor.inhibit_output.is_active


def test_noise_spikes_and_bounce_do_not_change_the_value(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.insert(5000, noise=SimNoise(spikes=3, spike_ms=2))
    sim.insert(2000, noise=SimNoise(bounce=2, bounce_ms=1))
    assert sim.wait_idle()
    assert _fen(recorder.wait_for_cash(2)) == [5000, 2000]
    assert sum(isinstance(e, Noise) for e in recorder.drain()) == 3


def test_merged_trains_become_one_train(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.insert_merged([100, 500], gap_ms=40)  # 1 + 2 pulses = 3 = ¥10 in the fast table
    sim.insert_merged([500, 2000], gap_ms=40)  # 2 + 4 = 6 = ¥100
    sim.insert_merged([5000, 10000], gap_ms=40)  # 11 pulses: no such note
    assert sim.wait_idle()
    assert _fen(recorder.wait_for_cash(3)) == [1000, 10000, ("?", 11)]


def test_unknown_count_is_reported_and_counted_never_dropped(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.pulses(9)
    sim.insert(100)
    assert sim.wait_idle()
    events = recorder.wait_for_cash(2)
    assert _fen(events) == [("?", 9), 100]
    unrecognised = events[0]
    assert isinstance(unrecognised, UnrecognisedCash)
    assert len(unrecognised.widths_ms) == 9
    assert acceptor.counters.short.unidentified == 1
    assert dict(acceptor.counters.short.unidentified_pulses) == {9: 1}


def test_too_long_pulse_gives_unrecognised(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.play([(True, 30), (False, 30), (True, 90)])  # max is 60 ms
    assert sim.wait_idle()
    [event] = recorder.wait_for_cash(1)
    assert isinstance(event, UnrecognisedCash)
    assert (event.pulses, event.long_pulses) == (1, 1)


def test_simulated_acceptor_refuses_notes_while_inhibited(
    acceptor: CashAcceptor, mock_factory: MockFactory, recorder: Recorder
) -> None:
    with CashSimulator(acceptor, timing=SimTiming(30, 30, inhibit_wait_s=0.1)) as sim:
        insertion = sim.insert(1000)
        assert insertion.wait()
        assert insertion.accepted is False
        assert acceptor.wait_idle()
    assert recorder.cash() == []
    assert acceptor.counters.long.pieces == 0


def test_cash_arriving_while_inhibited_is_still_counted_as_unsolicited(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    sim.insert(2000, ignore_inhibit=True)
    assert sim.wait_idle()
    [event] = recorder.wait_for_cash(1)
    assert isinstance(event, NoteStacked)
    assert event.value_fen == 2000 and event.unsolicited
    assert acceptor.counters.short.total_fen == 2000


def test_faults_inhibit_and_are_reported(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    assert not acceptor.inhibited
    sim.set_fault(FaultKind.JAM, True)
    assert acceptor.decision == InhibitDecision(True, InhibitReason.FAULT)
    assert acceptor.faults == {FaultKind.JAM}
    sim.set_fault(FaultKind.CASHBOX_REMOVED, True)
    sim.set_fault(FaultKind.JAM, False)
    assert acceptor.inhibited
    sim.set_fault(FaultKind.CASHBOX_REMOVED, False)
    assert not acceptor.inhibited
    assert acceptor.wait_idle()
    faults = [e for e in recorder.drain() if isinstance(e, Fault)]
    assert faults == [
        Fault(FaultKind.JAM, True),
        Fault(FaultKind.CASHBOX_REMOVED, True),
        Fault(FaultKind.JAM, False),
        Fault(FaultKind.CASHBOX_REMOVED, False),
    ]


def test_stuck_pulse_line_is_a_fault(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    sim.play([(True, 250)])  # longer than max (60) + gap (100)
    assert sim.wait_idle()
    events = recorder.drain()
    assert Fault(FaultKind.PULSE_LINE_STUCK, True) in events
    assert Fault(FaultKind.PULSE_LINE_STUCK, False) in events
    assert _fen(recorder.cash()) == [("?", 0)]
    assert not acceptor.inhibited


def test_headroom_and_session_close_the_acceptor(acceptor: CashAcceptor) -> None:
    open_for_cash(acceptor, headroom_fen=99)
    assert acceptor.decision.reason is InhibitReason.HEADROOM
    acceptor.update(headroom_fen=100)
    assert not acceptor.inhibited
    acceptor.update(online=False)
    assert acceptor.decision.reason is InhibitReason.OFFLINE
    acceptor.update(online=True, session_accepting=False)
    assert acceptor.decision.reason is InhibitReason.NO_SESSION
    assert acceptor.inhibit_output.is_active


class Exploding(CashListener):
    def __init__(self) -> None:
        self.notes: list[int] = []

    def on_note_stacked(self, event: NoteStacked) -> None:
        self.notes.append(event.value_fen)
        raise RuntimeError("listener bug")

    def on_inhibit_changed(self, event: InhibitChanged) -> None:
        raise RuntimeError("another listener bug")


def test_a_failing_listener_never_stops_decoding(
    mock_factory: MockFactory, caplog: pytest.LogCaptureFixture
) -> None:
    listener = Exploding()
    with (
        caplog.at_level(logging.ERROR, logger="hardware.cash.acceptor"),
        CashAcceptor(settings=FAST, listener=listener, pin_factory=mock_factory) as acc,
        CashSimulator(acc, timing=FAST_SIM) as sim,
    ):
        open_for_cash(acc)
        sim.insert(100)
        sim.insert(500)
        assert sim.wait_idle()
        assert listener.notes == [100, 500]
        assert acc.counters.short.total_fen == 600
    assert any("listener failed" in r.message for r in caplog.records)


def test_close_is_idempotent_and_reports_an_open_train(
    mock_factory: MockFactory, recorder: Recorder
) -> None:
    acc = CashAcceptor(17, 27, settings=FAST, listener=recorder, pin_factory=mock_factory)
    open_for_cash(acc)
    pin = acc.pulse_input.pin
    for _ in range(2):  # two pulses (active low), then close before the quiet gap ends
        pin.drive_low()
        time.sleep(0.03)
        pin.drive_high()
        time.sleep(0.03)
    acc.close()
    acc.close()
    assert acc.closed and repr(acc) == "<CashAcceptor closed>"
    assert _fen(recorder.cash()) == [500]
    with pytest.raises(AcceptorClosed):
        acc.update(ready=True)


def test_active_high_pulse_line(mock_factory: MockFactory, recorder: Recorder) -> None:
    settings = replace(FAST, pulse_active_high=True, inhibit_active_high=False)
    with (
        CashAcceptor(settings=settings, listener=recorder, pin_factory=mock_factory) as acc,
        CashSimulator(acc, timing=FAST_SIM) as sim,
    ):
        assert acc.inhibit_output.pin.state == 0  # active low inhibit asserted
        open_for_cash(acc)
        sim.insert(1000)
        assert sim.wait_idle()
        assert _fen(recorder.wait_for_cash(1)) == [1000]


def test_simulator_needs_mock_pins_and_known_values(sim: CashSimulator) -> None:
    with pytest.raises(CashError, match="no pulse count"):
        sim.insert(300)
    sim.close()
    sim.close()
    with pytest.raises(AcceptorClosed):
        sim.insert(100)


def test_simulate_mode_inserts_a_50_yuan_note_with_the_default_table() -> None:
    """What ``kioskctl sim insert 50`` does in ``kioskd --simulate``: one ¥50 note
    event from 50 real pulses on mock pins, with the shipped default settings."""
    recorder = Recorder()
    with open_simulated(CashSection(), listener=recorder) as sim:
        open_for_cash(sim.acceptor)
        insertion = sim.insert(5000)
        assert sim.wait_idle(timeout=15)
        assert insertion.accepted
        [note] = recorder.wait_for_cash(1)
        assert isinstance(note, NoteStacked)
        assert (note.value_fen, note.pulses) == (5000, 50)
        snapshot = sim.acceptor.snapshot()
    assert sim.acceptor.closed
    assert snapshot["cashbox"]["short"]["notes"] == {"5000": 1}
    assert snapshot["inhibited"] is False and snapshot["faults"] == []
    json.dumps(snapshot)


def test_a_sparking_line_is_counted_without_flooding_the_listener(
    acceptor: CashAcceptor, sim: CashSimulator, recorder: Recorder
) -> None:
    open_for_cash(acceptor)
    spikes = 60
    sim.play([lv for _ in range(spikes) for lv in ((True, 2), (False, 12))])
    sim.insert(1000)
    assert sim.wait_idle()
    noise = [e for e in recorder.drain() if isinstance(e, Noise)]
    assert NOISE_REPORTS_PER_S <= len(noise) < spikes
    # every spike is counted: reported, or carried by a later Noise event, or
    # still waiting for one (only the total in the snapshot has those)
    assert len(noise) + sum(e.suppressed_before for e in noise) <= spikes
    assert acceptor.noise_total == acceptor.snapshot()["noise_spikes"] == spikes
    assert _fen(recorder.cash()) == [1000]


def test_late_edges_keep_the_widths_their_script_meant(
    acceptor: CashAcceptor, recorder: Recorder
) -> None:
    # A simulator thread that ran late delivers its edges in a burst; each edge
    # still carries the time the script meant (as lgpio's kernel timestamps do
    # on a Pi), so the pulses keep their widths and the note its value.
    open_for_cash(acceptor)
    pin = acceptor.pulse_input.pin
    assert isinstance(pin, ScriptedMockPin)
    high_is_active = acceptor.settings.pulse_active_high
    start = time.monotonic()
    for i in range(3):  # 3 pulses of 30 ms, 30 ms apart: ¥10 in FAST_TABLE
        for offset, active in ((0.0, True), (0.030, False)):
            pin.edge_at = start + i * 0.060 + offset
            (pin.drive_high if active == high_is_active else pin.drive_low)()
    assert time.monotonic() - start < 0.020  # delivered as a burst, not in real time
    cash = recorder.wait_for_cash(1)
    assert [(type(e).__name__, getattr(e, "value_fen", None)) for e in cash] == \
        [("NoteStacked", 1000)]
    assert acceptor.snapshot()["noise_spikes"] == 0


@pytest.mark.parametrize("stall_ms", [50, 150, 300])
def test_callbacks_held_up_past_the_gap_still_give_the_whole_note(
    acceptor: CashAcceptor, recorder: Recorder, stall_ms: int
) -> None:
    # A busy machine: the callbacks of a ¥100 note (6 pulses in FAST_TABLE) stop for a
    # while mid-train — longer than the 100 ms quiet gap — then come in a burst. Each
    # edge carries its own timestamp; only those say how long the line was quiet.
    open_for_cash(acceptor)
    pin = acceptor.pulse_input.pin
    assert isinstance(pin, ScriptedMockPin)
    high_is_active = acceptor.settings.pulse_active_high
    start = time.monotonic()
    edges = [(start + i * 0.060 + offset, active)
             for i in range(6) for offset, active in ((0.0, True), (0.030, False))]
    for n, (at, active) in enumerate(edges):
        late = stall_ms / 1000 if n >= 6 else 0.0  # from the 4th pulse on
        time.sleep(max(0.0, at + late - time.monotonic()))
        pin.edge_at = at
        (pin.drive_high if active == high_is_active else pin.drive_low)()
    assert acceptor.wait_idle(10)
    assert _fen(recorder.cash()) == [10000]
    assert acceptor.snapshot()["noise_spikes"] == 0


def test_a_long_running_simulator_keeps_a_bounded_record(
    acceptor: CashAcceptor, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The soak (docs/RELIABILITY.md) found kioskd --simulate growing by every
    # insertion and every pin edge it had ever played; only the last few stay.
    monkeypatch.setattr(CashSimulator, "KEEP_HISTORY", 3, raising=False)
    monkeypatch.setattr(ScriptedMockPin, "KEEP_STATES", 8, raising=False)
    open_for_cash(acceptor)
    with CashSimulator(acceptor, timing=FAST_SIM) as sim:
        insertions = [sim.insert(100) for _ in range(7)]
        assert sim.wait_idle()  # waits for the last of all seven, not the three kept
        assert all(i.done for i in insertions)
        assert list(sim.history) == insertions[-3:]
        assert sim.submitted == 7
    assert _fen(recorder.wait_for_cash(7)) == [100] * 7
    for pin in (acceptor.pulse_input.pin, acceptor.inhibit_output.pin):
        assert 0 < len(pin.states) <= 8
