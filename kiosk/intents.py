"""One ordered worker for the UI's intents.

Taps become requests to kioskd on a single background thread, in the order
they were made (a "pay" never overtakes the "look up" before it), and the
screen never waits on the socket. Each answer — the reply, or the daemon's
refusal with its code and both messages — goes back to the caller through
``deliver``, which the app hands to the Kivy clock.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.api import DaemonUnavailable, LocalApiError, LocalClient

__all__ = ["Intent", "IntentWorker", "Outcome"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intent:
    method: str
    path: str
    body: dict[str, Any] | None = None
    on_done: Callable[[Outcome], None] | None = None


@dataclass(frozen=True)
class Outcome:
    """What came of an intent: ``reply`` when accepted, else ``error`` (the daemon's
    refusal) or ``unavailable`` (nobody answered on the socket)."""

    intent: Intent
    reply: Any = None
    error: LocalApiError | None = None
    unavailable: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.unavailable is None


class IntentWorker:
    def __init__(self, client: LocalClient, deliver: Callable[[Outcome], None]) -> None:
        self._client = client
        self._deliver = deliver
        self._queue: queue.Queue[Intent | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="intents", daemon=True)

    def start(self) -> IntentWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._queue.put(None)

    def submit(self, intent: Intent) -> None:
        self._queue.put(intent)

    def _run(self) -> None:
        while (intent := self._queue.get()) is not None:
            self._deliver(self.send(intent))

    def send(self, intent: Intent) -> Outcome:
        """Make one request now (the worker's thread; tests call it directly)."""
        try:
            reply = self._client.request(intent.method, intent.path, intent.body)
        except LocalApiError as exc:
            logger.info("intent %s refused: %s", intent.path, exc.code)
            return Outcome(intent, error=exc)
        except DaemonUnavailable as exc:
            logger.warning("intent %s: %s", intent.path, exc)
            return Outcome(intent, unavailable=str(exc))
        return Outcome(intent, reply=reply)
