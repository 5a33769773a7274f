"""Central maintenance windows as the heartbeat's answer gives them, moved onto
this kiosk's monotonic clock, so a window starts and ends on time between
heartbeats (which go once a minute).

The answer's times are the server's Unix seconds; each becomes "now + (t −
server_time)" here, so a kiosk whose clock is off still starts and ends the
window when the server means it. A central server that sends only
``maintenance`` (true or false) gives a window that lasts until an answer says
otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["CentralWindows"]


def _seconds(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class CentralWindows:
    """The window on now (until ``active_until``) and the next one, in monotonic time."""

    active_until: float | None = None  # None: no window on; inf: until told otherwise
    next_start: float | None = None
    next_end: float | None = None

    @classmethod
    def from_ack(cls, ack: Any, now: float) -> CentralWindows | None:
        """The windows a heartbeat answer announces; None when it says nothing usable."""
        if not isinstance(ack, dict) or not isinstance(ack.get("maintenance"), bool):
            return None
        server_time = _seconds(ack.get("server_time"))

        def here(value: Any) -> float | None:
            at = _seconds(value)
            return None if at is None or server_time is None else now + (at - server_time)

        active_until = None
        if ack["maintenance"]:
            until = here(ack.get("maintenance_until"))
            active_until = math.inf if until is None else until
        coming = ack.get("next_maintenance")
        next_start = next_end = None
        if isinstance(coming, dict):
            next_start, next_end = here(coming.get("starts_at")), here(coming.get("ends_at"))
            if next_start is None or next_end is None or next_end <= next_start:
                next_start = next_end = None
        return cls(active_until, next_start, next_end)

    def on(self, now: float) -> bool:
        """Whether a central window is on at monotonic time ``now``."""
        return self.end_of_current(now) is not None

    def end_of_current(self, now: float) -> float | None:
        """When the window on at ``now`` ends (inf: when an answer says so); None
        when no window is on."""
        if self.active_until is not None and now < self.active_until:
            return self.active_until
        if (self.next_start is not None and self.next_end is not None
                and self.next_start <= now < self.next_end):
            return self.next_end
        return None
