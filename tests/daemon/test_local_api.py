"""The local API over a real Unix socket: routes, errors, SSE with resume, the document."""

from __future__ import annotations

import grp
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from daemon.api.http import Router, UnixHttpServer
from daemon.api.routes import OPENAPI_PATH, Services, build_routers
from daemon.events import EventBus
from daemon.helpdesk import HelpDesk
from daemon.notices import NoticeBoard
from daemon.screenshot import ScreenshotDesk
from daemon.state import KioskState
from protocol.local import (
    CardView,
    CentralLink,
    Clock,
    Outbox,
    SessionView,
    StateSnapshot,
    Status,
)
from protocol.localclient import DaemonUnavailable, LocalApiError, LocalClient, _UnixConnection


class FakeSim:
    """The simulator surface the routes need, recording what was asked."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def tap(self, card_no: str) -> None:
        self.log.append(f"tap {card_no}")

    def remove(self) -> None:
        self.log.append("remove")

    def cards(self) -> list[str]:
        return ["03104440300000100017"]

    def insert(self, amount_fen: int, force: bool) -> dict[str, object]:
        if amount_fen % 100:
            raise ValueError(f"no pulse count gives {amount_fen} fen")
        self.log.append(f"insert {amount_fen} force={force}")
        return {"amount_fen": amount_fen, "accepted": force, "journaled": []}


class FakePrinting:
    def journaled(self, *, unprinted_only: bool = False) -> list[dict[str, object]]:
        return [{"id": "L1-topup", "kind": "topup" if unprinted_only else "statement",
                 "created_at": 1.0}]

    def reprint(self, row: str) -> dict[str, object]:
        if row != "L1-topup":
            raise KeyError(row)
        return {"reference": row, "printed": True}


class FakeAccount:
    """The account services the routes forward; the PIN itself never reaches the log."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def history(self, cursor: str | None, limit: int) -> dict[str, object]:
        self.log.append(f"history {cursor} {limit}")
        return {"items": [], "next_cursor": None}

    def statement(self, period: str, pin: str | None) -> dict[str, object]:
        self.log.append(f"statement {period} pin={'set' if pin else 'none'}")
        return {"reference": "ST1", "from": "2026-11-01", "to": "2026-11-30",
                "opening_balance_fen": 0, "closing_balance_fen": 0, "count": 0, "totals": {},
                "printed": True}

    def report_loss(self, card_no: str, pin: str | None, id_last6: str | None) -> dict[str, object]:
        self.log.append(f"loss {card_no[-4:]} pin={'set' if pin else 'none'} id={id_last6}")
        return {"report_no": "LR1", "status": "lost", "message": "m", "message_zh": "m",
                "printed": True}


