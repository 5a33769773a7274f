"""The kiosk's current screen state: the one thing the UI renders.

:class:`KioskState` holds what the cardholder sees (screen, card, notice,
language) plus device and link states, and publishes a full
:class:`~protocol.local.StateSnapshot` as a ``state`` event on every change,
so a UI that restarts or reconnects draws the right screen from one message.
"""

from __future__ import annotations

import threading
from typing import Any

import msgspec

from daemon.events import EventBus
from protocol.local import (
    Announcement,
    CardView,
    ClockState,
    Language,
    Notice,
    Screen,
    SessionView,
    StateSnapshot,
    to_json,
)

__all__ = ["KioskState"]

_UNSET: Any = object()


class KioskState:
    """Thread-safe holder of the screen state; every change is an event."""

    def __init__(self, bus: EventBus, *, language: Language) -> None:
        self._bus = bus
        self._lock = threading.RLock()
        self._default_language: Language = language
        self._snap = StateSnapshot(seq=0, screen="attract", language=language)

    def snapshot(self) -> StateSnapshot:
        with self._lock:
            return self._snap

    def update(self, *, screen: Screen = _UNSET, card: CardView | None = _UNSET,
               notice: Notice | None = _UNSET, language: Language = _UNSET,
               central: str = _UNSET, clock: ClockState = _UNSET, clock_skew_s: int | None = _UNSET,
               devices: dict[str, str] | None = None,
               session: SessionView | None = _UNSET,
               maintenance: str | None = _UNSET,
               notices: list[Announcement] = _UNSET) -> StateSnapshot:
        """Change the given fields (``devices`` is merged) and publish the new state."""
        changes: dict[str, Any] = {k: v for k, v in {
            "screen": screen, "card": card, "notice": notice, "language": language,
            "central": central, "clock": clock, "clock_skew_s": clock_skew_s,
            "session": session,
            "maintenance": maintenance, "notices": notices}.items() if v is not _UNSET}
        with self._lock:
            if devices:
                changes["devices"] = {**self._snap.devices, **devices}
            new = msgspec.structs.replace(self._snap, **changes)
            if new == self._snap:
                return new
            new = msgspec.structs.replace(new, seq=self._snap.seq + 1)
            self._snap = new
            # Published under the lock so events leave in the order of seq.
            self._bus.publish("state", to_json(new))
        return new

    def reset(self) -> StateSnapshot:
        """Back to the attract screen in the default language."""
        with self._lock:
            screen: Screen = "maintenance" if self._snap.maintenance else "attract"
            return self.update(screen=screen, card=None, notice=None, session=None,
                               language=self._default_language)
