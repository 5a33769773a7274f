"""The risk rules (central/risk/), one by one, on a real central database and a test
clock: no server, no sleeps. The HTTP path is tests/central/test_alerts.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from central.auth import register_kiosk
from central.db import Connection, connect, rows, run, scalar
from central.risk import (
    AuditReport,
    Heartbeat,
    LoadCompleted,
    LostCardUse,
    Monitor,
    PinFailure,
    Refund,
    RiskConfigError,
    RiskSettings,
    SqlRiskStore,
    Tear,
    load_risk,
    parse_risk,
)
from tests.central.helpers import KIOSK, LI, LIU, ZHANG, Clock

K2 = "KIOSK-DEV-0002"


@pytest.fixture
def db(fresh_database: Callable[[], Path | str]) -> Iterator[Connection]:
    conn = connect(fresh_database())
    for kiosk_id in (KIOSK, K2):
        register_kiosk(conn, kiosk_id, b"0" * 32)
    yield conn
    conn.close()


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.now = 1_796_000_000.0  # a fixed moment: windows are judged on the monitor's clock only
    return c


def monitor(db: Connection, clock: Clock, **settings: object) -> Monitor:
    return Monitor(SqlRiskStore(db), RiskSettings(**settings), clock)  # type: ignore[arg-type]


def status(db: Connection, card_no: str) -> str:
    return str(scalar(db, "SELECT status FROM cards WHERE card_no = :c", c=card_no))


def audit_events(db: Connection) -> list[tuple[str, str, str, dict[str, object]]]:
    return [(r["actor"], r["action"], r["subject"], json.loads(r["details"]))
            for r in rows(db, "SELECT * FROM audit_events ORDER BY id")]


# -- load velocity ---------------------------------------------------------------------
def test_load_velocity_per_hour_raises_a_medium_alert_and_folds_repeats(
        db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, load_hour_count=3, load_day_count=10)
    for _ in range(2):
        assert m.observe(LoadCompleted(ZHANG, KIOSK, 5000)) == []
        clock.advance(600)
    (alert,) = m.observe(LoadCompleted(ZHANG, K2, 5000))
    assert (alert.rule, alert.severity, alert.subject, alert.hits) == (
        "load_velocity_hour", "medium", ZHANG, 1)
    assert alert.details["loads"] == 3 and alert.details["loaded_fen"] == 15000
    assert alert.details["kiosks"] == [KIOSK, K2]
    assert not alert.card_blacklisted and status(db, ZHANG) == "active"
    clock.advance(60)
    (again,) = m.observe(LoadCompleted(ZHANG, KIOSK, 5000))
    assert again.id == alert.id and again.hits == 2 and again.details["loads"] == 4
    # another card is its own subject
    assert m.observe(LoadCompleted(LI, KIOSK, 5000)) == []


def test_loads_older_than_the_hour_do_not_count(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, load_hour_count=3, load_day_count=10)
    for _ in range(5):
        assert m.observe(LoadCompleted(ZHANG, KIOSK, 1000)) == []
        clock.advance(1800)  # two an hour: never three within one


def test_load_velocity_per_hour_by_amount(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, load_hour_fen=60_000)
    assert m.observe(LoadCompleted(ZHANG, KIOSK, 50_000)) == []
    (alert,) = m.observe(LoadCompleted(ZHANG, KIOSK, 10_000))
    assert alert.rule == "load_velocity_hour" and alert.details["loaded_fen"] == 60_000


def test_load_velocity_per_day_is_high_and_blacklists_the_card_with_an_audit_event(
        db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, load_hour_count=3, load_day_count=4)
    for _ in range(3):
        assert m.observe(LoadCompleted(ZHANG, KIOSK, 2000)) == []
        clock.advance(3 * 3600)
    (alert,) = m.observe(LoadCompleted(ZHANG, KIOSK, 2000))
    assert (alert.rule, alert.severity, alert.card_blacklisted) == (
        "load_velocity_day", "high", True)
    assert status(db, ZHANG) == "blacklisted"
    assert audit_events(db) == [("risk-monitor", "card_blacklisted", ZHANG, {
        "alert_id": alert.id, "rule": "load_velocity_day", "pending_review": True})]
    stored = SqlRiskStore(db).open_alert("load_velocity_day", ZHANG, 0)
    assert stored is not None and stored.card_blacklisted


def test_auto_blacklist_off_raises_the_alert_and_leaves_the_card(
        db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, load_hour_count=1, load_day_count=1, auto_blacklist=False)
    alerts = m.observe(LoadCompleted(ZHANG, KIOSK, 2000))
    assert [a.rule for a in alerts] == ["load_velocity_hour", "load_velocity_day"]
    assert not any(a.card_blacklisted for a in alerts)
    assert status(db, ZHANG) == "active" and audit_events(db) == []


# -- payment-password failures across kiosks --------------------------------------------
def test_pin_failures_across_kiosks_are_high(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, pin_failures=4, pin_kiosks=2)
    for _ in range(5):  # one kiosk alone: a holder who forgot, not a guesser moving on
        assert m.observe(PinFailure(ZHANG, KIOSK)) == []
        clock.advance(60)
    (alert,) = m.observe(PinFailure(ZHANG, K2))
    assert (alert.rule, alert.severity) == ("pin_failures", "high")
    assert alert.details["failures"] == 6 and alert.details["kiosks"] == [KIOSK, K2]
    assert alert.card_blacklisted and status(db, ZHANG) == "blacklisted"


def test_pin_failures_outside_the_window_do_not_count(db: Connection,
                                                      clock: Clock) -> None:
    m = monitor(db, clock, pin_failures=3, pin_kiosks=2, pin_window_s=600)
    m.observe(PinFailure(ZHANG, KIOSK))
    m.observe(PinFailure(ZHANG, K2))
    clock.advance(600)
    assert m.observe(PinFailure(ZHANG, K2)) == []
    assert status(db, ZHANG) == "active"


# -- tears and refunds ------------------------------------------------------------------
def test_repeated_tears_and_refunds_on_one_card(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, tear_count=3)
    assert m.observe(Tear(ZHANG, KIOSK, "LO" + "0" * 24)) == []
    assert m.observe(Refund(ZHANG, K2, "LO" + "1" * 24, 5000)) == []
    assert m.observe(Tear(LI, KIOSK, "LO" + "2" * 24)) == []
    (alert,) = m.observe(Tear(ZHANG, KIOSK, "PO" + "3" * 24))
    assert (alert.rule, alert.severity, alert.subject) == ("tears_refunds", "medium", ZHANG)
    assert alert.details["tears_and_refunds"] == 3 and alert.details["refunded_fen"] == 5000
    assert alert.details["last"] == {"kind": "tear", "order_id": "PO" + "3" * 24}
    assert status(db, ZHANG) == "active"


# -- a kiosk's audit reports cash owed --------------------------------------------------
def test_a_settlement_that_owes_cash_alerts_on_the_kiosk(db: Connection,
                                                          clock: Clock) -> None:
    m = monitor(db, clock, owed_fen=1000)
    assert m.observe(AuditReport(KIOSK, 0, 0, "Z20261202-1")) == []
    assert m.observe(AuditReport(KIOSK, 999, 1, "Z20261202-1")) == []
    (alert,) = m.observe(AuditReport(KIOSK, 5000, 1, "Z20261203-2"))
    assert (alert.rule, alert.subject_kind, alert.subject) == ("kiosk_cash_owed", "kiosk", KIOSK)
    assert alert.details["owed_fen"] == 5000 and alert.details["reference"] == "Z20261203-2"
    assert audit_events(db) == []


# -- a card reported lost is used -------------------------------------------------------
def test_any_use_of_a_lost_card_is_high_and_leaves_it_lost(db: Connection,
                                                           clock: Clock) -> None:
    m = monitor(db, clock)
    (alert,) = m.observe(LostCardUse(LIU, K2, "load"))
    assert (alert.rule, alert.severity, alert.details) == ("lost_card_use", "high",
                                                           {"action": "load"})
    assert not alert.card_blacklisted and status(db, LIU) == "lost" and audit_events(db) == []


# -- heartbeats that stop ---------------------------------------------------------------
def test_a_silent_kiosk_raises_one_alert_per_silence(db: Connection,
                                                     clock: Clock) -> None:
    m = monitor(db, clock, heartbeat_silence_s=300)
    seen = int(clock.now)
    run(db, "UPDATE kiosks SET last_seen_at = :t WHERE kiosk_id = :k", t=seen, k=KIOSK)
    clock.advance(299)
    assert m.sweep() == []
    clock.advance(2)
    (alert,) = m.sweep()
    assert (alert.rule, alert.subject, alert.details["last_seen_at"]) == (
        "heartbeat_stopped", KIOSK, seen)
    clock.advance(3600 * 3)
    assert m.sweep() == []  # the same silence: one alert
    m.observe(Heartbeat(KIOSK))
    resumed = SqlRiskStore(db).open_alert("heartbeat_stopped", KIOSK, 0)
    assert resumed is not None and resumed.details["resumed_at"] == int(clock.now)
    assert resumed.hits == 1
    run(db, "UPDATE kiosks SET last_seen_at = :t WHERE kiosk_id = :k", t=int(clock.now), k=KIOSK)
    clock.advance(301)
    (second,) = m.sweep()  # a new silence
    assert second.id != alert.id


def test_a_kiosk_that_never_sent_a_heartbeat_is_not_silent(db: Connection,
                                                           clock: Clock) -> None:
    clock.advance(10**6)
    assert monitor(db, clock).sweep() == []


# -- shared behaviour -------------------------------------------------------------------
def test_a_disabled_rule_raises_nothing(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, disabled=("lost_card_use",))
    assert m.observe(LostCardUse(LIU, KIOSK, "payment")) == []


def test_a_new_alert_after_the_realert_time(db: Connection, clock: Clock) -> None:
    m = monitor(db, clock, realert_after_s=600)
    first = m.observe(LostCardUse(LIU, KIOSK, "load"))[0]
    clock.advance(599)
    assert m.observe(LostCardUse(LIU, KIOSK, "load"))[0].id == first.id
    clock.advance(601)
    assert m.observe(LostCardUse(LIU, KIOSK, "load"))[0].id != first.id


def test_the_sweep_forgets_events_older_than_every_window(db: Connection,
                                                          clock: Clock) -> None:
    m = monitor(db, clock)
    m.observe(LoadCompleted(ZHANG, KIOSK, 100))
    clock.advance(86_400 + 1)
    m.observe(LoadCompleted(ZHANG, KIOSK, 100))
    m.sweep()
    assert scalar(db, "SELECT COUNT(*) FROM risk_events") == 1


# -- thresholds -------------------------------------------------------------------------
def test_bad_thresholds_are_all_reported_with_their_keys() -> None:
    with pytest.raises(RiskConfigError) as caught:
        parse_risk({"risk": {"load_hour_count": 0, "pin_failures": "five",
                             "auto_blacklist": "yes", "disabled": ["lost_card_uses"],
                             "heartbeat_silence": 60}}, file="risk.toml")
    problems = dict(caught.value.problems)
    assert set(problems) == {"risk.load_hour_count", "risk.pin_failures",
                             "risk.auto_blacklist", "risk.disabled", "risk.heartbeat_silence"}
    assert problems["risk.load_hour_count"] == "must be between 1 and 1000, not 0"
    assert "did you mean 'lost_card_use'" in problems["risk.disabled"]
    assert "did you mean 'heartbeat_silence_s'" in problems["risk.heartbeat_silence"]
    assert str(caught.value).startswith("risk.toml: ")


def test_thresholds_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(RiskConfigError, match=r"risk\.load_hour_count: must not exceed"):
        RiskSettings(load_hour_count=20, load_day_count=10)
    with pytest.raises(RiskConfigError, match=r"risk\.load_hour_fen: must not exceed"):
        RiskSettings(load_hour_fen=300_000)


def test_a_risk_file_is_read_and_a_broken_one_refused(tmp_path: Path) -> None:
    good = tmp_path / "risk.toml"
    good.write_text('[risk]\nload_hour_count = 3\ndisabled = ["heartbeat_stopped"]\n')
    read = load_risk(good)
    assert read.load_hour_count == 3 and not read.enabled("heartbeat_stopped")
    broken = tmp_path / "broken.toml"
    broken.write_text("[risk\n")
    with pytest.raises(RiskConfigError, match="not valid TOML"):
        load_risk(broken)
    with pytest.raises(RiskConfigError, match="unknown section"):
        parse_risk({"rsik": {}})
