"""Central replies decode into protocol.central's models, or are malformed: never money."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import central as c
from protocol.wire import Invalid, decode_reply

CARD = {"status": "active", "card_type": "ordinary", "points": 120,
        "pending_loads": [{"order_id": "L1", "amount_fen": 2000}],
        "load_limits": {"single_max_fen": 100000, "daily_remaining_fen": 50000,
                        "purse_cap_fen": 100000}}


def test_good_replies_decode_and_unknown_fields_are_ignored() -> None:
    card = decode_reply(c.CardInfo, {**CARD, "added_later": True})
    assert card.pending_loads[0].amount_fen == 2000 and card.load_limits is not None
    mac2 = decode_reply(c.Mac2Issued, b'{"mac2": "1a2b3c4d", "host_date": "20261124",'
                                      b' "host_time": "120000", "order_id": "L1"}')
    assert mac2.mac2 == "1a2b3c4d"
    redeemed = decode_reply(c.Redemption, {"order": {"order_id": "L2", "amount_fen": 500}})
    assert redeemed.order.amount_fen == 500


@pytest.mark.parametrize(("model", "reply"), [
    (c.CardInfo, {**CARD, "points": -1}),
    (c.CardInfo, {**CARD, "pending_loads": [{"order_id": "L1", "amount_fen": -2000}]}),
    (c.CardInfo, {**CARD, "load_limits": {"single_max_fen": "100000"}}),
    (c.CardInfo, [CARD]),
    (c.OrderCreated, {"order_id": "", "terminal_id": "440300000001"}),
    (c.OrderCreated, {"order_id": "C1", "terminal_id": "4403"}),
    (c.Mac2Issued, {"mac2": "1A2B3C", "host_date": "20261124", "host_time": "120000"}),
    (c.Mac1Issued, {"mac1": "1A2B3C4D", "host_date": "20261124", "host_time": "120000",
                    "terminal_seq": -1}),
    (c.OrderConfirmed, {"status": "completed", "balance_after_fen": -1}),
    (c.OrderConfirmed, {"status": True}),
    (c.Redemption, {"order": {"order_id": "L2", "amount_fen": 0}}),
    (c.Redemption, {"order": {"order_id": "L2", "amount_fen": -500}}),
    (c.Redemption, {"order": {"order_id": "L2", "amount_fen": 5.5}}),
    (c.Bill, {"bill_id": "B1", "amount_due_fen": True}),
    (c.LoadOrder, {"order_id": "L1", "amount_fen": 100, "status": "lost",
                   "terminal_id": "440300000001"}),
    (c.LossReport, {"report_no": "", "status": "lost", "message": "", "message_zh": ""}),
    (c.Mac2Issued, b'{"mac2": "1A2B3C4D", "host_date": "20261124", "host_time": "120000"}x'),
])
def test_a_malformed_reply_is_refused(model: type[Any], reply: Any) -> None:
    with pytest.raises(Invalid) as err:
        decode_reply(model, reply)
    assert err.value.problems and err.value.code == "malformed"


@pytest.mark.parametrize("field", ["mac2", "host_date", "host_time"])
def test_a_final_newline_does_not_pass_a_fixed_size_field(field: str) -> None:
    good = {"mac2": "1A2B3C4D", "host_date": "20261124", "host_time": "120000"}
    with pytest.raises(Invalid):
        decode_reply(c.Mac2Issued, {**good, field: good[field] + "\n"})


def test_an_optional_field_left_out_of_a_request_is_not_sent() -> None:
    from protocol.wire import to_json
    assert to_json(c.LoadOrderCreate(card_no="31044403000000100017", amount_fen=1000,
                                     terminal_id="440300000001")) == {
        "card_no": "31044403000000100017", "amount_fen": 1000, "terminal_id": "440300000001"}
    assert to_json(c.StatementRequest(from_="2026-11-01", to="2026-11-30")) == {
        "from": "2026-11-01", "to": "2026-11-30"}
    assert to_json(c.LoadConfirm(card_record="AB")) == {"card_record": "AB"}


# -- the cardholder services' replies (issue 11): discount, history rows, notices, help --
DISCOUNT = {"bus_percent": 50, "metro_percent": 50, "transfer_off_fen": 100,
            "transfer_window_min": 90}
NOTICE = {"notice_id": 7, "kind": "maintenance", "title": "Top-up paused", "title_zh": "暂停充值",
          "body": "Upgrade.", "body_zh": "升级。", "starts_at": "2026-12-01T01:00:00+08:00",
          "ends_at": "2026-12-01T03:00:00+08:00", "active": False}


def test_the_services_replies_decode() -> None:
    card = decode_reply(c.CardInfo, {**CARD, "discount": DISCOUNT})
    assert card.discount == c.Discount(**DISCOUNT)
    assert decode_reply(c.CardInfo, CARD).discount is None  # an older central side
    row = decode_reply(c.Transaction, {"kind": "transit", "occurred_at": "2026-11-30T08:00:00",
                                       "amount_fen": -190, "fare_fen": 300,
                                       "ride_discount_fen": 10, "transfer_discount_fen": 100,
                                       "line": "Line 1", "station": "Luohu", "points_delta": 2})
    assert (row.fare_fen, row.line, row.station, row.points_delta) == (300, "Line 1", "Luohu", 2)
    assert decode_reply(c.CentralNotice, NOTICE).kind == "maintenance"


@pytest.mark.parametrize(("model", "reply"), [
    (c.CardInfo, {**CARD, "discount": {**DISCOUNT, "bus_percent": 101}}),
    (c.CardInfo, {**CARD, "discount": {**DISCOUNT, "transfer_off_fen": -100}}),
    (c.CardInfo, {**CARD, "discount": {"bus_percent": 50}}),
    (c.CardInfo, {**CARD, "discount": "half"}),
    (c.Transaction, {"kind": "transit", "occurred_at": "x", "amount_fen": -190, "fare_fen": -300}),
    (c.Transaction, {"kind": "transit", "occurred_at": "x", "amount_fen": -190,
                     "ride_discount_fen": -10}),
    (c.CentralNotice, {**NOTICE, "kind": "advert"}),
    (c.CentralNotice, {**NOTICE, "title_zh": ""}),
    (c.CentralNotice, {**NOTICE, "notice_id": "7"}),
    (c.CentralNotices, {"notices": {"7": NOTICE}}),
])
def test_a_malformed_services_reply_is_refused(model: type[Any], reply: Any) -> None:
    with pytest.raises(Invalid):
        decode_reply(model, reply)


# -- the loss-report lifecycle, disputes, overdraft (central/routes/lifecycle.py, ...) -------
TRANSFER = {"old_card_no": "31044403000000100041", "status": "available",
            "available_at": "2026-12-08T10:00:00+08:00", "confirmed_balance_fen": 5000,
            "late_fen": 300, "transferred_fen": 0, "transferable_fen": 4700}
DISPUTE = {"ticket_no": "D20261201000001", "card_no": "31044403000000100033",
           "transaction": {"id": 42, "occurred_at": "2026-11-30T08:00:00+08:00",
                           "kind": "purchase", "amount_fen": -1500, "order_id": None,
                           "terminal_id": "440300000001"},
           "loss_report_no": None, "created_at": "2026-12-01T10:00:00+08:00"}
REPAYMENT = {"repayment_id": "R1", "card_no": "31044403000000100033", "amount_fen": 500,
             "owed_before_fen": 800, "owed_fen": 300, "lifted": False,
             "status": "blacklisted", "repaid_at": "2026-12-01T10:00:00+08:00"}


def test_the_lifecycle_replies_decode() -> None:
    card = decode_reply(c.CardInfo, {**CARD, "transfer": TRANSFER,
                                     "blacklist": {"reason": "overdraft", "owed_fen": 800}})
    assert card.transfer is not None and card.transfer.transferable_fen == 4700
    assert card.blacklist == c.Blacklist(reason="overdraft", owed_fen=800)
    plain_card = decode_reply(c.CardInfo, CARD)  # an ordinary card, or an older central side
    assert plain_card.transfer is None and plain_card.blacklist is None
    made = decode_reply(c.TransferCreated, {"order_id": "L9", "terminal_id": "440300000001",
                                            "amount_fen": 4700, "transferable_left_fen": 0})
    assert made.transferable_left_fen == 0
    assert decode_reply(c.Repayment, REPAYMENT).owed_fen == 300
    dispute = decode_reply(c.Dispute, DISPUTE)
    assert (dispute.transaction.id, dispute.transaction.amount_fen) == (42, -1500)
    assert decode_reply(c.LossCancelled, {"card_no": "3104", "status": "active",
                                          "report_no": "LR1", "message": "ok",
                                          "message_zh": "好"}).report_no == "LR1"


@pytest.mark.parametrize(("model", "reply"), [
    (c.CardInfo, {**CARD, "transfer": {**TRANSFER, "transferable_fen": -1}}),
    (c.CardInfo, {**CARD, "transfer": {**TRANSFER, "status": "gone"}}),
    (c.CardInfo, {**CARD, "transfer": {k: v for k, v in TRANSFER.items()
                                       if k != "old_card_no"}}),
    (c.CardInfo, {**CARD, "transfer": "yes"}),
    (c.CardInfo, {**CARD, "blacklist": {"reason": "overdraft", "owed_fen": -800}}),
    (c.CardInfo, {**CARD, "blacklist": {"reason": "overdraft"}}),
    (c.CardInfo, {**CARD, "blacklist": ["overdraft", 800]}),
    (c.TransferCreated, {"order_id": "L9", "terminal_id": "440300000001"}),
    (c.TransferCreated, {"order_id": "L9", "terminal_id": "440300000001",
                         "transferable_left_fen": -1}),
    (c.Repayment, {**REPAYMENT, "owed_fen": -1}),
    (c.Repayment, {**REPAYMENT, "lifted": "no"}),
    (c.Repayment, {k: v for k, v in REPAYMENT.items() if k != "repayment_id"}),
    (c.Dispute, {**DISPUTE, "ticket_no": ""}),
    (c.Dispute, {**DISPUTE, "transaction": {**DISPUTE["transaction"], "id": 0}}),
    (c.Dispute, {**DISPUTE, "transaction": {**DISPUTE["transaction"], "id": "42"}}),
    (c.Dispute, {k: v for k, v in DISPUTE.items() if k != "transaction"}),
    (c.LossCancelled, {"status": "active", "report_no": "LR1"}),
    (c.Transaction, {"kind": "purchase", "occurred_at": "x", "amount_fen": -1, "id": "42"}),
])
def test_a_malformed_lifecycle_reply_is_refused(model: type[Any], reply: Any) -> None:
    with pytest.raises(Invalid):
        decode_reply(model, reply)