class FakeSessions:
    """The session intents the routes forward, recording them (daemon.sessions has its own
    tests against the real parts)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def end(self) -> None:
        self.log.append("end")

    def maintenance(self, message: str | None) -> None:
        self.log.append(f"maintenance {message}")

    def start_topup(self) -> SessionView:
        self.log.append("topup")
        return SessionView("topup", "inserting", "x")

    def find_bill(self, utility: str, account_no: str) -> dict[str, str]:
        self.log.append(f"bill {utility} {account_no}")
        return SessionView("bill", "found", "x")

    def pay_bill(self, pin: str | None) -> dict[str, str]:
        self.log.append(f"pay pin={'set' if pin else 'none'}")
        return SessionView("bill", "found", "x")

    def still_here(self) -> None:
        self.log.append("still here")


STATUS = Status(kiosk_id="K1", version="0", simulate=True, uptime_s=1.0, screen="attract",
                maintenance=None, devices={}, config=None, outbox=Outbox(depth=0),
                central=CentralLink(url="http://central", link="up"),
                clock=Clock(state="unknown", skew_s=None, measured_at=None, refused=False,
                            window_s=300))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocalClient, LocalClient, Services, FakeSim]]:
    bus = EventBus(keep=5)
    state = KioskState(bus, language="zh")
    sim = FakeSim()
    svc = Services(state=state, bus=bus, status=lambda: STATUS,
                   read_card=lambda timeout: None, simulator=sim,
                   printer_test=lambda: {"reference": "T1", "printed": True},
                   cash_insert=sim.insert, sessions=FakeSessions(sim.log),
                   account=FakeAccount(sim.log), cashbox=lambda: {"short_fen": 0},
                   collect=lambda operator: {"operator": operator},
                   printing=FakePrinting(),
                   settle=lambda day: {"report": "Z", "business_date": day.isoformat()},
                   x_report=lambda day: {"report": "X", "business_date": day.isoformat()},
                   export=lambda since, until: {"since": since, "until": until},
                   audit=lambda since, until: {"since": since, "until": None, "sessions": [],
                                                "totals": {}, "cash_counts": {}, "holds": True},
                   crash_after=lambda step: sim.log.append(f"crash after {step}"),
                   screenshots=ScreenshotDesk(bus),
                   notices=NoticeBoard(state),
                   help=HelpDesk(hotline="12345", cache=tmp_path / "help.json").document)
    kiosk_router, admin_router = build_routers(svc)
    servers = [UnixHttpServer(tmp_path / "kiosk.sock", kiosk_router, mode=0o660, name="kiosk"),
               UnixHttpServer(tmp_path / "admin.sock", admin_router, mode=0o600, name="admin")]
    for s in servers:
        s.start()
    yield (LocalClient(tmp_path / "kiosk.sock", timeout=5),
           LocalClient(tmp_path / "admin.sock", timeout=5), svc, sim)
    for s in servers:
        s.close()


def test_sockets_have_the_configured_modes(served: Any, tmp_path: Path) -> None:
    assert stat.S_IMODE((tmp_path / "kiosk.sock").stat().st_mode) == 0o660
    assert stat.S_IMODE((tmp_path / "admin.sock").stat().st_mode) == 0o600
    assert stat.S_ISSOCK((tmp_path / "kiosk.sock").stat().st_mode)


def _other_group() -> grp.struct_group | None:
    """A group this process may give a file to, other than its own."""
    if os.geteuid() == 0:
        return next((g for g in grp.getgrall() if g.gr_gid != os.getgid()), None)
    return next((grp.getgrgid(g) for g in os.getgroups() if g != os.getgid()), None)


def test_a_socket_is_given_its_configured_group(tmp_path: Path) -> None:
    group = _other_group()
    if group is None:
        pytest.skip("this process belongs to one group only")
    server = UnixHttpServer(tmp_path / "kiosk.sock", Router(), mode=0o660, name="kiosk",
                            group=group.gr_name)
    try:
        assert (tmp_path / "kiosk.sock").stat().st_gid == group.gr_gid
    finally:
        server.server_close()


def test_an_unknown_socket_group_stops_start_up_and_leaves_no_socket(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="no group 'citycard-nosuch'"):
        UnixHttpServer(tmp_path / "kiosk.sock", Router(), mode=0o660, name="kiosk",
                       group="citycard-nosuch")
    assert not (tmp_path / "kiosk.sock").exists()


def test_state_and_language(served: Any) -> None:
    kiosk, _, _, _ = served
    assert kiosk.state() == StateSnapshot(seq=0, screen="attract", language="zh")
    after = kiosk.post("/v1/language", {"language": "en"})
    assert after["language"] == "en" and after["seq"] == 1
    assert kiosk.state().language == "en"


def test_bad_input_gets_the_error_shape_and_changes_nothing(served: Any) -> None:
    kiosk, _, _, _ = served
    for body, code in (({"language": "fr"}, "bad_language"), ({"language": 3}, "bad_request")):
        with pytest.raises(LocalApiError) as info:
            kiosk.post("/v1/language", body)
        assert (info.value.status, info.value.code) == (400, code)
        assert info.value.message_zh
    with pytest.raises(LocalApiError) as info:
        kiosk.get("/v1/nothing")
    assert info.value.status == 404
    with pytest.raises(LocalApiError) as info:
        kiosk.get("/v1/language")
    assert info.value.status == 405
    assert kiosk.state().seq == 0


def test_cardholder_socket_has_no_operator_or_sim_routes(served: Any) -> None:
    kiosk, admin, _, sim = served
    for path in ("/v1/admin/status", "/v1/sim/cards"):
        with pytest.raises(LocalApiError) as info:
            kiosk.get(path)
        assert info.value.status == 404
    with pytest.raises(LocalApiError):
        kiosk.post("/v1/sim/tap", {"card_no": "03104440300000100017"})
    assert sim.log == []
    assert admin.status() == STATUS
    admin.post("/v1/sim/tap", {"card_no": "03104440300000100017"})
    with pytest.raises(LocalApiError) as info:
        admin.post("/v1/sim/tap", {"card_no": "99"})
    assert info.value.code == "unknown_sim_card"
    assert sim.log == ["tap 03104440300000100017"]


def test_admin_card_read_times_out_with_408(served: Any) -> None:
    _, admin, _, _ = served
    with pytest.raises(LocalApiError) as info:
        admin.post("/v1/admin/card/read", {"timeout_s": 1})
    assert (info.value.status, info.value.code) == (408, "no_card")


def test_events_start_with_a_snapshot_then_follow(served: Any) -> None:
    kiosk, _, svc, _ = served
    stream = kiosk.events()
    first = next(stream)
    assert first.type == "state" and first.data["screen"] == "attract"
    card = CardView(card_no_masked="3104 **** **** 0017", card_type="ordinary",
                    balance_fen=8650, valid_from="2023-01-01", valid_until="2033-12-31",
                    status="active")
    threading.Timer(0.1, lambda: svc.state.update(screen="card", card=card)).start()
    second = next(stream)
    assert second.type == "state"
    assert second.state is not None and second.state.card == card
    stream.close()


def test_events_resume_from_last_id_or_fall_back_to_a_snapshot(served: Any) -> None:
    kiosk, _, svc, _ = served
    for lang in ("en", "zh", "en"):
        svc.state.update(language=lang)
    last = svc.bus.last_id
    resumed = kiosk.events(last_event_id=last - 2)
    got = [next(resumed), next(resumed)]
    resumed.close()
    assert [e.id for e in got] == [last - 1, last]
    for lang in ("zh", "en", "zh", "en", "zh", "en"):  # the buffer keeps 5
        svc.state.update(language=lang)
    stale = kiosk.events(last_event_id=last - 2)
    snap = next(stale)
    stale.close()
    assert snap.type == "state" and snap.id == svc.bus.last_id
    assert snap.data["seq"] == svc.state.snapshot().seq


def test_no_daemon_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DaemonUnavailable, match="no daemon"):
        LocalClient(tmp_path / "absent.sock").state()


def test_document_and_routes_agree(served: Any) -> None:
    _, admin, svc, _ = served
    doc = json.loads(OPENAPI_PATH.read_text())
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    _, admin_router = build_routers(svc)
    routed = {(r.method, r.pattern) for r in admin_router.routes}
    assert routed == documented
    assert admin.get("/openapi.json") == doc
    linked = Path(__file__).parents[2] / "docs" / "local-api.json"
    assert linked.resolve() == OPENAPI_PATH.resolve()


def test_sim_insert_passes_amount_and_force_and_refuses_odd_amounts(served: Any) -> None:
    _, admin, _, sim = served
    assert admin.post("/v1/sim/insert", {"amount_fen": 5000, "force": True})["accepted"] is True
    assert admin.post("/v1/sim/insert", {"amount_fen": 500})["accepted"] is False
    assert sim.log == ["insert 5000 force=True", "insert 500 force=False"]
    for body, code in (({"amount_fen": 5050}, "bad_amount"), ({"amount_fen": "50"}, "bad_request"),
                       ({}, "bad_request")):
        with pytest.raises(LocalApiError) as err:
            admin.post("/v1/sim/insert", body)
        assert err.value.code == code
    assert len(sim.log) == 2


def test_bill_lookup_checks_its_input_before_the_session_sees_it(served: Any) -> None:
    kiosk, _, _, sim = served
    kiosk.post("/v1/bills/lookup", {"utility": "water", "account_no": "100004"})
    for body, code in (({"utility": "coal", "account_no": "100004"}, "bad_utility"),
                       ({"utility": "water", "account_no": "12ab56"}, "bad_account_no"),
                       ({"utility": "water", "account_no": "123"}, "bad_account_no"),
                       ({"utility": "water", "account_no": "１００００４"}, "bad_account_no"),
                       ({"utility": "water"}, "bad_request")):
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/bills/lookup", body)
        assert err.value.code == code
    kiosk.post("/v1/bills/pay", {"pin": "147258"})
    for pin in ("１４７２５８", "14725", "14725a"):
        with pytest.raises(LocalApiError) as err:
            kiosk.post("/v1/bills/pay", {"pin": pin})
        assert err.value.code == "bad_pin"
    assert sim.log == ["bill water 100004", "pay pin=set"]


def test_audit_period_must_be_numbers(served: Any) -> None:
    _, admin, _, _ = served
    assert admin.get("/v1/admin/audit?since=100")["since"] == 100.0
    with pytest.raises(LocalApiError) as err:
        admin.get("/v1/admin/audit?since=yesterday")
    assert err.value.code == "bad_period"


def test_history_paging_and_loss_report_arguments(served: Any) -> None:
    kiosk, _, _, sim = served
    kiosk.get("/v1/history?cursor=abc&limit=5")
    kiosk.post("/v1/loss-report", {"card_no": "03104440300000100017", "id_last6": "100017"})
    assert sim.log == ["history abc 5", "loss 0017 pin=none id=100017"]
    for path in ("/v1/history?limit=0", "/v1/history?limit=x"):
        with pytest.raises(LocalApiError) as err:
            kiosk.get(path)
        assert err.value.code == "bad_limit"
    for cursor in ("abc%26limit%3D3", "a%20b", "x" * 65, "%EF%BC%91"):
        with pytest.raises(LocalApiError) as err:
            kiosk.get(f"/v1/history?cursor={cursor}")
        assert err.value.code == "bad_cursor"
    assert sim.log == ["history abc 5", "loss 0017 pin=none id=100017"]


def test_statement_forwards_the_payment_password(served: Any) -> None:
    kiosk, _, _, sim = served
    kiosk.post("/v1/statement", {"period": "this_month", "pin": "147258"})
    kiosk.post("/v1/statement", {"period": "last_month"})
    assert sim.log == ["statement this_month pin=set", "statement last_month pin=none"]
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/statement", {"period": "this_month", "pin": 147258})
    assert err.value.code == "bad_request"


def test_cashbox_collect_needs_an_operator(served: Any) -> None:
    _, admin, _, _ = served
    assert admin.post("/v1/admin/cashbox/collect", {"operator": " Li "}) == {"operator": "Li"}
    for body in ({}, {"operator": "  "}, {"operator": "x" * 41}):
        with pytest.raises(LocalApiError):
            admin.post("/v1/admin/cashbox/collect", body)


@pytest.mark.parametrize("operator", ["Li\u0085Lei", "Li\x00", "Li\nLei", "op\x1bp",
                                      "Li\u202eieL", "Li\u200bLei"])
def test_cashbox_collect_refuses_an_operator_with_control_characters(
        served: Any, operator: str) -> None:
    _, admin, _, _ = served
    with pytest.raises(LocalApiError) as err:
        admin.post("/v1/admin/cashbox/collect", {"operator": operator})
    assert (err.value.status, err.value.code) == (400, "bad_operator")
    assert "control" in err.value.message and "控制字符" in err.value.message_zh


def test_receipts_list_and_reprint(served: Any) -> None:
    _, admin, _, _ = served
    assert admin.get("/v1/admin/receipts?unprinted=1")["receipts"][0]["kind"] == "topup"
    assert admin.get("/v1/admin/receipts")["receipts"][0]["kind"] == "statement"
    assert admin.post("/v1/admin/receipts/reprint", {"id": "L1-topup"})["printed"] is True
    with pytest.raises(LocalApiError) as err:
        admin.post("/v1/admin/receipts/reprint", {"id": "nope"})
    assert err.value.code == "receipt_unknown"


def test_settlement_date_is_checked(served: Any) -> None:
    _, admin, _, _ = served
    assert admin.post("/v1/admin/settlement", {"date": "2026-11-01"}) == \
        {"report": "Z", "business_date": "2026-11-01"}
    assert admin.get("/v1/admin/settlement?date=2026-11-01") == \
        {"report": "X", "business_date": "2026-11-01"}
    assert admin.get("/v1/admin/settlement")["business_date"] == date.today().isoformat()
    for bad in ("yesterday", "2999-01-01"):
        with pytest.raises(LocalApiError) as err:
            admin.post("/v1/admin/settlement", {"date": bad})
        assert err.value.code == "bad_date"
        with pytest.raises(LocalApiError) as err:
            admin.get(f"/v1/admin/settlement?date={bad}")
        assert err.value.code == "bad_date"


def _raw(sock: Path, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = _UnixConnection(sock, 5)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "OPTIONS", "DELETE"])
def test_an_unsupported_method_is_405_in_the_error_shape_with_allow(
        served: Any, tmp_path: Path, method: str) -> None:
    status, headers, body = _raw(tmp_path / "kiosk.sock", method, "/v1/language")
    assert status == 405
    assert headers["Allow"] == "POST"
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert set(error) == {"code", "message", "message_zh", "details"}
    assert error["code"] == "method_not_allowed" and error["details"] == {"allowed": ["POST"]}


def test_a_known_method_on_the_wrong_path_names_the_allowed_ones(served: Any,
                                                                tmp_path: Path) -> None:
    status, headers, body = _raw(tmp_path / "kiosk.sock", "POST", "/v1/state")
    assert (status, headers["Allow"], json.loads(body)["code"]) == \
        (405, "GET", "method_not_allowed")
    status, _, body = _raw(tmp_path / "kiosk.sock", "TRACE", "/v1/nothing")
    assert (status, json.loads(body)["code"]) == (404, "not_found")


def test_an_answer_cut_short_is_daemon_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "short.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def answer_half() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"seq\": 1")
        conn.close()

    threading.Thread(target=answer_half, daemon=True).start()
    try:
        with pytest.raises(DaemonUnavailable):
            LocalClient(path, timeout=5).get("/v1/state")
    finally:
        listener.close()


def test_the_keep_alive_reaches_the_sessions(served: Any) -> None:
    kiosk, _, _, sim = served
    assert kiosk.post("/v1/still-here") == {"ok": True}
    assert sim.log == ["still here"]


def test_notices_are_served_and_in_the_snapshot(served: Any) -> None:
    kiosk, _, svc, _ = served
    assert kiosk.get("/v1/notices") == {"notices": []}
    svc.notices.replace({"notices": [{
        "notice_id": 7, "kind": "maintenance", "title": "Top-up paused",
        "title_zh": "暂停充值", "body": "Upgrade.", "body_zh": "升级。",
        "starts_at": "2000-01-01T01:00:00+08:00", "ends_at": "2999-01-01T03:00:00+08:00"}]})
    (notice,) = kiosk.get("/v1/notices")["notices"]
    assert notice["notice_id"] == 7 and notice["active"] is True
    assert "topup" in notice["touches"]
    snap = kiosk.state()
    assert snap.notices[0].title_zh == "暂停充值"


def test_help_is_served_with_the_hotline_filled_in(served: Any) -> None:
    kiosk, _, _, _ = served
    doc = kiosk.get("/v1/help")
    assert doc["source"] == "default" and doc["hotline"] == "12345"
    assert "12345" in next(s["body_zh"] for s in doc["sections"] if s["id"] == "hotline")
