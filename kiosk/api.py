"""The UI's only door to the daemon's side of the protocol.

Everything ``kiosk/`` needs from the local API (the client, its errors, the
snapshot dataclasses, the default config path) is imported here and nowhere
else in ``kiosk/``, so moving the protocol to its own package is a change to
this one file.
"""

from __future__ import annotations

from config import DEFAULT_CONFIG
from protocol.local import (
    CardView,
    Notice,
    ScreenshotAnswer,
    SessionView,
    StateSnapshot,
    ascii_digits,
)
from protocol.localclient import DaemonUnavailable, LocalApiError, LocalClient
from protocol.wire import decode_reply

__all__ = ["DEFAULT_CONFIG", "CardView", "DaemonUnavailable", "LocalApiError", "LocalClient",
           "Notice", "ScreenshotAnswer", "SessionView", "StateSnapshot", "ascii_digits",
           "decode_reply"]
