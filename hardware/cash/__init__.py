"""The pulse-output bill/coin acceptor, on GPIO through gpiozero.

Only this package (with :mod:`hardware.cash.sim`) imports ``gpiozero``.

Modules, one job each:

* :mod:`~hardware.cash.decoder` — edges with timestamps → note / unrecognised /
  noise events (pure).
* :mod:`~hardware.cash.inhibit` — when the acceptor may take cash (pure).
* :mod:`~hardware.cash.counters` — cashbox counters, long and short.
* :mod:`~hardware.cash.events` — the events and the listener base class.
* :mod:`~hardware.cash.acceptor` — :class:`CashAcceptor`, the pins and threads.
* :mod:`~hardware.cash.sim` — :class:`CashSimulator`, real pulse trains on
  ``MockFactory`` pins.

Exceptions::

    HardwareError                  (hardware.errors)
    └── CashError
        ├── CashConfigError        pulse table or timing unusable (also a ValueError)
        └── AcceptorClosed         used after close()

gpiozero's own errors (a pin already in use, no pin factory) are raised as
they are at construction: they are start-up configuration errors, reported by
the daemon's linear ``main`` before any cash can be taken.
"""

from hardware.cash.acceptor import CashAcceptor
from hardware.cash.counters import CashboxCounters, Collection, CounterSet
from hardware.cash.decoder import PulseDecoder, PulseTable, PulseTiming
from hardware.cash.errors import AcceptorClosed, CashConfigError, CashError
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
from hardware.cash.inhibit import InhibitContext, InhibitDecision, decide_inhibit

__all__ = [
    "AcceptorClosed",
    "CashAcceptor",
    "CashConfigError",
    "CashError",
    "CashEvent",
    "CashListener",
    "CashboxCounters",
    "Collection",
    "CounterSet",
    "Fault",
    "FaultKind",
    "InhibitChanged",
    "InhibitContext",
    "InhibitDecision",
    "InhibitReason",
    "Noise",
    "NoteStacked",
    "PulseDecoder",
    "PulseTable",
    "PulseTiming",
    "UnrecognisedCash",
    "decide_inhibit",
]
