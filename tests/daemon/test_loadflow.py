"""Loads driven by daemon.loadflow against the reference central server and the
virtual card through nfcpy: exactly once, across tears, lost links and restarts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.schema import CentralSection
from daemon.central import CentralClient, CentralRejected, CentralUnavailable
from daemon.loadflow import LoadFlow, NeedsCard
from daemon.orders import OrderStore
from hardware.card.nfc_device import SimulatedDevice
from tests.central.helpers import KIOSK, ZHANG, Central
from tests.daemon.flowkit import TERMINAL, Kit, make_kit


@pytest.fixture
def kit(tmp_path: Path, central: Central) -> Iterator[Kit]:
    k = make_kit(tmp_path, central)
    yield k
    k.close()


def _flow(kit: Kit, client: CentralClient | None = None) -> LoadFlow:
    return LoadFlow(kit.store, client or kit.client, kit.reader, terminal_id=TERMINAL)


def _central_loads(kit: Kit, order_ref: str) -> list[tuple[str, int]]:
    rows = kit.central.sql("SELECT kind, amount_fen FROM transactions WHERE order_id = ?",
                           order_ref)
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _card_loads(kit: Kit, amount: int) -> int:
    state = kit.sim.wallet.load(ZHANG)
    return sum(1 for r in state.records if r[10:18] == f"{amount:08X}" and r[18:20] == "02")


def test_a_load_completes_once_on_card_and_central(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=5000, session_id=None)
    done = _flow(kit).drive(order)
    assert done.state == "completed"
    assert done.facts["balance_after_fen"] == before + 5000
    assert kit.balance(ZHANG) == before + 5000
    assert _central_loads(kit, done.central_ref or "") == [("load", 5000)]
    steps = [r["step"] for r in kit.journal.query(
        "SELECT step FROM steps WHERE order_id = ? ORDER BY id", (order.id,))]
    assert steps == ["new", "created", "init", "mac2", "credit_sent", "credited", "completed"]
    assert _flow(kit).drive(done).state == "completed"  # driving a final order does nothing


@pytest.mark.parametrize("apdu", [1, 2])  # 1: INITIALIZE FOR LOAD, 2: CREDIT FOR LOAD
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_tear_at_each_apdu_ends_in_exactly_one_load(kit: Kit, apdu: int, when: str) -> None:
    card = kit.tap(ZHANG)
    before = card.balance_fen
    assert kit.sim.current is not None
    faults = kit.sim.current.faults
    n = kit.sim.current.commands + apdu
    if when == "before":
        faults.tear_before = n
    else:
        faults.tear_after = n
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=2000, session_id=None)
    flow = _flow(kit)
    with pytest.raises(NeedsCard):
        flow.drive(order)
    applied = apdu == 2 and when == "after"
    assert kit.balance(ZHANG) == before + (2000 if applied else 0)
    torn = kit.store.get(order.id)
    assert torn.state == ("credit_sent" if apdu == 2 else "created")

    kit.tap(ZHANG)  # the cardholder taps again
    done = flow.drive(kit.store.get(order.id))
    assert done.state == "completed"
    assert kit.balance(ZHANG) == before + 2000
    assert _card_loads(kit, 2000) == 1
    assert _central_loads(kit, done.central_ref or "") == [("load", 2000)]
    assert ("card_record" in done.facts) == applied  # settled from the card's own log


def test_link_down_at_create_leaves_the_order_new_then_it_completes(kit: Kit) -> None:
    dead = CentralClient(CentralSection(url="http://127.0.0.1:9", connect_timeout_s=0.2,
                                        read_timeout_s=0.5, retries=0),
                         kiosk_id=KIOSK, secret=kit.central.secret)
    before = kit.tap(ZHANG).balance_fen
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=1000, session_id=None)
    with pytest.raises(CentralUnavailable):
        _flow(kit, dead).drive(order)
    assert kit.store.get(order.id).state == "new"
    assert kit.balance(ZHANG) == before
    assert _flow(kit).drive(kit.store.get(order.id)).state == "completed"
    assert kit.balance(ZHANG) == before + 1000
    dead.close()


def test_the_load_window_journals_init_and_mac2_with_credit_sent(kit: Kit) -> None:
    """INITIALIZE's answer and the MAC2 are not journaled on their own: one write
    holds them and "CREDIT may be sent", before CREDIT goes to the card."""
    before = kit.tap(ZHANG).balance_fen
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=3000, session_id=None)
    flow = _flow(kit)
    order = flow._initialize(flow._create(order))
    order = flow._mac2(order)
    assert order.state == "mac2"
    assert kit.store.get(order.id).state == "created"  # nothing of the window durable yet
    credited = flow._credit(order)
    assert credited.state == "credited"
    steps = [r["step"] for r in kit.journal.query(
        "SELECT step FROM steps WHERE order_id = ? ORDER BY id", (order.id,))]
    assert steps == ["new", "created", "init", "mac2", "credit_sent", "credited"]
    assert kit.store.get(order.id).facts["mac2"] == order.facts["mac2"]
    assert kit.balance(ZHANG) == before + 3000


class _JournalAtCredit(SimulatedDevice):
    """A reader device that, as CREDIT FOR LOAD goes to the card, reads what the
    journal file holds through a connection of its own (committed data only)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.journal_path = path
        self.seen: list[tuple[str, str]] = []

    def send_cmd_recv_rsp(self, target: Any, data: bytes, timeout: float) -> bytearray:
        if bytes(data[1:3]) == b"\x80\x52":  # an I-block carrying CREDIT FOR LOAD
            with sqlite3.connect(self.journal_path) as db:
                self.seen = list(db.execute("SELECT step, detail FROM steps ORDER BY id"))
        return super().send_cmd_recv_rsp(target, data, timeout)


