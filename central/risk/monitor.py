"""The rules: each event is recorded and judged as it arrives; silence is judged by a sweep.

:meth:`Monitor.observe` takes one event (:mod:`central.risk.events`) and
answers the alerts it raised or added to; :meth:`Monitor.sweep` looks for what
no event announces (kiosks whose heartbeats stopped) and forgets old events.
Both read the time from the clock they were given, never from the event, so a
test moves a fake clock instead of sleeping.

=====================  ========  =========================================================
rule                   severity  fires when
=====================  ========  =========================================================
load_velocity_hour     medium    a card's loads in the last hour reach ``load_hour_count``
                                 loads or ``load_hour_fen``
load_velocity_day      high      … in the last 24 h reach ``load_day_count`` / ``load_day_fen``
pin_failures           high      a card's wrong payment passwords in ``pin_window_s`` reach
                                 ``pin_failures``, at ``pin_kiosks`` kiosks or more
tears_refunds          medium    a card's tears and refunds in ``tear_window_s`` reach
                                 ``tear_count``
kiosk_cash_owed        medium    a kiosk's settlement owes customers ``owed_fen`` or more
lost_card_use          high      a card reported lost is presented for a load or payment
heartbeat_stopped      medium    a kiosk has not sent a heartbeat for ``heartbeat_silence_s``
=====================  ========  =========================================================

A hit on a subject that has an unacknowledged alert of the same rule hit within
``realert_after_s`` adds to that alert (``hits``, ``last_at``) rather than
raising another. A new high-severity alert on an active card blacklists it
pending review (``auto_blacklist``), which the store records as an audit event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from central.risk.events import (
    Alert,
    AuditReport,
    Event,
    Heartbeat,
    LoadCompleted,
    LostCardUse,
    PinFailure,
    Refund,
    Tear,
)
from central.risk.settings import RiskSettings
from central.risk.store import RiskStore
from protocol.masking import mask_card_numbers

__all__ = ["Monitor"]

logger = logging.getLogger(__name__)

_HOUR, _DAY = 3600, 86_400


class Monitor:
    """The risk rules over one store, one settings object and one clock."""

    def __init__(self, store: RiskStore, settings: RiskSettings,
                 clock: Callable[[], float]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    # -- events ------------------------------------------------------------------------
    def observe(self, event: Event) -> list[Alert]:
        """Record ``event`` and judge it; the alerts raised or added to."""
        now = int(self.clock())
        if isinstance(event, LoadCompleted | PinFailure | Tear | Refund):
            amount = event.amount_fen if isinstance(event, LoadCompleted | Refund) else 0
            self.store.record(event.kind, event.card_no, event.kiosk_id, amount, now)
        if isinstance(event, LoadCompleted):
            return self._loads(event, now)
        if isinstance(event, PinFailure):
            return self._pin(event, now)
        if isinstance(event, Tear | Refund):
            return self._tears(event, now)
        if isinstance(event, AuditReport):
            return self._owed(event, now)
        if isinstance(event, LostCardUse):
            return self._hit("lost_card_use", "high", "card", event.card_no, event.kiosk_id,
                             now, {"action": event.action})
        self._heard(event, now)
        return []

    def _loads(self, event: LoadCompleted, now: int) -> list[Alert]:
        s, out = self.settings, []
        for rule, severity, span, count, fen in (
                ("load_velocity_hour", "medium", _HOUR, s.load_hour_count, s.load_hour_fen),
                ("load_velocity_day", "high", _DAY, s.load_day_count, s.load_day_fen)):
            seen = self.store.window(("load",), event.card_no, now - span + 1)
            if seen.count >= count or seen.fen >= fen:
                out += self._hit(rule, severity, "card", event.card_no, event.kiosk_id, now, {
                    "window_s": span, "loads": seen.count, "loaded_fen": seen.fen,
                    "count_threshold": count, "fen_threshold": fen,
                    "kiosks": sorted(seen.kiosks)})
        return out

    def _pin(self, event: PinFailure, now: int) -> list[Alert]:
        s = self.settings
        seen = self.store.window(("pin_failure",), event.card_no, now - s.pin_window_s + 1)
        if seen.count < s.pin_failures or len(seen.kiosks) < s.pin_kiosks:
            return []
        return self._hit("pin_failures", "high", "card", event.card_no, event.kiosk_id, now, {
            "window_s": s.pin_window_s, "failures": seen.count, "kiosks": sorted(seen.kiosks),
            "threshold": s.pin_failures, "kiosks_threshold": s.pin_kiosks})

    def _tears(self, event: Tear | Refund, now: int) -> list[Alert]:
        s = self.settings
        seen = self.store.window(("tear", "refund"), event.card_no, now - s.tear_window_s + 1)
        if seen.count < s.tear_count:
            return []
        return self._hit("tears_refunds", "medium", "card", event.card_no, event.kiosk_id, now, {
            "window_s": s.tear_window_s, "tears_and_refunds": seen.count,
            "refunded_fen": seen.fen, "threshold": s.tear_count, "kiosks": sorted(seen.kiosks),
            "last": {"kind": event.kind, "order_id": event.order_id}})

    def _owed(self, event: AuditReport, now: int) -> list[Alert]:
        if event.owed_fen < self.settings.owed_fen:
            return []
        return self._hit("kiosk_cash_owed", "medium", "kiosk", event.kiosk_id, event.kiosk_id,
                         now, {"owed_fen": event.owed_fen, "owed_loads": event.owed_count,
                               "reference": event.reference,
                               "threshold_fen": self.settings.owed_fen})

    def _heard(self, event: Heartbeat, now: int) -> None:
        # A silence alert stays for an operator to acknowledge; it learns when it ended.
        silent = self.store.open_alert("heartbeat_stopped", event.kiosk_id, 0)
        if silent is not None and "resumed_at" not in silent.details:
            self.store.fold(silent.id or 0, silent.last_at, {"resumed_at": now}, hit=False)

    # -- silence -----------------------------------------------------------------------
    def sweep(self) -> list[Alert]:
        """Raise ``heartbeat_stopped`` for kiosks gone silent; forget events older than
        every window. The alerts raised."""
        now = int(self.clock())
        s, out = self.settings, []
        if s.enabled("heartbeat_stopped"):
            for kiosk_id, last_seen in self.store.silent_kiosks(now - s.heartbeat_silence_s):
                raised = self.store.last_alert_at("heartbeat_stopped", kiosk_id)
                if raised is not None and raised >= last_seen:
                    continue  # this silence has its alert already
                out += self._hit("heartbeat_stopped", "medium", "kiosk", kiosk_id, kiosk_id,
                                 now, {"last_seen_at": last_seen, "silent_s": now - last_seen,
                                       "threshold_s": s.heartbeat_silence_s}, fold=False)
        self.store.prune(now - max(_DAY, s.pin_window_s, s.tear_window_s))
        return out

    # -- raising -----------------------------------------------------------------------
    def _hit(self, rule: str, severity: str, subject_kind: str, subject: str, kiosk_id: str,
             now: int, details: dict[str, Any], *, fold: bool = True) -> list[Alert]:
        s = self.settings
        if not s.enabled(rule):
            return []
        if fold:
            open_ = self.store.open_alert(rule, subject, now - s.realert_after_s)
            if open_ is not None and open_.id is not None:
                self.store.fold(open_.id, now, details)
                open_.hits += 1
                open_.last_at = now
                open_.details.update(details)
                return [open_]
        alert = Alert(rule, severity, subject_kind, subject, kiosk_id, now, now, details)
        alert.id = self.store.add_alert(alert)
        if severity == "high" and subject_kind == "card" and s.auto_blacklist:
            alert.card_blacklisted = self.store.blacklist(subject, alert.id, rule, now)
        logger.warning("risk alert %d: %s (%s) on %s %s at kiosk %s%s", alert.id, rule,
                       severity, subject_kind, mask_card_numbers(subject), kiosk_id,
                       "; card blacklisted pending review" if alert.card_blacklisted else "")
        return [alert]
