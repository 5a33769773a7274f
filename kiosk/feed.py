"""The UI's view of the daemon: a thread that follows kioskd's state.

It fetches ``/v1/state`` and then follows ``/v1/events`` (Server-Sent Events),
resuming with ``Last-Event-ID`` after a dropped stream. Every snapshot goes to
``on_state``; ``on_state(None)`` means the daemon is unreachable (the UI then
shows "out of service") and the feed retries with backoff. A ``screenshot``
event (an operator's ``kioskctl screenshot``) goes to ``on_screenshot``. Callbacks run on
the feed thread: the app hands them to the Kivy clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.api import DaemonUnavailable, LocalApiError, LocalClient, StateSnapshot

__all__ = ["StateFeed"]

logger = logging.getLogger(__name__)

BACKOFF_S = (0.2, 0.5, 1.0, 2.0)


class StateFeed:
    def __init__(self, client: LocalClient, on_state: Callable[[StateSnapshot | None], None],
                 *, on_screenshot: Callable[[str], None] | None = None) -> None:
        self._client = client
        self._on_state = on_state
        self._on_screenshot = on_screenshot  # an operator asked for the screen (request id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-feed", daemon=True)
        self.last_event_id: int | None = None
        self.connected = False

    def start(self) -> StateFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._follow()
                failures = 0
            except (DaemonUnavailable, LocalApiError) as exc:
                if self.connected or failures == 0:
                    logger.warning("daemon unreachable: %s", exc)
                    self.connected = False
                    self._on_state(None)
                self._stop.wait(BACKOFF_S[min(failures, len(BACKOFF_S) - 1)])
                failures += 1

    def _follow(self) -> None:
        for event in self._client.events(self.last_event_id):
            if self._stop.is_set():
                return
            self.last_event_id = event.id
            if event.type == "screenshot" and self._on_screenshot is not None:
                self._on_screenshot(str(event.data.get("request_id", "")))
            if event.type != "state":
                continue
            self.connected = True
            if event.state is not None:
                self._on_state(event.state)
        raise DaemonUnavailable("event stream closed")
