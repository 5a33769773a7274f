"""The pulse-output bill/coin acceptor on GPIO (the only gpiozero user besides the sim).

:class:`CashAcceptor` owns the pins: the pulse input, the inhibit output and
the optional fault inputs. gpiozero delivers edges with their timestamps; the
:class:`~hardware.cash.decoder.PulseDecoder` turns them into events; the
:func:`~hardware.cash.inhibit.decide_inhibit` policy drives the inhibit line;
the :class:`~hardware.cash.counters.CashboxCounters` count what stacked.

Two private threads: a timer that ends trains after the quiet gap (plus a
margin for late callbacks, :mod:`hardware.cash.feed`), and a dispatcher that
calls the listener in order, so a slow or failing listener never delays or
breaks decoding.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import replace
from typing import Any

from gpiozero import DigitalInputDevice, DigitalOutputDevice
from gpiozero.pins import Factory

from config.schema import CashSection
from hardware.cash.counters import CashboxCounters
from hardware.cash.decoder import PulseDecoder, PulseTable, PulseTiming
from hardware.cash.errors import AcceptorClosed
from hardware.cash.events import (
    CashEvent,
    CashListener,
    Fault,
    FaultKind,
    InhibitChanged,
    InhibitReason,
    Noise,
    NoteStacked,
    UnrecognisedCash,
)
from hardware.cash.feed import CALLBACK_MARGIN_S, EdgeFeed
from hardware.cash.inhibit import InhibitContext, InhibitDecision, decide_inhibit

__all__ = ["CashAcceptor"]

log = logging.getLogger(__name__)

_STOP = object()
NOISE_REPORTS_PER_S = 10  # more spikes than this are counted, not each reported


class _PulseInput(DigitalInputDevice):  # type: ignore[misc]
    """A DigitalInputDevice that also hands every edge, with its tick, to a sink.

    gpiozero's own events carry no timestamps; the pin callback does (from the
    kernel on lgpio), and pulse widths must come from there, not from when a
    Python thread got round to running.
    """

    def __init__(self, pin: int, *, sink: Any, **kwargs: Any) -> None:
        self._sink = None
        super().__init__(pin, **kwargs)
        self._sink = sink

    def _pin_changed(self, ticks: Any, state: Any) -> None:
        super()._pin_changed(ticks, state)
        if self._sink is not None:
            self._sink(ticks, bool(self._state_to_value(state)))


class CashAcceptor:
    """A pulse acceptor: decodes notes, drives inhibit, counts the cashbox.

    ``pulse_pin`` and ``inhibit_pin`` default to the config's pins. The
    acceptor starts inhibited (start-up is "not sure"); the daemon opens it
    with :meth:`update` once it knows a top-up session is accepting.
    """

    def __init__(
        self,
        pulse_pin: int | None = None,
        inhibit_pin: int | None = None,
        *,
        settings: CashSection,
        listener: CashListener | None = None,
        counters: CashboxCounters | None = None,
        pin_factory: Factory | None = None,
        callback_margin_s: float = CALLBACK_MARGIN_S,
    ) -> None:
        self.settings = settings
        self.listener = listener or CashListener()
        self.counters = counters or CashboxCounters()
        self.table = PulseTable(settings.pulse_table)
        self._decoder = PulseDecoder(
            PulseTiming(settings.pulse_min_ms, settings.pulse_max_ms, settings.train_gap_ms),
            self.table,
        )
        self._feed = EdgeFeed(self._decoder, margin_s=callback_margin_s)
        self._cond = threading.Condition()
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending_dispatch = 0
        self._context = InhibitContext()
        self._decision = InhibitDecision(True, InhibitReason.NOT_READY)
        self._faults: set[FaultKind] = set()
        self._train_unsolicited = False
        self._ref: Any = None  # the first edge's tick: edge times count from it
        self._closed = False
        self._noise_window = (0.0, 0)  # (window start, spikes reported in it)
        self._noise_suppressed = 0
        self.noise_total = 0
        self._devices: list[Any] = []
        fault_pull_up = not settings.pulse_active_high
        try:
            self.inhibit_output = DigitalOutputDevice(
                settings.inhibit_pin if inhibit_pin is None else inhibit_pin,
                active_high=settings.inhibit_active_high,
                initial_value=True,
                pin_factory=pin_factory,
            )
            self._devices.append(self.inhibit_output)
            self.pulse_input = _PulseInput(
                settings.pulse_pin if pulse_pin is None else pulse_pin,
                sink=self._on_edge,
                pull_up=not settings.pulse_active_high,
                pin_factory=pin_factory,
            )
            self._devices.append(self.pulse_input)
            self.jam_input = self._fault_input(
                settings.jam_pin, FaultKind.JAM, fault_pull_up, pin_factory
            )
            self.cashbox_input = self._fault_input(
                settings.cashbox_pin, FaultKind.CASHBOX_REMOVED, fault_pull_up, pin_factory
            )
        except BaseException:
            self._close_devices()
            raise
        self._timer = threading.Thread(target=self._run_timer, name="cash-timer", daemon=True)
        self._dispatcher = threading.Thread(
            target=self._run_dispatch, name="cash-events", daemon=True
        )
        self._timer.start()
        self._dispatcher.start()
        log.info(
            "cash acceptor on pulse pin %s, inhibit pin %s, table %r",
            self.pulse_input.pin, self.inhibit_output.pin, self.table,
        )

    @classmethod
    def from_config(
        cls,
        settings: CashSection,
        *,
        listener: CashListener | None = None,
        counters: CashboxCounters | None = None,
        pin_factory: Factory | None = None,
    ) -> CashAcceptor:
        return cls(settings=settings, listener=listener, counters=counters,
                   pin_factory=pin_factory)

    # -- what the daemon calls -----------------------------------------

    def update(
        self,
        *,
        ready: bool | None = None,
        online: bool | None = None,
        session_accepting: bool | None = None,
        headroom_fen: int | None = None,
    ) -> InhibitDecision:
        """Tell the acceptor what the daemon knows; returns the new decision."""
        changes: dict[str, Any] = {
            k: v
            for k, v in (
                ("ready", ready),
                ("online", online),
                ("session_accepting", session_accepting),
                ("headroom_fen", headroom_fen),
            )
            if v is not None
        }
        with self._cond:
            self._check_open()
            self._context = replace(self._context, **changes)
            self._apply_inhibit()
            return self._decision

    @property
    def context(self) -> InhibitContext:
        return self._context

    @property
    def decision(self) -> InhibitDecision:
        return self._decision

    @property
    def inhibited(self) -> bool:
        return self._decision.inhibited

    @property
    def faults(self) -> frozenset[FaultKind]:
        with self._cond:
            return frozenset(self._faults)

    @property
    def busy(self) -> bool:
        """A pulse train is being decoded."""
        with self._cond:
            return self._decoder.busy

    @property
    def smallest_fen(self) -> int:
        return self.table.denominations[0]

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready state for ``kioskctl status`` and the local API."""
        with self._cond:
            return {
                "inhibited": self._decision.inhibited,
                "reason": self._decision.reason.value,
                "decoding": self._decoder.busy,
                "faults": sorted(f.value for f in self._faults),
                "noise_spikes": self.noise_total,
                "denominations_fen": list(self.table.denominations),
                "closed": self._closed,
                "cashbox": self.counters.to_dict(),
            }

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no train is open and every event has reached the listener."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._decoder.busy or self._pending_dispatch:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Finish any open train (its cash is reported), inhibit, release pins."""
        with self._cond:
            if self._closed:
                return
            # A train cut short at shutdown is still cash in the box: report it.
            self._handle(self._feed.flush(time.monotonic()))
            self._closed = True
            self._apply_inhibit()
            self._cond.notify_all()
        self._timer.join(timeout=2)
        self._events.put(_STOP)
        if threading.current_thread() is not self._dispatcher:  # a listener may close us
            self._dispatcher.join(timeout=5)
        self._close_devices()
        log.info("cash acceptor closed")

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> CashAcceptor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._closed:
            return "<CashAcceptor closed>"
        state = "inhibited" if self._decision.inhibited else "accepting"
        faults = ",".join(sorted(self._faults)) or "none"
        return (
            f"<CashAcceptor pulse={self.pulse_input.pin} {state} ({self._decision.reason}) "
            f"decoding={self._decoder.busy} faults={faults} cashbox={self.counters!r}>"
        )

    # -- internals -------------------------------------------------------

    def _fault_input(
        self, pin: int | None, kind: FaultKind, pull_up: bool, pin_factory: Factory | None
    ) -> DigitalInputDevice | None:
        if pin is None:
            return None
        device = DigitalInputDevice(pin, pull_up=pull_up, pin_factory=pin_factory)
        self._devices.append(device)
        device.when_activated = lambda: self._on_fault(kind, True)
        device.when_deactivated = lambda: self._on_fault(kind, False)
        if device.is_active:
            self._faults.add(kind)
            self._events.put(Fault(kind, True))
            self._pending_dispatch += 1
        return device

    def _check_open(self) -> None:
        if self._closed:
            raise AcceptorClosed("the cash acceptor is closed")

    def _on_edge(self, ticks: Any, active: bool) -> None:
        received = time.monotonic()
        with self._cond:
            if self._closed:
                return
            if self._ref is None:
                self._ref = ticks
            # The edge's own time, on the pin factory's clock (lgpio: the kernel's);
            # ``received`` only tells the feed how late its callback came.
            t = float(self.pulse_input.pin_factory.ticks_diff(ticks, self._ref))
            was_busy = self._decoder.busy
            late = self._feed.late_edges
            events = self._feed.edge(t, active, received)
            if self._feed.late_edges > late:
                log.warning("a pulse-line callback came more than %.0f ms late; a train "
                            "may have been split", self._feed.margin_s * 1000)
            if not was_busy and self._decoder.busy:
                self._train_unsolicited = decide_inhibit(
                    self._context,
                    fault=bool(self._faults),
                    decoding=False,
                    smallest_fen=self.smallest_fen,
                ).inhibited
            self._handle(events)
            self._cond.notify_all()

    def _on_fault(self, kind: FaultKind, active: bool) -> None:
        with self._cond:
            if self._closed:
                return
            if active:
                self._faults.add(kind)
            else:
                self._faults.discard(kind)
            self._handle([Fault(kind, active)])

    def _run_timer(self) -> None:
        with self._cond:
            while not self._closed:
                due = self._feed.next_poll()
                if due is None:
                    self._cond.wait()
                    continue
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                self._handle(self._feed.poll(time.monotonic()))
                self._cond.notify_all()

    def _handle(self, events: list[CashEvent]) -> None:
        """Account for decoder events (lock held) and queue them for the listener."""
        for event in events:
            if isinstance(event, NoteStacked | UnrecognisedCash):
                event = replace(event, unsolicited=self._train_unsolicited)
                if isinstance(event, NoteStacked):
                    self.counters.record_note(event.value_fen)
                    log.info("note stacked: %d fen (%d pulses)", event.value_fen, event.pulses)
                else:
                    self.counters.record_unidentified(event.pulses)
                    log.warning(
                        "unrecognised cash: %d pulses, %d too long, widths %s ms",
                        event.pulses, event.long_pulses, event.widths_ms,
                    )
            elif isinstance(event, Noise):
                self.noise_total += 1
                log.debug("noise on the pulse line: %.1f ms spike", event.width_ms)
                if not self._report_noise():
                    continue
                event = replace(event, suppressed_before=self._noise_suppressed)
                self._noise_suppressed = 0
            elif isinstance(event, Fault):
                if event.kind is FaultKind.PULSE_LINE_STUCK:
                    (self._faults.add if event.active else self._faults.discard)(event.kind)
                log.warning("cash acceptor fault %s: %s", event.kind,
                            "present" if event.active else "cleared")
            self._queue(event)
        self._apply_inhibit()

    def _report_noise(self) -> bool:
        """Rate-limit Noise events so a sparking line cannot flood the listener."""
        now = time.monotonic()
        start, reported = self._noise_window
        if now - start >= 1.0:
            start, reported = now, 0
        if reported >= NOISE_REPORTS_PER_S:
            self._noise_suppressed += 1
            self._noise_window = (start, reported)
            return False
        self._noise_window = (start, reported + 1)
        return True

    def _apply_inhibit(self) -> None:
        if self._closed:
            decision = InhibitDecision(True, InhibitReason.CLOSED)
        else:
            decision = decide_inhibit(
                self._context,
                fault=bool(self._faults),
                decoding=self._decoder.busy,
                smallest_fen=self.smallest_fen,
            )
        old, self._decision = self._decision, decision
        if decision.inhibited != self.inhibit_output.is_active:
            if decision.inhibited:
                self.inhibit_output.on()
            else:
                self.inhibit_output.off()
        if decision.inhibited != old.inhibited:
            log.info("cash acceptor %s (%s)",
                     "inhibited" if decision.inhibited else "accepting", decision.reason)
            self._queue(InhibitChanged(decision.inhibited, decision.reason))

    def _queue(self, event: CashEvent) -> None:
        self._pending_dispatch += 1
        self._events.put(event)

    def _run_dispatch(self) -> None:
        while True:
            event = self._events.get()
            if event is _STOP:
                return
            try:
                _deliver(self.listener, event)
            except Exception:
                log.exception("cash listener failed on %r; decoding goes on", event)
            finally:
                with self._cond:
                    self._pending_dispatch -= 1
                    self._cond.notify_all()

    def _close_devices(self) -> None:
        for device in reversed(self._devices):
            try:
                device.close()
            except Exception:
                log.exception("closing %r failed", device)
        self._devices.clear()


def _deliver(listener: CashListener, event: CashEvent) -> None:
    if isinstance(event, NoteStacked):
        listener.on_note_stacked(event)
    elif isinstance(event, UnrecognisedCash):
        listener.on_unrecognised(event)
    elif isinstance(event, Noise):
        listener.on_noise(event)
    elif isinstance(event, Fault):
        listener.on_fault(event)
    else:
        listener.on_inhibit_changed(event)