def test_the_mac2_is_durable_before_credit_reaches_the_card(
        tmp_path: Path, central: Central) -> None:
    device = _JournalAtCredit(tmp_path / "journal.sqlite")
    kit = make_kit(tmp_path, central, device=device)
    try:
        kit.tap(ZHANG)
        order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=2000, session_id=None)
        done = _flow(kit).drive(order)
        assert done.state == "completed"
        steps = [step for step, _ in device.seen]
        assert steps[-3:] == ["init", "mac2", "credit_sent"]  # nothing after, yet
        mac2 = json.loads(device.seen[-2][1])["mac2"]
        assert mac2 == done.facts["mac2"]
    finally:
        kit.close()


def test_a_restart_between_mac2_and_credit_starts_a_new_card_session(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=3000, session_id=None)
    flow = _flow(kit)
    order = flow._create(order)
    order = flow._initialize(order)
    order = flow._mac2(order)
    assert order.state == "mac2"
    # The daemon dies here, the MAC2 only staged: the new one finds the order
    # "created" and the card tapped anew, and asks for a new MAC2.
    kit.tap(ZHANG)
    fresh = LoadFlow(OrderStore(kit.journal), kit.client, kit.reader, terminal_id=TERMINAL)
    found = kit.store.get(order.id)
    assert found.state == "created"
    done = fresh.drive(found)
    assert done.state == "completed"
    assert kit.balance(ZHANG) == before + 3000
    assert _card_loads(kit, 3000) == 1
    assert _central_loads(kit, done.central_ref or "") == [("load", 3000)]


def test_a_mac2_that_arrives_after_a_new_tap_is_journaled_and_never_sent(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=3000, session_id=None)
    flow = _flow(kit)
    order = flow._mac2(flow._initialize(flow._create(order)))
    first_mac2 = order.facts["mac2"]
    kit.tap(ZHANG)  # the card left and came back while the MAC2 was on its way
    done = flow.drive(order)
    assert done.state == "completed"
    assert done.facts["restart"] == "new card session"
    steps = [(r["step"], r["detail"]) for r in kit.journal.query(
        "SELECT step, detail FROM steps WHERE order_id = ? ORDER BY id", (order.id,))]
    assert [s for s, _ in steps][:5] == ["new", "created", "init", "mac2", "created"]
    assert first_mac2 in steps[3][1] and done.facts["mac2"] != first_mac2
    assert kit.balance(ZHANG) == before + 3000
    assert _card_loads(kit, 3000) == 1


def test_a_card_with_a_bad_mac1_is_refused_and_nothing_moves(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    assert kit.sim.current is not None
    kit.sim.current.faults.wrong_mac = True
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=1000, session_id=None)
    with pytest.raises(CentralRejected) as err:
        _flow(kit).drive(order)
    assert err.value.code == "mac1_invalid"
    assert kit.store.get(order.id).state == "created"  # INITIALIZE's answer was only staged
    assert kit.balance(ZHANG) == before


def test_the_wrong_card_on_the_reader_is_not_loaded(kit: Kit) -> None:
    other = "03104440300000100025"
    before = kit.balance(other)
    kit.tap(other)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=1000, session_id=None)
    with pytest.raises(NeedsCard):
        _flow(kit).drive(order)
    assert kit.store.get(order.id).state == "created"
    assert kit.balance(other) == before


def test_hold_keeps_a_load_pending_but_never_one_already_on_the_card(kit: Kit) -> None:
    kit.tap(ZHANG)
    flow = _flow(kit)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=1000, session_id=None)
    order = flow._create(order)
    held = flow.hold(order, "walked_away")
    assert held.state == "pending" and held.facts["reason"] == "walked_away"
    pending = kit.central.client.get(f"/v1/cards/{ZHANG}/pending-loads").json()["pending_loads"]
    assert [p["order_id"] for p in pending] == [order.central_ref]
    credited = kit.store.create(kind="load", card_no=ZHANG, amount_fen=500, session_id=None)
    credited = kit.store.advance(credited, "credited", tac="00000000")
    assert flow.hold(credited, "walked_away").state == "credited"
