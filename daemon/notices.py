"""Central notices (维护公告) on this kiosk: fetched with the heartbeat, shown on time.

:class:`NoticeBoard` keeps the last list the central side gave (``GET
/v1/notices``) and decides, on this kiosk's clock, which are on screen now: a
notice between its start and its end, and a maintenance window from
``announce_ahead_s`` before it starts (so a cardholder learns of it before the
services stop). :meth:`NoticeBoard.tick` runs every link round (and with each
fetch): a notice that has ended leaves the state snapshot then, between
fetches and while the central link is down. An answer that is not the
documented shape changes nothing; a malformed entry in it is left out.

The times are the central side's (absolute, ISO 8601), compared with this
kiosk's wall clock — which NTP keeps right; the maintenance window itself is
run from the heartbeat's answer on the monotonic clock (:mod:`daemon.maintwindow`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from daemon.central import CentralClient, CentralError, CentralMalformed, reply_as
from daemon.state import KioskState
from protocol.central import CentralNotice, CentralNotices
from protocol.local import Announcement

__all__ = ["ANNOUNCE_AHEAD_S", "MAINTENANCE_TOUCHES", "NoticeBoard"]

logger = logging.getLogger(__name__)

ANNOUNCE_AHEAD_S = 24 * 3600.0
# A central maintenance window stops every service that needs the central side.
MAINTENANCE_TOUCHES = ["topup", "bill", "points", "pending_load"]


@dataclass(frozen=True)
class _Notice:
    notice: CentralNotice
    starts: float
    ends: float


def _parse(entry: Any) -> _Notice | None:
    """One entry of the central answer, or None when it is not a usable notice."""
    try:
        notice = reply_as(CentralNotice, entry)
        starts = datetime.fromisoformat(notice.starts_at).timestamp()
        ends = datetime.fromisoformat(notice.ends_at).timestamp()
    except (CentralMalformed, ValueError):
        return None
    if ends <= starts:
        return None
    return _Notice(notice, starts, ends)


class NoticeBoard:
    """The central notices and which of them the screen shows now."""

    def __init__(self, state: KioskState, *, clock: Callable[[], float] = time.time,
                 announce_ahead_s: float = ANNOUNCE_AHEAD_S) -> None:
        self._state = state
        self._clock = clock
        self._ahead = announce_ahead_s
        self._lock = threading.Lock()
        self._notices: list[_Notice] = []

    def fetch(self, central: CentralClient) -> None:
        """Ask the central side for its notices (with the heartbeat); keep the last
        list when it cannot answer."""
        try:
            answer = central.request("GET", "/v1/notices")
        except CentralError as exc:
            logger.info("notices not fetched: %s", exc)
            return
        self.replace(answer)

    def replace(self, answer: Any) -> None:
        """Take a ``GET /v1/notices`` answer; one not of that shape changes nothing."""
        try:
            entries = reply_as(CentralNotices, answer).notices
        except CentralMalformed:
            logger.warning("notices: the central answer is not the documented shape")
            return
        parsed = [_parse(entry) for entry in entries]
        kept = [n for n in parsed if n is not None]
        if len(kept) < len(parsed):
            logger.warning("notices: %d malformed entries left out", len(parsed) - len(kept))
        with self._lock:
            self._notices = kept
        self.tick()

    def current(self) -> list[Announcement]:
        """The notices on screen now, in the order the central side gave them."""
        now = self._clock()
        with self._lock:
            notices = list(self._notices)
        shown = []
        for n in notices:
            c = n.notice
            maintenance = c.kind == "maintenance"
            opens = n.starts - self._ahead if maintenance else n.starts
            if opens <= now < n.ends:
                shown.append(Announcement(
                    notice_id=c.notice_id, kind=c.kind, title=c.title, title_zh=c.title_zh,
                    body=c.body, body_zh=c.body_zh, starts_at=c.starts_at, ends_at=c.ends_at,
                    active=n.starts <= now,
                    touches=list(MAINTENANCE_TOUCHES) if maintenance else []))
        return shown

    def tick(self) -> None:
        """Put the notices on now into the state snapshot (an event only on a change)."""
        self._state.update(notices=self.current())
