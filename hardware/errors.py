"""The root of every error raised by the ``hardware`` packages.

Each device package draws its own subtree under :class:`HardwareError`, so the
daemon can catch one class per device, or this one for any device at all.
"""

from __future__ import annotations

__all__ = ["HardwareError"]


class HardwareError(Exception):
    """A device could not do what was asked; the message says which and why."""
