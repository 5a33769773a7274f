"""The central side unreachable, slow, failing with 5xx, or dropping its answer
after committing, at every money request of a load and a bill payment: the
value moves once, and the order is confirmed in the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.schema import CentralSection
from daemon.central import CentralClient, CentralMalformed, CentralUnavailable
from daemon.loadflow import LoadFlow
from daemon.purchaseflow import PurchaseFlow
from tests.central.helpers import KIOSK, ZHANG, Central
from tests.daemon.faultproxy import FaultProxy, Rule
from tests.daemon.flowkit import TERMINAL, Kit, make_kit

LOAD_STEPS = [r"^/v1/load-orders$", r"/mac2$", r"/confirm$"]
PURCHASE_STEPS = [r"^/v1/purchase-orders$", r"/mac1$", r"/confirm$"]


@pytest.fixture
def kit(tmp_path: Path, central: Central) -> Iterator[Kit]:
    k = make_kit(tmp_path, central)
    yield k
    k.close()


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    p = FaultProxy(central.url)
    yield p
    p.close()


def _client(kit: Kit, url: str, *, read_timeout: float = 2.0, retries: int = 2) -> CentralClient:
    return CentralClient(CentralSection(url=url, connect_timeout_s=0.5,
                                        read_timeout_s=read_timeout, retries=retries),
                         kiosk_id=KIOSK, secret=kit.central.secret)


def _loads(kit: Kit) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in kit.central.sql(
        "SELECT amount_fen, status FROM orders WHERE kind = 'load' AND card_no = ?", ZHANG)]


@pytest.mark.parametrize("action", ["drop_after", "drop_before", "fail_503"])
@pytest.mark.parametrize("path", LOAD_STEPS)
def test_a_load_survives_a_bad_answer_at_each_request(kit: Kit, proxy: FaultProxy,
                                                      action: str, path: str) -> None:
    before = kit.tap(ZHANG).balance_fen
    proxy.rules.append(Rule("POST", path, action))
    client = _client(kit, proxy.url)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=1500, session_id=None)
    done = LoadFlow(kit.store, client, kit.reader, terminal_id=TERMINAL).drive(order)
    client.close()
    assert done.state == "completed"
    assert any(a == action for _, _, a in proxy.log)  # the fault did happen
    assert kit.balance(ZHANG) == before + 1500  # once on the card
    assert _loads(kit) == [(1500, "completed")]  # once at the centre
    rows = kit.central.sql("SELECT COUNT(*) FROM transactions WHERE order_id = ?",
                           done.central_ref)
    assert rows[0][0] == 1


def test_a_slow_answer_times_out_and_the_retry_gets_the_first_result(
        kit: Kit, proxy: FaultProxy) -> None:
    before = kit.tap(ZHANG).balance_fen
    proxy.rules.append(Rule("POST", r"/confirm$", "slow", delay_s=1.5))
    client = _client(kit, proxy.url, read_timeout=0.5)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=700, session_id=None)
    done = LoadFlow(kit.store, client, kit.reader, terminal_id=TERMINAL).drive(order)
    client.close()
    assert done.state == "completed" and kit.balance(ZHANG) == before + 700
    assert _loads(kit) == [(700, "completed")]


def test_unreachable_at_confirm_the_value_is_on_the_card_and_confirmed_later(
        kit: Kit, proxy: FaultProxy) -> None:
    before = kit.tap(ZHANG).balance_fen
    proxy.rules.append(Rule("POST", r"/confirm$", "drop_before", times=10))
    client = _client(kit, proxy.url, retries=1)
    flow = LoadFlow(kit.store, client, kit.reader, terminal_id=TERMINAL)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=900, session_id=None)
    with pytest.raises(CentralUnavailable):
        flow.drive(order)
    assert kit.store.get(order.id).state == "credited"
    assert kit.balance(ZHANG) == before + 900
    kit.remove()  # the cardholder has left; the link comes back
    proxy.rules.clear()
    done = flow.drive(kit.store.get(order.id))  # what recovery does on the next probe
    client.close()
    assert done.state == "completed" and _loads(kit) == [(900, "completed")]
    assert kit.balance(ZHANG) == before + 900


@pytest.mark.parametrize("action", ["drop_after", "fail_503"])
@pytest.mark.parametrize("path", PURCHASE_STEPS)
def test_a_bill_payment_survives_a_bad_answer_at_each_request(
        kit: Kit, proxy: FaultProxy, action: str, path: str) -> None:
    before = kit.tap(ZHANG).balance_fen
    bill = kit.client.request("GET", "/v1/bills?utility=water&account_no=100004")
    proxy.rules.append(Rule("POST", path, action))
    client = _client(kit, proxy.url)
    order = kit.store.create(kind="purchase", card_no=ZHANG, amount_fen=3720, session_id=None,
                             facts={"bill_id": bill["bill_id"]})
    done = PurchaseFlow(kit.store, client, kit.reader, terminal_id=TERMINAL).drive(order)
    client.close()
    assert done.state == "completed"
    assert kit.balance(ZHANG) == before - 3720
    rows = kit.central.sql("SELECT status FROM orders WHERE kind = 'purchase'")
    assert [r[0] for r in rows] == ["completed"]


@pytest.mark.parametrize(("path", "body"), [
    (r"^/v1/load-orders$", b"not json"),
    (r"^/v1/load-orders$", b'{"order_id": 42}'),
    (r"/mac2$", b'{"mac2": "ABCD", "host_date": "20261124", "host_time": "120000"}'),
    (r"/mac2$", b'{"mac2": "zzzzzzzz", "host_date": "20261124", "host_time": "120000"}'),
    (r"/mac2$", b'[1, 2, 3]'),
    (r"/confirm$", b'{"status": "completed"}'),
    # decoded into protocol.central's models: a wrong type, a field missing, a negative
    # amount, garbage after the JSON, a MAC that only a search (not a full match) would take
    (r"^/v1/load-orders$", b'{"order_id": "C1", "terminal_id": 440300000001}'),
    (r"/mac2$", b'{"mac2": "1A2B3C4D", "host_date": "20261124"}'),
    (r"/mac2$", b'{"mac2": "1A2B3C4D", "host_date": "20261124", "host_time": "120000"} }'),
    (r"/mac2$", b'{"mac2": "1A2B3C4D\\n", "host_date": "20261124", "host_time": "120000"}'),
    (r"/confirm$", b'{"status": "completed", "balance_after_fen": -600}'),
    (r"/confirm$", b'{"status": "completed", "balance_after_fen": "8650"}'),
])
def test_a_malformed_central_answer_moves_nothing_and_a_clean_retry_completes(
        kit: Kit, proxy: FaultProxy, path: str, body: bytes) -> None:
    before = kit.tap(ZHANG).balance_fen
    proxy.rules.append(Rule("POST", path, "garble", body=body))
    client = _client(kit, proxy.url, retries=0)
    flow = LoadFlow(kit.store, client, kit.reader, terminal_id=TERMINAL)
    order = kit.store.create(kind="load", card_no=ZHANG, amount_fen=600, session_id=None)
    with pytest.raises(CentralMalformed):
        flow.drive(order)
    stuck = kit.store.get(order.id)
    on_card = kit.balance(ZHANG) - before
    # Nothing moved on a bad answer: the card is credited only once a good MAC2 arrived.
    assert on_card == (600 if path == r"/confirm$" else 0)
    # A bad MAC2 answer: the INITIALIZE's answer was only staged, so the order is
    # where it was before it (a new INITIALIZE follows).
    assert stuck.state == {r"^/v1/load-orders$": "new", r"/mac2$": "created",
                           r"/confirm$": "credited"}[path]
    kit.tap(ZHANG)  # a new card session for what remains
    done = flow.drive(kit.store.get(order.id))
    client.close()
    assert done.state == "completed" and kit.balance(ZHANG) == before + 600
    assert _loads(kit) == [(600, "completed")]
