"""Maintenance mode: the operator's, and the card centre's announced windows.

While it is on, no session starts (the card screen's money services say why)
and a session in progress finishes. The operator's word comes from
``kioskctl maintenance``; the centre's windows from the heartbeat answer
(:class:`~daemon.maintwindow.CentralWindows`), started and ended on time by
:meth:`Maintenance.follow`, which the session ticker calls every second.

The operator on site has the last word: turning maintenance off during a
central window ends that window for the rest of it (a later one still
applies), and turning it on takes over from a window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from daemon.maintwindow import CentralWindows
from daemon.sessions.machine import Machine

__all__ = ["CENTRAL_MAINTENANCE", "Maintenance"]

logger = logging.getLogger(__name__)

CENTRAL_MAINTENANCE = "系统维护中，请稍后再试 / System maintenance — please try again later"


class Maintenance:
    """Maintenance on or off, under the session machine's lock (so it never resets
    the screen of a session that starts meanwhile)."""

    def __init__(self, machine: Machine,
                 report: Callable[[str, dict[str, Any]], object]) -> None:
        self._machine = machine
        self._report = report
        self._windows = CentralWindows()
        self._central_window = False  # the maintenance now on is a central window's
        self._dismissed_until = 0.0  # a central window the operator ended, until its end

    def central_windows(self, windows: CentralWindows) -> None:
        """The central maintenance windows, from a heartbeat answer."""
        now = self._machine.clock()
        with self._machine.lock:
            self._windows = windows
            if not windows.on(now):
                self._dismissed_until = 0.0  # what the operator ended is over
        self.follow(now)

    def follow(self, now: float) -> None:
        """Central maintenance on or off as the windows say at ``now``. The operator's
        own maintenance, if on, is left alone either way."""
        with self._machine.lock:
            on = self._windows.on(now) and now >= self._dismissed_until
            current = self._machine.state.snapshot().maintenance
            if on and current is None:
                self._central_window = True
                self.set(CENTRAL_MAINTENANCE)
            elif not on and self._central_window:
                self._central_window = False
                if current == CENTRAL_MAINTENANCE:
                    self.set(None)

    def set(self, message: str | None) -> None:
        """Maintenance on (with the operator's message) or off."""
        machine = self._machine
        with machine.lock:
            if message is None:
                # The operator's "off" also ends a central window now on, for the
                # rest of that window; a later window still applies.
                self._dismissed_until = self._windows.end_of_current(machine.clock()) or 0.0
            if message != CENTRAL_MAINTENANCE:
                self._central_window = False  # the operator has taken over
            machine.state.update(maintenance=message)
            if machine.current is None:
                machine.state.reset()
        logger.warning("maintenance %s%s", "on: " if message else "off", message or "")
        self._report("maintenance", {"on": message is not None, "message": message or ""})
