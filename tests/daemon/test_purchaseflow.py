"""Bill payments driven by daemon.purchaseflow against the reference central server
and the virtual card through nfcpy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.central import CentralRejected
from daemon.flow import NeedsCard
from daemon.purchaseflow import PurchaseFlow
from hardware.card.errors import InsufficientFunds
from tests.central.helpers import DEMO_PIN, WANG, ZHANG, Central, pin_block
from tests.daemon.flowkit import TERMINAL, Kit, make_kit


@pytest.fixture
def kit(tmp_path: Path, central: Central) -> Iterator[Kit]:
    k = make_kit(tmp_path, central)
    yield k
    k.close()


def _flow(kit: Kit) -> PurchaseFlow:
    return PurchaseFlow(kit.store, kit.client, kit.reader, terminal_id=TERMINAL)


def _bill(kit: Kit, utility: str, account: str) -> dict:  # type: ignore[type-arg]
    reply = kit.client.request("GET", f"/v1/bills?utility={utility}&account_no={account}")
    assert isinstance(reply, dict)
    return reply


def _order(kit: Kit, bill: dict, card_no: str = ZHANG):  # type: ignore[no-untyped-def,type-arg]
    return kit.store.create(kind="purchase", card_no=card_no, amount_fen=bill["amount_due_fen"],
                            session_id=None, facts={"bill_id": bill["bill_id"]})


def _bill_status(kit: Kit, bill_id: str) -> str:
    return str(kit.central.sql("SELECT status FROM bills WHERE bill_id = ?", bill_id)[0][0])


def test_a_water_bill_is_paid_once_from_the_card(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    bill = _bill(kit, "water", "100001")
    done = _flow(kit).drive(_order(kit, bill))
    assert done.state == "completed"
    assert done.facts["balance_after_fen"] == before - 4560 == kit.balance(ZHANG)
    assert _bill_status(kit, bill["bill_id"]) == "paid"
    with pytest.raises(CentralRejected) as err:  # the same bill again: a clear refusal
        _flow(kit).drive(_order(kit, bill))
    assert err.value.code == "bill_already_paid"
    assert kit.balance(ZHANG) == before - 4560


@pytest.mark.parametrize("apdu", [1, 2])  # 1: INITIALIZE FOR PURCHASE, 2: DEBIT FOR PURCHASE
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_tear_at_each_apdu_pays_exactly_once(kit: Kit, apdu: int, when: str) -> None:
    before = kit.tap(ZHANG).balance_fen
    assert kit.sim.current is not None
    n = kit.sim.current.commands + apdu
    setattr(kit.sim.current.faults, f"tear_{when}", n)
    bill = _bill(kit, "water", "100001")
    order = _order(kit, bill)
    flow = _flow(kit)
    with pytest.raises(NeedsCard):
        flow.drive(order)
    applied = apdu == 2 and when == "after"
    assert kit.balance(ZHANG) == before - (4560 if applied else 0)
    kit.tap(ZHANG)
    done = flow.drive(kit.store.get(order.id))
    assert done.state == "completed"
    assert kit.balance(ZHANG) == before - 4560
    assert ("card_record" in done.facts) == applied
    assert _bill_status(kit, bill["bill_id"]) == "paid"


def test_over_the_threshold_the_payment_password_is_needed(kit: Kit) -> None:
    before = kit.tap(ZHANG).balance_fen
    assert before >= 0
    kit.sim.wallet.save(_with_balance(kit, ZHANG, 50000))
    kit.tap(ZHANG)
    bill = _bill(kit, "electricity", "200002")
    flow = _flow(kit)
    order = _order(kit, bill)
    with pytest.raises(CentralRejected) as err:
        flow.drive(order)
    assert err.value.code == "pin_required"
    wrong = _order(kit, bill)
    flow.with_pin_block(wrong, pin_block(kit.central, "000000", ZHANG))
    with pytest.raises(CentralRejected) as err:
        flow.drive(wrong)
    assert err.value.code == "pin_wrong"
    right = _order(kit, bill)
    flow.with_pin_block(right, pin_block(kit.central, DEMO_PIN, ZHANG))
    assert flow.drive(right).state == "completed"
    assert kit.balance(ZHANG) == 50000 - 23680
    steps = kit.journal.query("SELECT detail FROM steps WHERE order_id = ?", (right.id,))
    assert all("pin" not in s["detail"] for s in steps)  # never journaled


def test_too_little_on_the_card_is_refused_and_the_order_given_up(kit: Kit) -> None:
    kit.tap(WANG)  # balance 0
    bill = _bill(kit, "water", "100001")
    flow = _flow(kit)
    order = _order(kit, bill, card_no=WANG)
    with pytest.raises(InsufficientFunds):  # the card itself says 9401
        flow.drive(order)
    assert kit.store.get(order.id).state == "created"
    given_up = flow.give_up(kit.store.get(order.id), "insufficient balance")
    assert given_up.state == "cancelled"
    status = kit.central.sql("SELECT status FROM orders WHERE order_id = ?", given_up.central_ref)
    assert status[0][0] == "cancelled"
    assert _bill_status(kit, bill["bill_id"]) == "unpaid"


def _with_balance(kit: Kit, card_no: str, fen: int):  # type: ignore[no-untyped-def]
    state = kit.sim.wallet.load(card_no)
    state.balance_fen = fen
    return state
