"""Receipt builders: facts in, one receipt model out; bad facts refused."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from hardware.printer.labels import LABELS
from hardware.printer.model import Receipt, Row
from hardware.printer.qr import qr_payload, verify_qr_payload
from hardware.printer.receipts import (
    BillPayment,
    CashboxCollectionSlip,
    DailySettlement,
    PendingLoadVoucher,
    ReceiptContext,
    Statement,
    StatementEntry,
    TopUp,
    build_receipt,
)
from hardware.printer.samples import (
    DEMO_KEY,
    SAMPLE_KINDS,
    sample_context,
    sample_facts,
    sample_receipt,
)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_every_receipt_masks_the_card_and_carries_a_verifiable_qr(kind: str, language: str) -> None:
    receipt = sample_receipt(kind, language)
    assert isinstance(receipt, Receipt) and receipt.kind == kind
    assert "0000 1234" not in receipt.text and "0000123456" not in receipt.text
    assert receipt.qr is not None
    assert verify_qr_payload(receipt.qr, DEMO_KEY) == ("KIOSK-DEV-0001", receipt.reference)
    assert receipt.reference in receipt.qr


def test_titles_are_in_the_chosen_language() -> None:
    assert sample_receipt("topup", "zh").title == "充值凭条"
    assert sample_receipt("topup", "en").title == "TOP-UP RECEIPT"
    assert "充值后余额" in sample_receipt("topup", "zh").text
    assert "Balance after" in sample_receipt("topup", "en").text


def test_every_label_has_both_languages() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh and en, key


def test_topup_amounts() -> None:
    rows = {r.label: r.value for r in sample_receipt("topup", "en").lines if isinstance(r, Row)}
    assert rows["Amount loaded"] == "¥150.00"
    assert rows["Balance before"] == "¥23.45"
    assert rows["Balance after"] == "¥173.45"
    assert rows["Card"] == "3104****9012"
    assert rows["  ¥20.00 x 2"] == "¥40.00"


def test_statement_totals_and_running_balance() -> None:
    receipt = sample_receipt("statement", "en")
    rows = {r.label: r.value for r in receipt.lines if isinstance(r, Row)}
    assert rows["Opening balance"] == "¥52.30"
    assert rows["Closing balance"] == "¥173.45"
    assert rows["Total in"] == "+¥170.00"
    assert rows["Total out"] == "-¥48.85"
    assert rows["Transactions"] == "8"
    assert rows["  Kiosk top-up"] == "bal. ¥173.45"
    assert rows["11-12 20:15 Bill payment"] == "-¥30.00"
    assert rows["  City Water Co."] == "bal. ¥5.45"
    assert rows["  points redeemed 500"] == "bal. ¥140.45"


def test_empty_statement_says_so() -> None:
    facts = sample_facts("statement", "zh")
    assert isinstance(facts, Statement)
    empty = dataclasses.replace(facts, entries=(), closing_balance_fen=facts.opening_balance_fen)
    assert "本期无交易" in build_receipt(sample_context("zh"), empty).text


def test_settlement_reconciles_cash_against_credited_plus_pending() -> None:
    receipt = sample_receipt("settlement", "en")
    assert "BALANCED" in receipt.text  # 54200 cash = 49200 credited + 5000 pending
    facts = sample_facts("settlement", "en")
    assert isinstance(facts, DailySettlement)
    off = dataclasses.replace(facts, loads_pending_fen=4000)
    assert "MISMATCH, difference +¥10.00" in build_receipt(sample_context("en"), off).text


def test_owed_cash_is_reconciled_on_the_z_report() -> None:
    facts = sample_facts("settlement", "en")
    assert isinstance(facts, DailySettlement)
    # ¥97.50 of the cash was over the limits and is owed back; ¥5 came with no top-up.
    more = ((5000, 1), (2000, 2), (500, 2), (100, 2), (50, 1))  # ¥102.50
    owed = dataclasses.replace(facts, cash_counts=(*facts.cash_counts, *more),
                               loads_owed_count=1, loads_owed_fen=9750, unattributed_fen=500)
    text = build_receipt(sample_context("en"), owed).text
    assert "Owed (refund) (1)" in text and "Unattributed cash" in text
    assert "Cash = credited + pending + owed + unattributed" in text and "BALANCED" in text
    assert "owed" not in build_receipt(sample_context("en"), facts).text  # none: no line


def test_a_refund_voucher_is_titled_as_one() -> None:
    receipt = sample_receipt("refund", "en")
    assert receipt.title == "REFUND VOUCHER" and "PENDING" not in receipt.text
    assert "Amount to refund" in receipt.text and "¥97.50" in receipt.text
    assert "Of which for the card" in receipt.text and "¥333.50" in receipt.text


def test_collection_slip_totals() -> None:
    rows = {r.label: r.value for r in sample_receipt("collection", "en").lines
            if isinstance(r, Row)}
    assert rows["Total (79 pcs)"] == "¥1931.00"
    assert rows["  Unidentified x 1"] == "?"


BAD = [
    ("topup", {"balance_after_fen": 17346}, "balance before"),
    ("topup", {"notes": ((10000, 1),)}, "do not add up"),
    ("topup", {"amount_fen": -100}, "non-negative"),
    ("pending", {"notes": ((1000, 1),)}, "do not add up"),
    ("refund", {"loaded_fen": 0}, "do not add up"),
    ("refund", {"amount_fen": -1}, "non-negative"),
    ("bill", {"bill_type": "phone"}, "unknown bill type"),
    ("bill", {"amount_fen": 0}, "not a payment"),
    ("statement", {"closing_balance_fen": 1}, "closing balance"),
    ("statement", {"period_from": date(2026, 12, 1)}, "ends before"),
    ("collection", {"counts": ((100, -1),)}, "bad count"),
    ("collection", {"unidentified": -1}, "negative"),
]


@pytest.mark.parametrize(("kind", "change", "message"), BAD)
def test_facts_that_do_not_add_up_are_refused(kind: str, change: dict[str, object],
                                              message: str) -> None:
    facts = sample_facts(kind, "en")
    with pytest.raises(ValueError, match=message):
        build_receipt(sample_context("en"), dataclasses.replace(facts, **change))  # type: ignore[type-var]


def test_pending_voucher_explains_how_to_complete() -> None:
    facts = PendingLoadVoucher("P1", sample_facts("topup").when, "3104000012345678", 5000,  # type: ignore[attr-defined]
                               "walked_away")
    text = build_receipt(sample_context("zh"), facts).text
    assert "任一自助终端" in text and "¥50.00" in text and "3104****5678" in text


def test_context_and_dispatch_errors() -> None:
    with pytest.raises(ValueError, match="language"):
        ReceiptContext("K", "fr", b"k")
    with pytest.raises(TypeError):
        build_receipt(sample_context("en"), object())


def test_qr_mac_detects_tampering() -> None:
    payload = qr_payload("T1", kiosk_id="K1", key=b"key")
    assert verify_qr_payload(payload, b"key") == ("K1", "T1")
    assert verify_qr_payload(payload, b"other") is None
    assert verify_qr_payload(payload.replace("T1", "T2"), b"key") is None
    assert verify_qr_payload("nonsense", b"key") is None
    with pytest.raises(ValueError):
        qr_payload("a|b", kiosk_id="K1", key=b"key")
    with pytest.raises(ValueError):
        qr_payload("T1", kiosk_id="K1", key=b"")


def test_inputs_are_plain_dataclasses() -> None:
    for cls in (TopUp, BillPayment, CashboxCollectionSlip, DailySettlement, Statement,
                StatementEntry):
        assert dataclasses.is_dataclass(cls)
