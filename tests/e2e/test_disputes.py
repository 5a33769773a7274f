"""Disputes end to end over kiosk.sock: "I did not make this" on a history entry opens
a ticket at the central side, prints the slip and offers a loss report; another card's
transaction is refused and nothing is filed."""

from __future__ import annotations

import pytest

from deploy.stack import Stack
from protocol.localclient import LocalApiError
from tests.e2e.sessionkit import CARD, central_sql, tap

LI = "03104440300000100025"


def _refused(stack: Stack, body: dict, code: str) -> dict:  # type: ignore[type-arg]
    with pytest.raises(LocalApiError) as err:
        stack.kiosk_client.post("/v1/dispute", body)
    assert err.value.code == code, err.value
    return dict(err.value.details or {})


def test_dispute_from_history_then_a_loss_report(stack: Stack) -> None:
    kiosk = stack.kiosk_client
    tap(stack)
    entries = kiosk.get("/v1/history")["items"]
    tx = next(e["details"]["transaction_id"] for e in entries
              if "transaction_id" in e["details"])
    reply = kiosk.post("/v1/dispute", {"transaction_id": tx})
    assert reply["ticket_no"].startswith("D") and reply["printed"] is True
    assert (reply["loss_report_no"], reply["offer_loss_report"]) == (None, True)
    assert list((stack.workdir / "state" / "receipts").glob("*-dispute.png"))
    assert _refused(stack, {"transaction_id": tx}, "dispute_exists")["ticket_no"] == \
        reply["ticket_no"]

    # Another card's transaction: refused like none; nothing filed.
    other = int(central_sql(stack, "SELECT id FROM transactions WHERE card_no = ? LIMIT 1",
                            LI)[0][0])
    _refused(stack, {"transaction_id": other}, "transaction_unknown")
    _refused(stack, {"transaction_id": "12"}, "bad_request")
    _refused(stack, {"transaction_id": 0}, "bad_transaction")
    # With the loss report: a wrong password files neither; the right one both.
    second = next(e["details"]["transaction_id"] for e in entries
                  if e["details"].get("transaction_id") not in (None, tx))
    _refused(stack, {"transaction_id": second, "report_loss": True}, "pin_or_id")
    _refused(stack, {"transaction_id": second, "report_loss": True, "pin": "000000"},
             "pin_wrong")
    assert central_sql(stack, "SELECT COUNT(*) FROM disputes") == [(1,)]
    both = kiosk.post("/v1/dispute", {"transaction_id": second, "report_loss": True,
                                      "pin": "147258"})
    assert both["loss_report_no"].startswith("LR") and both["offer_loss_report"] is False
    assert central_sql(stack, "SELECT status FROM cards WHERE card_no = ?", CARD) == [("lost",)]
    assert kiosk.state().card.status == "lost"  # type: ignore[union-attr]
