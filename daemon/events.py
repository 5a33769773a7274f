"""The daemon's event bus: numbered events, a replay buffer, fire-and-forget delivery.

Every event gets the next id. SSE clients that reconnect with ``Last-Event-ID``
get what they missed from the buffer, or are told to take a fresh snapshot
when the buffer no longer reaches back that far. A failing listener is logged
and never stops the publisher (mopidy's listener rule).

The buffer keeps as many events as one subscription's queue holds
(:data:`KEEP`): a client is cut off when its queue is full, so that is about how
far behind a client can fall and still resume without a snapshot. A state
event is the whole snapshot (~2.7 kB as dicts), so 1,000 kept events held ~2.7
MB of kioskd; 256 hold ~0.7 MB and still cover tens of seconds of the busiest
sessions, while the UI reconnects within 2 s (kiosk/feed.py's backoff). A
client the buffer no longer covers gets one fresh snapshot, which is complete
by construction (docs/decisions.md, "The event replay buffer").
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["KEEP", "QUEUE_DEPTH", "Event", "EventBus", "Subscription"]

logger = logging.getLogger(__name__)

QUEUE_DEPTH = 256  # events a subscription holds before its stream ends (overflow)
KEEP = QUEUE_DEPTH  # events kept for reconnecting clients


@dataclass(frozen=True)
class Event:
    """One published event. ``data`` is JSON-ready."""

    id: int
    type: str
    data: dict[str, Any]


class Subscription:
    """A queue of events for one consumer (an SSE stream)."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self.queue: queue.Queue[Event] = queue.Queue(maxsize)
        self.overflowed = False

    def get(self, timeout: float) -> Event | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    """Publish events to listeners and subscriptions, keeping the last ``keep``."""

    def __init__(self, keep: int = KEEP) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._buffer: deque[Event] = deque(maxlen=keep)
        self._subs: set[Subscription] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self.last_id = 0

    def publish(self, type_: str, data: dict[str, Any]) -> Event:
        with self._lock:
            event = Event(next(self._ids), type_, data)
            self.last_id = event.id
            self._buffer.append(event)
            subs = list(self._subs)
            listeners = list(self._listeners)
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:
                sub.overflowed = True  # the stream will end; the client resumes
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("event listener %r failed on %s", listener, event.type)
        return event

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def subscribe(self, maxsize: int = QUEUE_DEPTH) -> Subscription:
        sub = Subscription(self, maxsize)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def since(self, last_id: int) -> list[Event] | None:
        """Events after ``last_id``, or None when the buffer no longer covers them."""
        with self._lock:
            if last_id >= self.last_id:
                return []
            if not self._buffer or self._buffer[0].id > last_id + 1:
                return None
            return [e for e in self._buffer if e.id > last_id]
