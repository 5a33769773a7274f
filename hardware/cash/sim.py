"""A simulated acceptor: real pulse trains on gpiozero ``MockFactory`` pins.

:class:`CashSimulator` plays the part of the acceptor hardware for a
:class:`~hardware.cash.acceptor.CashAcceptor` built on a ``MockFactory``: it
drives the pulse pin low and high with real timing from its own thread, so the
decoder under test is the one that runs on a Pi. Like a real acceptor it
refuses notes while the inhibit line is asserted (waiting a little for it to
clear, as a customer would), unless told to ignore it.

Noise can be injected: spikes between pulses, contact bounce on every edge,
and trains merged by a gap shorter than the quiet gap.

Each edge carries the time the script meant (:class:`ScriptedMockPin`), not
the moment the simulator's thread got to run: on a busy machine an insertion
may come late, but its pulses keep their widths — as on a Pi, where lgpio
timestamps edges in the kernel whatever Python is doing. (With plain
``MockPin`` timestamps, a thread woken 20 ms late made a 35 ms pulse into a
15 ms spike, and a ¥10 note into 9 pulses of unrecognised cash.)
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from gpiozero.pins.mock import MockFactory, MockPin, PinState

from config.schema import CashSection
from hardware.cash.acceptor import CashAcceptor
from hardware.cash.counters import CashboxCounters
from hardware.cash.errors import AcceptorClosed, CashError
from hardware.cash.events import CashListener, FaultKind

__all__ = ["CashSimulator", "ScriptedMockPin", "SimInsertion", "SimNoise", "SimTiming",
           "open_simulated", "scripted_factory"]

logger = logging.getLogger(__name__)

# (line active?, seconds to hold that level)
Script = list[tuple[bool, float]]


class ScriptedMockPin(MockPin):  # type: ignore[misc]
    """A ``MockPin`` whose next change is stamped ``edge_at`` (monotonic seconds)
    when the simulator sets it, instead of the time of the call."""

    edge_at: float | None = None
    # gpiozero keeps every change in ``states`` (for its assert_states); a
    # simulated acceptor runs for weeks, so only the last KEEP_STATES stay.
    KEEP_STATES = 1000
    _state: bool  # MockPin's own attributes, named for the type checker
    _last_change: float
    states: list[PinState]

    def _change_state(self, value: bool) -> bool:
        at = time.monotonic() if self.edge_at is None else self.edge_at
        self.edge_at = None  # one stamp, one call: never a later, unrelated change
        if self._state == value:
            return False
        self._state = value
        self.states.append(PinState(at - self._last_change, value))
        del self.states[:-self.KEEP_STATES]
        self._last_change = at
        return True


def scripted_factory() -> MockFactory:
    """A ``MockFactory`` whose pins are :class:`ScriptedMockPin`."""
    return MockFactory(pin_class=ScriptedMockPin)


@dataclass(frozen=True)
class SimTiming:
    """How the simulated acceptor pulses: widths and spaces in ms.

    The defaults sit well inside the default 20-200 ms window and keep a ¥50
    note (50 pulses in the default table) to about 3.5 s, as a real one takes.
    """

    pulse_ms: float = 35
    space_ms: float = 35
    inhibit_wait_s: float = 3.0  # how long a "customer" waits for inhibit to clear
    # quiet time before the next insertion; None: 1.5 x the acceptor's train gap
    between_ms: float | None = None


@dataclass(frozen=True)
class SimNoise:
    """Noise added to each train.

    ``spikes``: that many spikes of ``spike_ms``, one in the middle of each of
    the first spaces (after the last pulse when the train has one pulse).
    ``bounce``: that many extra transitions of ``bounce_ms`` at every edge.
    """

    spikes: int = 0
    spike_ms: float = 2
    bounce: int = 0
    bounce_ms: float = 1


class SimInsertion:
    """One simulated insertion; :meth:`wait` until the acceptor has played it."""

    def __init__(self, description: str, script: Script, ignore_inhibit: bool) -> None:
        self.description = description
        self.script = script
        self.ignore_inhibit = ignore_inhibit
        self.accepted: bool | None = None  # False: refused because inhibited
        self._done = threading.Event()

    def wait(self, timeout: float | None = 10.0) -> bool:
        """True once played (or refused); False on timeout."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def __repr__(self) -> str:
        state = {None: "queued", True: "played", False: "refused (inhibited)"}[self.accepted]
        return f"<SimInsertion {self.description} {state}>"


