"""The central server against the product's virtual card, over the real nfcpy path.

The other central tests use ``tests/central/card.py``, an independent card model
written out byte by byte so a layout mistake fails them. Here the card is the
one ``kioskd --simulate`` taps (hardware.card: VirtualCard under ISO-DEP under
a fake nfcpy driver, read by the production CardReader), so the load and
purchase flows are proven between the two parts of the product that must
agree in the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.card.epurse import EPurse
from tests.central.helpers import TERMINAL, ZHANG, Central, new_key
from tests.daemon.flowkit import Kit, make_kit


@pytest.fixture
def kit(tmp_path: Path, central: Central) -> Iterator[Kit]:
    k = make_kit(tmp_path, central)
    yield k
    k.close()


def test_load_flow_with_the_virtual_card(central: Central, kit: Kit) -> None:
    sim, reader = kit.sim, kit.reader
    terminal = bytes.fromhex(TERMINAL)
    before = kit.tap(ZHANG).balance_fen
    order = central.client.post("/v1/load-orders", {
        "card_no": ZHANG, "amount_fen": 5000, "terminal_id": TERMINAL, "balance_fen": before},
        key=new_key("create"))
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]

    init = reader.submit(lambda purse: purse.init_load(5000, terminal))
    assert init.balance_fen == before
    issued = central.client.post(f"/v1/load-orders/{order_id}/mac2",
                                 {"init_response": init.raw.hex()}, key=new_key("mac2"))
    assert issued.status_code == 200, issued.text  # central accepted the card's MAC1
    o = issued.json()
    day, clock = bytes.fromhex(o["host_date"]), bytes.fromhex(o["host_time"])
    tac = reader.submit(lambda purse: purse.credit_load(day, clock, bytes.fromhex(o["mac2"])))
    assert sim.wallet.load(ZHANG).balance_fen == before + 5000  # the card took MAC2

    key = new_key("confirm")
    done = central.client.post(f"/v1/load-orders/{order_id}/confirm", {"tac": tac.hex()}, key=key)
    assert done.status_code == 200, done.text  # central accepted the card's TAC
    assert done.json()["status"] == "completed"
    assert done.json()["balance_after_fen"] == before + 5000
    again = central.client.post(f"/v1/load-orders/{order_id}/confirm", {"tac": tac.hex()},
                                key=key)
    assert again.status_code == 200 and again.json() == done.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    rows = central.sql("SELECT kind, amount_fen FROM transactions WHERE order_id = ?", order_id)
    assert [tuple(r) for r in rows] == [("load", 5000)]
    assert sim.wallet.load(ZHANG).balance_fen == before + 5000  # and the card once only

    # The card's log now holds the load, which is what settles a tear.
    def applied(purse: EPurse) -> bool:
        return purse.was_applied(amount_fen=5000, terminal=terminal, date=day, time=clock)
    assert reader.submit(applied) is True


def test_bill_payment_with_the_virtual_card(central: Central, kit: Kit) -> None:
    sim, reader = kit.sim, kit.reader
    terminal = bytes.fromhex(TERMINAL)
    before = kit.tap(ZHANG).balance_fen
    bill = central.client.get("/v1/bills?utility=water&account_no=100001").json()
    amount = bill["amount_due_fen"]
    assert amount == 4560
    created = central.client.post("/v1/purchase-orders", {
        "card_no": ZHANG, "bill_id": bill["bill_id"], "amount_fen": amount,
        "terminal_id": TERMINAL}, key=new_key("po"))
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    init = reader.submit(lambda purse: purse.init_purchase(amount, terminal))
    o = central.client.post(f"/v1/purchase-orders/{order_id}/mac1",
                            {"init_response": init.raw.hex()}, key=new_key("mac1")).json()
    tac, mac2 = reader.submit(lambda purse: purse.debit_purchase(
        o["terminal_seq"], bytes.fromhex(o["host_date"]), bytes.fromhex(o["host_time"]),
        bytes.fromhex(o["mac1"])))
    assert sim.wallet.load(ZHANG).balance_fen == before - amount
    done = central.client.post(f"/v1/purchase-orders/{order_id}/confirm",
                               {"tac": tac.hex(), "mac2": mac2.hex()}, key=new_key("confirm"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["balance_after_fen"] == before - amount
