"""Cards of other cities (互联互通) over kiosk.sock, every process real: read like
ours, named by their city, offered only what config opens, never a raw error."""

from __future__ import annotations

import pytest

from deploy.stack import Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import wait_state

BEIJING_T_UNION = "03104100000000000051"
SHANGHAI_CITY_UNION = "23103100000000000088"


def _tap(stack: Stack, card_no: str) -> object:
    stack.kioskctl("sim", "remove")
    stack.kioskctl("sim", "tap", card_no)
    return wait_state(stack.kiosk_client, lambda s: s.screen == "card" and s.card is not None
                      and s.card.central not in ("pending",), "the card screen")


def test_a_beijing_t_union_card_in_overdraft(stack: Stack) -> None:
    snap = _tap(stack, BEIJING_T_UNION)
    card = snap.card  # type: ignore[attr-defined]
    assert card.issuer_city == {"code": "1000", "name": "Beijing", "name_zh": "北京"}
    assert card.services == ["balance", "history"]
    assert (card.balance_fen, card.overdraft_fen) == (0, 350)  # read from the card, offline too
    assert card.valid_until == "2032-05-31" and card.central == "unknown_card"
    history = stack.kiosk_client.get("/v1/history")
    assert [i["amount_fen"] for i in history["items"]] == [-400, -300]
    assert history["notice"]["code"] == "other_city_card" and "北京" in \
        history["notice"]["message_zh"]
    for method, path, body in (("POST", "/v1/topup/start", None),
                               ("POST", "/v1/statement", {"period": "last_30_days"}),
                               ("POST", "/v1/bills/lookup",
                                {"utility": "water", "account_no": "1234567890"})):
        with pytest.raises(LocalApiError) as err:
            stack.kiosk_client.request(method, path, body)
        assert (err.value.status, err.value.code) == (409, "other_city_card"), path
        assert "北京" in err.value.message_zh
    stack.kioskctl("sim", "remove")


def test_a_shanghai_city_union_card(stack: Stack) -> None:
    card = _tap(stack, SHANGHAI_CITY_UNION).card  # type: ignore[attr-defined]
    assert card.issuer_city["name_zh"] == "上海" and card.balance_fen == 4200
    assert card.overdraft_fen is None and card.services == ["balance", "history"]
    assert len(stack.kiosk_client.get("/v1/history")["items"]) == 1
    stack.kioskctl("sim", "remove")


def test_our_own_card_names_no_city_and_offers_every_service(stack: Stack) -> None:
    card = _tap(stack, "03104440300000100017").card  # type: ignore[attr-defined]
    assert card.issuer_city is None and card.services is None