class CashSimulator:
    """Drives a mock acceptor's pins. One insertion at a time, in order."""

    KEEP_HISTORY = 100

    def __init__(
        self,
        acceptor: CashAcceptor,
        *,
        timing: SimTiming | None = None,
        noise: SimNoise | None = None,
    ) -> None:
        pin = acceptor.pulse_input.pin
        if not isinstance(pin, MockPin):
            raise CashError("the cash simulator needs an acceptor on gpiozero MockFactory pins")
        self.acceptor = acceptor
        self.timing = timing or SimTiming()
        self.noise = noise or SimNoise()
        self._pin = pin
        self._active_high = acceptor.settings.pulse_active_high
        self._queue: queue.SimpleQueue[SimInsertion | None] = queue.SimpleQueue()
        self._closed = False
        self._owns_acceptor = False
        self._quiet_from = 0.0  # monotonic time the line went quiet
        # The last KEEP_HISTORY insertions, for a test to look at: a simulated
        # kiosk inserts cash for weeks, and each insertion holds its script
        # and an Event (about 2.5 kB a top-up in the soak, without end).
        self.history: deque[SimInsertion] = deque(maxlen=self.KEEP_HISTORY)
        self._last: SimInsertion | None = None  # played in order: the last done = all done
        self.submitted = 0
        self._thread = threading.Thread(target=self._run, name="cash-sim", daemon=True)
        self._thread.start()

    # -- scripting -------------------------------------------------------

    def insert(
        self,
        value_fen: int,
        *,
        timing: SimTiming | None = None,
        noise: SimNoise | None = None,
        ignore_inhibit: bool = False,
    ) -> SimInsertion:
        """Insert a note or coin worth ``value_fen``; returns at once."""
        pulses = self.acceptor.table.pulses_for(value_fen)
        return self.pulses(
            pulses, timing=timing, noise=noise, ignore_inhibit=ignore_inhibit,
            description=f"{value_fen} fen ({pulses} pulses)",
        )

    def pulses(
        self,
        count: int,
        *,
        timing: SimTiming | None = None,
        noise: SimNoise | None = None,
        ignore_inhibit: bool = False,
        description: str | None = None,
    ) -> SimInsertion:
        """A train of ``count`` pulses, whether or not the table knows it."""
        script = self._train(count, timing or self.timing, noise or self.noise)
        return self._submit(description or f"{count} pulses", script, ignore_inhibit)

    def insert_merged(
        self, values_fen: Sequence[int], *, gap_ms: float, ignore_inhibit: bool = True
    ) -> SimInsertion:
        """Several notes whose trains are only ``gap_ms`` apart (a fast acceptor
        that ignored inhibit): the decoder sees whatever the timing makes of it."""
        script: Script = []
        for i, value in enumerate(values_fen):
            if i:
                script.append((False, gap_ms / 1000))
            script += self._train(self.acceptor.table.pulses_for(value), self.timing, self.noise)
        return self._submit(f"merged {list(values_fen)}", script, ignore_inhibit)

    def play(
        self, levels_ms: Sequence[tuple[bool, float]], *, ignore_inhibit: bool = True
    ) -> SimInsertion:
        """Drive an exact script of (active, milliseconds) levels, then release."""
        script = [(active, ms / 1000) for active, ms in levels_ms]
        return self._submit(f"script of {len(script)} levels", script, ignore_inhibit)

    def set_fault(self, kind: FaultKind, active: bool) -> None:
        """Assert or clear the jam or cashbox-removed input."""
        device = {
            FaultKind.JAM: self.acceptor.jam_input,
            FaultKind.CASHBOX_REMOVED: self.acceptor.cashbox_input,
        }.get(kind)
        if device is None:
            raise CashError(f"this acceptor has no {kind} input configured")
        pin = device.pin
        assert isinstance(pin, MockPin)
        self._drive(pin, active)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued insertion was played and decoded."""
        deadline = time.monotonic() + timeout
        last = self._last
        if last is not None and not last.wait(max(0.0, deadline - time.monotonic())):
            return False
        return self.acceptor.wait_idle(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop after the insertion being played; close the acceptor if we made it."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)
        if self._owns_acceptor:
            self.acceptor.close()

    def __enter__(self) -> CashSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        pending = sum(1 for i in self.history if not i.done)
        return f"<CashSimulator pin={self._pin} queued={pending} submitted={self.submitted}>"

    # -- internals -------------------------------------------------------

    def _train(self, count: int, timing: SimTiming, noise: SimNoise) -> Script:
        pulse, space = timing.pulse_ms / 1000, timing.space_ms / 1000
        bounce = [(flip, noise.bounce_ms / 1000) for _ in range(noise.bounce)
                  for flip in (True, False)]
        script: Script = []
        spikes = noise.spikes
        for i in range(count):
            # bounce: the line chatters around each edge before settling
            script += bounce
            script.append((True, pulse))
            script += [(not level, d) for level, d in bounce]
            if i < count - 1 or spikes:
                if spikes:
                    spikes -= 1
                    half = max(space - noise.spike_ms / 1000, 0) / 2
                    script += [(False, half), (True, noise.spike_ms / 1000), (False, half)]
                else:
                    script.append((False, space))
        return script

    def _submit(self, description: str, script: Script, ignore_inhibit: bool) -> SimInsertion:
        if self._closed:
            raise AcceptorClosed("the cash simulator is closed")
        insertion = SimInsertion(description, script, ignore_inhibit)
        self.history.append(insertion)
        self._last = insertion
        self.submitted += 1
        self._queue.put(insertion)
        return insertion

    def _run(self) -> None:
        while True:
            insertion = self._queue.get()
            if insertion is None:
                return
            try:
                insertion.accepted = self._play(insertion)
            except Exception:
                logger.exception("simulated insertion %r failed", insertion)
                insertion.accepted = False
            finally:
                insertion._done.set()

    def _play(self, insertion: SimInsertion) -> bool:
        # A real acceptor needs time between notes; without it two insertions
        # would merge into one train (insert_merged does that on purpose).
        between = self.timing.between_ms
        if between is None:
            between = 1.5 * self.acceptor.settings.train_gap_ms
        _sleep_until(self._quiet_from + between / 1000)
        if not insertion.ignore_inhibit and not self._wait_uninhibited():
            logger.info("simulated acceptor refused %s: inhibited", insertion.description)
            return False
        logger.info("simulated acceptor: %s", insertion.description)
        target = time.monotonic()
        for active, seconds in insertion.script:
            self._drive(self._pin, active, target)
            target += seconds
            _sleep_until(target)
        self._drive(self._pin, False, target)
        self._quiet_from = time.monotonic()
        return True

    def _wait_uninhibited(self) -> bool:
        deadline = time.monotonic() + self.timing.inhibit_wait_s
        while self.acceptor.inhibit_output.is_active:
            if self.acceptor.closed or time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def _drive(self, pin: MockPin, active: bool, at: float | None = None) -> None:
        if at is not None and isinstance(pin, ScriptedMockPin):
            pin.edge_at = at
        if active == self._active_high:
            pin.drive_high()
        else:
            pin.drive_low()


def open_simulated(
    settings: CashSection,
    *,
    listener: CashListener | None = None,
    counters: CashboxCounters | None = None,
    timing: SimTiming | None = None,
) -> CashSimulator:
    """A :class:`CashAcceptor` on its own ``MockFactory``, with its simulator.

    For ``kioskd --simulate``: the daemon gets the acceptor as
    ``simulator.acceptor`` and never imports gpiozero. Closing the simulator
    closes the acceptor too.
    """
    acceptor = CashAcceptor(
        settings=settings, listener=listener, counters=counters,
        pin_factory=scripted_factory()
    )
    try:
        simulator = CashSimulator(acceptor, timing=timing)
    except BaseException:
        acceptor.close()
        raise
    simulator._owns_acceptor = True
    return simulator


def _sleep_until(target: float) -> None:
    # Sleep to an absolute time so that a long train does not drift.
    delay = target - time.monotonic()
    if delay > 0:
        time.sleep(delay)
