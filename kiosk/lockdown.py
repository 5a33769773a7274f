"""A public kiosk's lock-down: one tap is one press, and no key closes the app.

Some Linux touch stacks (Kivy on KMSDRM with both the mtdev and the hidinput
provider) deliver every finger twice, from two devices, at the same place:
without a filter one tap presses a button twice (two digits typed, two
intents). :class:`TouchDeduper` is the rule, without Kivy; the app applies it
to every motion event before any widget sees it.
"""

from __future__ import annotations

__all__ = ["TouchDeduper"]

WINDOW_S = 0.15   # a second report of the same touch arrives within a frame or two
RADIUS = 24.0     # pixels between the two reports of one finger


class TouchDeduper:
    def __init__(self, window_s: float = WINDOW_S, radius: float = RADIUS) -> None:
        self.window_s, self.radius = window_s, radius
        self._recent: list[tuple[float, str, float, float]] = []  # begins: when, device, x, y
        self._dropped: set[object] = set()

    def accept(self, kind: str, uid: object, device: str, x: float, y: float,
               now: float) -> bool:
        """False for the second report of a touch (its begin, moves and end)."""
        if kind != "begin":
            if uid in self._dropped:
                if kind == "end":
                    self._dropped.discard(uid)
                return False
            return True
        self._recent = [r for r in self._recent if now - r[0] <= self.window_s]
        for _, other_device, ox, oy in self._recent:
            if other_device != device and abs(ox - x) <= self.radius \
                    and abs(oy - y) <= self.radius:
                self._dropped.add(uid)
                return False
        self._recent.append((now, device, x, y))
        return True
