"""Real-time risk monitoring (实时监控 / 风险预警) of the central side.

A pure package: rules over events, a clock and a small store interface, so it
moves to another web framework or database unchanged. The central server feeds
it from the routes (:mod:`central.routes.alerts`) inside each request's
transaction, and sweeps it on a timer for silences.

    events.py    what the monitor is told (loads, PIN failures, tears, ...) and Alert
    settings.py  RiskSettings: thresholds, validated with every problem at once
    store.py     RiskStore (the interface) and SqlRiskStore
    monitor.py   Monitor: the rules (table in its docstring)
"""

from __future__ import annotations

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
from central.risk.monitor import Monitor
from central.risk.settings import RULES, RiskConfigError, RiskSettings, load_risk, parse_risk
from central.risk.store import (
    SWEEP_CLAIM,
    AlertQuery,
    RiskStore,
    SqliteRiskStore,
    SqlRiskStore,
    Window,
    claim_sweep,
)

__all__ = ["RULES", "SWEEP_CLAIM", "Alert", "AlertQuery", "AuditReport", "Event", "Heartbeat",
           "LoadCompleted", "LostCardUse", "Monitor", "PinFailure", "Refund", "RiskConfigError",
           "RiskSettings", "RiskStore", "SqlRiskStore", "SqliteRiskStore", "Tear", "Window",
           "claim_sweep", "load_risk", "parse_risk"]
