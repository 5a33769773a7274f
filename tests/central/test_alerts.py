"""Risk alerts through the real HTTP server: routes feed the monitor, the admin route
lists what it raised, and bad requests to that route change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from central.auth import register_kiosk
from central.cli import main
from central.db import connect
from central.risk import Alert, Monitor, RiskSettings
from central.server import App
from central.settings import Settings
from tests.central.card import EPurse
from tests.central.helpers import (
    KIOSK,
    LIU,
    TERMINAL,
    ZHANG,
    Central,
    Clock,
    error_of,
    new_key,
    pin_block,
)

TOKEN = b"a-test-admin-token-0123456789abcdef"
K2 = "KIOSK-DEV-0002"


def admin_get(central: Central, query: str = "", token: bytes | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token.decode()}"} if token else {}
    return requests.get(f"{central.url}/v1/admin/alerts{query}", headers=headers, timeout=10)


def alerts(central: Central, query: str = "") -> list[dict[str, Any]]:
    resp = admin_get(central, query)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["alerts"])


def load(central: Central, card: EPurse, amount: int, *, torn: bool = False) -> None:
    client = central.client
    order = client.post("/v1/load-orders", {"card_no": card.card_no, "amount_fen": amount,
                                            "terminal_id": TERMINAL}, key=new_key("c"))
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    issued = client.post(f"/v1/load-orders/{order_id}/mac2",
                         {"init_response": card.init_load(amount, TERMINAL).hex()},
                         key=new_key("m")).json()
    tac = card.credit_load(issued["host_date"], issued["host_time"], issued["mac2"])
    evidence = {"card_record": card.log[0].hex()} if torn else {"tac": tac.hex()}
    done = client.post(f"/v1/load-orders/{order_id}/confirm", evidence, key=new_key("f"))
    assert done.json()["status"] == "completed", done.text


@pytest.fixture
def watched(start_central: Callable[..., Central]) -> tuple[Central, Clock]:
    clock = Clock()
    central = start_central(Settings(admin_token=TOKEN, risk=RiskSettings(
        load_hour_count=2, load_day_count=10, pin_failures=3, pin_kiosks=2,
        tear_count=2, heartbeat_silence_s=60)), clock=clock)
    conn = connect(central.db)
    register_kiosk(conn, K2, central.secret)  # the same PIN key, so one pin_block serves both
    conn.close()
    return central, clock


def test_every_rule_raises_its_alert_through_the_server(watched: tuple[Central, Clock],
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    central, clock = watched
    other = central.another_client(K2)
    # load velocity: the second load within the hour; the tear of the second is counted too
    card = EPurse(ZHANG, balance=8650, online_ctr=3)
    load(central, card, 1000)
    assert alerts(central) == []
    load(central, card, 1000, torn=True)
    (velocity,) = alerts(central)
    assert (velocity["rule"], velocity["severity"], velocity["subject"]) == (
        "load_velocity_hour", "medium", ZHANG)
    assert velocity["details"]["loads"] == 2 and velocity["details"]["loaded_fen"] == 2000
    # refund: a load cancelled because its cash went back; with the tear, two on one card
    order = central.client.post("/v1/load-orders", {"card_no": ZHANG, "amount_fen": 500,
                                                    "terminal_id": TERMINAL}, key=new_key("c"))
    cancelled = central.client.post(f"/v1/load-orders/{order.json()['order_id']}/cancel",
                                    {"reason": "cash_refunded"}, key=new_key("x"))
    assert cancelled.json()["status"] == "cancelled"
    (tears,) = alerts(central, "?rule=tears_refunds")
    assert tears["details"]["tears_and_refunds"] == 2 and tears["details"]["refunded_fen"] == 500
    # a settlement that owes a customer cash back
    event = {"event_id": "z-1", "kind": "settlement", "occurred_at": "2026-12-02T20:00:00+08:00",
             "data": {"reference": "Z20261202-1", "loads_owed": [1, 5000]}}
    assert other.post("/v1/kiosk/events", {"events": [event]}).json()["accepted"] == 1
    (owed,) = alerts(central, "?rule=kiosk_cash_owed")
    assert (owed["subject_kind"], owed["subject"], owed["details"]["owed_fen"]) == (
        "kiosk", K2, 5000)
    # a lost card tried for a load: refused, and the refusal's alert is kept
    refused = central.client.post("/v1/load-orders", {"card_no": LIU, "amount_fen": 100,
                                                      "terminal_id": TERMINAL}, key=new_key("c"))
    error_of(refused, 409, "card_lost")
    (lost,) = alerts(central, "?rule=lost_card_use")
    assert lost["severity"] == "high" and lost["details"] == {"action": "load"}
    # payment-password guesses moving between kiosks: the card is blacklisted pending review
    for client, pin in ((central.client, "999999"), (central.client, "999998"),
                        (other, "999997")):
        resp = client.post(f"/v1/cards/{ZHANG}/pin/verify",
                           {"pin_block": pin_block(central, pin, ZHANG)})
        assert resp.status_code in (422, 423), resp.text
    (guessed,) = alerts(central, "?rule=pin_failures")
    assert guessed["card_blacklisted"] and guessed["details"]["kiosks"] == [KIOSK, K2]
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["status"] == "blacklisted"
    (audit,) = central.sql("SELECT actor, action, subject, details FROM audit_events")
    assert tuple(audit)[:3] == ("risk-monitor", "card_blacklisted", ZHANG)
    assert json.loads(audit["details"])["alert_id"] == guessed["id"]
    # heartbeats that stop: the server's sweep on its clock
    assert central.client.post("/v1/kiosk/heartbeat", {"software_version": "1",
                                                       "state": "idle"}).status_code == 200
    clock.advance(61)
    assert central.server.app.sweep_risk()[0].rule == "heartbeat_stopped"

    listed = alerts(central)
    assert {a["rule"] for a in listed} == {
        "load_velocity_hour", "tears_refunds", "kiosk_cash_owed", "lost_card_use",
        "pin_failures", "heartbeat_stopped"}
    assert [a["id"] for a in listed] == sorted((a["id"] for a in listed), reverse=True)
    assert {a["rule"] for a in alerts(central, "?severity=high")} == {
        "lost_card_use", "pin_failures"}
    assert [a["rule"] for a in alerts(central, f"?card_no={LIU}")] == ["lost_card_use"]
    first = admin_get(central, "?limit=2").json()
    assert len(first["alerts"]) == 2 and first["next_before_id"] == first["alerts"][1]["id"]
    rest = alerts(central, f"?before_id={first['next_before_id']}")
    assert [a["id"] for a in first["alerts"] + rest] == [a["id"] for a in listed]
    assert alerts(central, "?since=4000000000") == []

    # the console lists the same alerts: JSON in full, lines with card numbers masked
    assert main(["--log-level", "ERROR", "alerts", *central.db_args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == listed
    assert main(["--log-level", "ERROR", "alerts", *central.db_args,
                 "--rule", "pin_failures"]) == 0
    line = capsys.readouterr().out
    assert "pin_failures" in line and "BLACKLISTED" in line
    # the serial, masked: the centre's consoles speak serials
    assert ZHANG not in line and "0310****0017" in line


def test_the_server_sweeps_for_silent_kiosks_on_its_own(
        start_central: Callable[..., Central]) -> None:
    clock = Clock()
    central = start_central(Settings(admin_token=TOKEN, risk=RiskSettings(
        heartbeat_silence_s=60, sweep_every_s=1)), clock=clock)
    assert central.client.post("/v1/kiosk/heartbeat", {"software_version": "1",
                                                       "state": "idle"}).status_code == 200
    clock.advance(61)
    deadline = time.monotonic() + 10  # the sweep runs on the server's loop, once a second
    while not (found := alerts(central)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(a["rule"], a["subject"]) for a in found] == [("heartbeat_stopped", KIOSK)]


def test_one_worker_of_a_server_sweeps_each_period(
        fresh_database: Callable[[], Path | str], monkeypatch: pytest.MonkeyPatch) -> None:
    # `serve --workers 2`: two apps on one database, each with its sweep timer; the
    # clock stands still, so one period never ends and one sweep is all there may be
    # (each worker swept on its own timer before: two at once, then more)
    database, clock = fresh_database(), Clock()
    swept: list[float] = []
    real_sweep = Monitor.sweep

    def counted(self: Monitor) -> list[Alert]:
        swept.append(time.monotonic())
        return real_sweep(self)

    monkeypatch.setattr(Monitor, "sweep", counted)
    settings = Settings(risk=RiskSettings(sweep_every_s=2))
    workers = [App(database, settings, clock=clock) for _ in range(2)]
    try:
        for worker in workers:
            worker.start_sweeping()
        time.sleep(3)  # each timer fired at start and once more
        assert len(swept) == 1
        # the period ends: the first worker to ask sweeps, the other finds it done
        clock.advance(2)
        assert workers[1].sweep_risk_if_due() == []
        assert workers[0].sweep_risk_if_due() is None
        clock.advance(1)
        assert workers[0].sweep_risk_if_due() is None
        # a clock set back does not stop the sweeps until it catches up
        clock.advance(-3600)
        assert workers[0].sweep_risk_if_due() == []
        assert len(swept) == 3
    finally:
        for worker in workers:
            worker.close()


def test_a_fault_in_the_monitor_does_not_cost_the_request(watched: tuple[Central, Clock]
                                                          ) -> None:
    central, _ = watched
    central.sql("DROP TABLE risk_events")
    load(central, EPurse(ZHANG, balance=0, online_ctr=1), 1000)
    assert central.sql("SELECT status FROM orders")[0][0] == "completed"


def test_the_admin_route_needs_the_admin_token(start_central: Callable[..., Central],
                                               watched: tuple[Central, Clock]) -> None:
    central, _ = watched
    assert error_of(admin_get(central, token=None), 401, "unauthorized")["reason"] == \
        "missing_auth"
    assert error_of(admin_get(central, token=b"wrong-token-wrong-token"), 401,
                    "unauthorized")["reason"] == "bad_token"
    # a kiosk's signature is not an admin's credential
    assert error_of(central.client.get("/v1/admin/alerts"), 401,
                    "unauthorized")["reason"] == "missing_auth"
    plain = start_central()
    assert error_of(admin_get(plain), 401, "unauthorized")["reason"] == "admin_disabled"


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=501", "limit"), ("?limit=ten", "limit"),
    ("?rule=velocity", "rule"), ("?severity=low", "severity"), ("?since=-1", "since"),
    ("?since=yesterday", "since"), ("?card_no=3104", "card_no"),
    ("?kiosk_id=%20bad", "kiosk_id"), ("?before_id=0", "before_id"),
])
def test_bad_query_parameters_are_refused_with_their_field(
        watched: tuple[Central, Clock], query: str, field: str) -> None:
    central, _ = watched
    before = central.sql("SELECT COUNT(*) FROM alerts")[0][0]
    assert error_of(admin_get(central, query), 400, "validation_error")["field"] == field
    assert central.sql("SELECT COUNT(*) FROM alerts")[0][0] == before
