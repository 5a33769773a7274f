"""The event bus's replay buffer: bounded to what one subscription can queue."""

from __future__ import annotations

from daemon.events import QUEUE_DEPTH, EventBus


def test_an_overflowed_subscriber_resumes_from_the_buffer() -> None:
    # A stream ends when its queue is full; the client then reads what was queued
    # and reconnects with the last id it saw. The buffer must still reach back there.
    bus = EventBus()
    sub = bus.subscribe()
    for n in range(QUEUE_DEPTH + 10):
        bus.publish("state", {"n": n})
    assert sub.overflowed
    delivered = [sub.queue.get_nowait().id for _ in range(QUEUE_DEPTH)]
    missed = bus.since(delivered[-1])
    assert missed is not None
    assert [e.data["n"] for e in missed] == list(range(QUEUE_DEPTH, QUEUE_DEPTH + 10))


def test_the_buffer_keeps_one_queue_of_events_not_more() -> None:
    # 1,000 kept state snapshots held ~2.7 MB of kioskd (docs/PERFORMANCE.md); a
    # client further behind than one queue gets a fresh snapshot instead.
    bus = EventBus()
    for n in range(2 * QUEUE_DEPTH):
        bus.publish("state", {"n": n})
    assert bus.since(0) is None
    assert bus.since(bus.last_id - QUEUE_DEPTH - 1) is None
    kept = bus.since(bus.last_id - QUEUE_DEPTH)
    assert kept is not None and len(kept) == QUEUE_DEPTH
    assert bus.since(bus.last_id) == []
