"""Fixed example receipts: the golden tests, the docs previews and the bench.

Fixed dates (China time, so the bytes do not depend on the host's zone),
references and a fixed demo MAC key, so every run renders the same bytes. Not
customer data; the card number is a made-up test number.
"""

from __future__ import annotations

from datetime import date, datetime

from hardware.printer.model import Receipt
from hardware.printer.receipts import (
    DEFAULT_ZONE,
    BalanceTransfer,
    BillPayment,
    CashboxCollectionSlip,
    DailySettlement,
    DisputeSlip,
    FeedbackTicket,
    LossCancelled,
    LossReport,
    OverdraftRepayment,
    PendingLoadVoucher,
    PrinterTestPage,
    ReceiptContext,
    RefundVoucher,
    Statement,
    StatementEntry,
    TopUp,
    build_receipt,
)

__all__ = ["SAMPLE_KINDS", "sample_context", "sample_facts", "sample_receipt"]

DEMO_KEY = b"citycard-demo-receipt-key-000000"
CARD = "3104 0000 1234 5678 9012"
OLD_CARD = "3104 0000 8765 4321 0098"
T = datetime(2026, 11, 24, 19, 30, 5, tzinfo=DEFAULT_ZONE)


def _at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DEFAULT_ZONE)


def sample_context(language: str) -> ReceiptContext:
    site = "人民广场地铁站 B 口" if language == "zh" else "People's Square Metro, Exit B"
    return ReceiptContext("KIOSK-DEV-0001", language, DEMO_KEY, site=site, hotline="12345")


def sample_facts(kind: str, language: str = "zh", columns: int = 48) -> object:
    zh = language == "zh"
    facts: dict[str, object] = {
        "topup": TopUp(
            reference="T20261124-000123", when=T, card_number=CARD, amount_fen=15000,
            balance_before_fen=2345, balance_after_fen=17345,
            notes=((10000, 1), (2000, 2), (1000, 1)), card_tx_no=57, tac="1A2B3C4D",
        ),
        "pending": PendingLoadVoucher(
            reference="P20261124-000124", when=T, card_number=CARD, amount_fen=5000,
            reason="card_removed", valid_until=date(2026, 12, 24), notes=((5000, 1),),
        ),
        "refund": RefundVoucher(
            reference="R20261124-000130", when=T, card_number=CARD, amount_fen=9750,
            reason="over_limit", notes=((10000, 4), (2000, 1), (1000, 1), (100, 1)),
            loaded_fen=33350,
        ),
        "bill": BillPayment(
            reference="B20261124-000125", when=T, card_number=CARD, bill_type="electricity",
            payee="City Power Co.", account_no="0102030405",
            holder_masked="张*明" if zh else "Z*** M***", period="2026-10",
            amount_fen=18650, balance_after_fen=17345 - 18650 + 20000, payee_zh="市电力公司",
        ),
        "loss": LossReport(
            reference="L20261124-000126", when=T, card_number=CARD,
            outlets=("人民广场服务中心（9:00-17:00）", "徐家汇服务网点（8:30-18:00）") if zh
            else ("People's Square Service Centre (9:00-17:00)",
                  "Xujiahui Service Outlet (8:30-18:00)"),
        ),
        "loss_cancel": LossCancelled(
            reference="LR20261124000126", when=T, card_number=CARD,
        ),
        "transfer": BalanceTransfer(
            reference="L261124193005A1B2C3", when=T, card_number=CARD,
            old_card_number=OLD_CARD, amount_fen=95000, balance_before_fen=2345,
            balance_after_fen=97345, left_fen=2660, tac="5E6F7A8B",
        ),
        "repayment": OverdraftRepayment(
            reference="L261124193005D4E5F6", when=T, card_number=CARD, cash_fen=5000,
            repaid_fen=1500, owed_before_fen=1500, owed_after_fen=0, loaded_fen=3500,
            balance_before_fen=0, balance_after_fen=3500, notes=((5000, 1),), tac="9C0D1E2F",
        ),
        "dispute": DisputeSlip(
            ticket_no="D20261124000042", when=T, card_number=CARD,
            transaction_ref="TX-88213", transaction_when=_at(11, 22, 7, 55), amount_fen=-1285,
            loss_report_no="LR20261124000127",
        ),
        "feedback": FeedbackTicket(
            ticket_no="F20261124-0042", when=T, category="top_up", phone="13812341234",
        ),
        "statement": Statement(
            reference="S20261124-000127", generated_at=T, card_number=CARD,
            period_from=date(2026, 11, 1), period_to=date(2026, 11, 24),
            opening_balance_fen=5230, closing_balance_fen=17345,
            entries=(
                StatementEntry(_at(11, 3, 8, 12), "ride", "", -300, mode="metro",
                               line="2号线" if zh else "Line 2",
                               station="人民广场" if zh else "People's Sq"),
                StatementEntry(_at(11, 3, 18, 40), "ride", "", -100, mode="bus",
                               line="71路" if zh else "71", fare_fen=200,
                               transfer_discount_fen=100),
                StatementEntry(_at(11, 8, 10, 5), "purchase", "", -1285,
                               merchant="全家便利店" if zh else "FamilyMart"),
                StatementEntry(_at(11, 12, 20, 15), "bill_payment", "", -3000,
                               merchant="市自来水公司" if zh else "City Water Co."),
                StatementEntry(_at(11, 15, 9, 0), "load",
                               "自助终端充值" if zh else "Kiosk top-up", 13000),
                StatementEntry(_at(11, 20, 12, 30), "load", "", 500, points_delta=-500),
                StatementEntry(_at(11, 22, 7, 55), "ride", "", -200),
                StatementEntry(_at(11, 24, 19, 29), "load",
                               "自助终端充值" if zh else "Kiosk top-up", 3500),
            ),
        ),
        "collection": CashboxCollectionSlip(
            reference="C20261124-000128", when=T, operator="op-017",
            counts=((10000, 12), (5000, 7), (2000, 9), (1000, 15), (500, 4), (100, 31)),
            unidentified=1, previous_collection_at=_at(11, 17, 9, 0),
            since_install_fen=12_345_600, since_install_pieces=4321,
        ),
        "settlement": DailySettlement(
            reference="Z20261124-000129", z_number=331, business_date=date(2026, 11, 24),
            generated_at=T, cash_counts=((10000, 3), (5000, 2), (2000, 4), (1000, 5), (100, 12)),
            loads_credited_count=9, loads_credited_fen=49200, loads_pending_count=1,
            loads_pending_fen=5000, bills_count=4, bills_fen=43210, points_loads_count=2,
            points_loads_fen=1000, unrecognised_count=1,
        ),
        "test": PrinterTestPage(
            reference="TP20261124-01", when=T, backend="sim",
            paper_width_mm=58 if columns == 32 else 80, columns=columns, chinese="gb18030",
            status="ok",
        ),
    }
    return facts[kind]


SAMPLE_KINDS = ("topup", "pending", "refund", "bill", "loss", "feedback", "statement",
                "collection", "settlement", "test", "loss_cancel", "transfer", "dispute",
                "repayment")


def sample_receipt(kind: str, language: str, columns: int = 48) -> Receipt:
    return build_receipt(sample_context(language), sample_facts(kind, language, columns))
