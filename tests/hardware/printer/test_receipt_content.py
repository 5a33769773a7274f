"""What a receipt says (issue 12 "Money and truth"): the receipt's own language for
every fact, the facts a cardholder needs, the configured time zone whatever the
host's, and no control character from any text field on paper or in the preview."""

from __future__ import annotations

import dataclasses
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hardware.printer import ReceiptPrinter
from hardware.printer.model import Row, Text
from hardware.printer.receipts import (
    BillPayment,
    CashboxCollectionSlip,
    FeedbackTicket,
    ReceiptContext,
    Statement,
    StatementEntry,
    build_receipt,
)
from hardware.printer.samples import SAMPLE_KINDS, sample_context, sample_facts
from hardware.printer.text import printable

CARD = "31044403000000100017"


@pytest.fixture
def host_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The host's own zone is not China's (as on a kiosk image left at UTC or set abroad)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _rows(receipt_lines: tuple[object, ...]) -> dict[str, str]:
    return {r.label: r.value for r in receipt_lines if isinstance(r, Row)}


# -- time zone ------------------------------------------------------------------------


@pytest.mark.usefixtures("host_in_new_york")
def test_times_are_printed_in_the_configured_zone_whatever_the_hosts() -> None:
    instant = datetime(2026, 11, 24, 11, 30, 5, tzinfo=UTC)  # 19:30:05 in Shanghai
    facts = CashboxCollectionSlip("C1", instant, "op-1", ((1000, 1),),
                                  previous_collection_at=instant - timedelta(days=7))
    rows = _rows(build_receipt(ReceiptContext("K1", "en", b"k"), facts).lines)
    assert rows["Time"] == "2026-11-24 19:30:05"
    assert rows["Previous"] == "2026-11-17 19:30:05"
    # another configured zone is honoured too
    tokyo = ReceiptContext("K1", "en", b"k", zone=ZoneInfo("Asia/Tokyo"))
    assert _rows(build_receipt(tokyo, facts).lines)["Time"] == "2026-11-24 20:30:05"


@pytest.mark.usefixtures("host_in_new_york")
def test_a_naive_time_is_the_hosts_clock_and_is_printed_in_the_configured_zone() -> None:
    # datetime.now() on this host: 06:30:05 in New York is 19:30:05 in Shanghai
    facts = FeedbackTicket("F1", datetime(2026, 11, 24, 6, 30, 5), "other")
    assert _rows(build_receipt(ReceiptContext("K1", "zh", b"k"), facts).lines)["时间"] == \
        "2026-11-24 19:30:05"


@pytest.mark.usefixtures("host_in_new_york")
def test_statement_entries_are_shown_in_the_configured_zone() -> None:
    utc_ride = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 11-03 07:30 in Shanghai
    facts = Statement("S1", utc_ride, CARD, date(2026, 11, 1), date(2026, 11, 3), 1000, 800,
                      (StatementEntry(utc_ride, "ride", "", -200, mode="bus", line="26路"),))
    text = build_receipt(ReceiptContext("K1", "zh", b"k"), facts).text
    assert "11-03 07:30" in text


# -- the receipt's language and facts ---------------------------------------------------


def _bill(**change: object) -> BillPayment:
    facts = BillPayment("B1", datetime(2026, 11, 24, 19, 0, tzinfo=UTC), CARD, "water",
                        "Shenzhen Water", "100001", "张*", "2026-11", 4560, 4090,
                        payee_zh="深圳市水务集团")
    return dataclasses.replace(facts, **change)  # type: ignore[arg-type]


def test_a_bill_receipt_names_the_payee_in_its_own_language() -> None:
    zh = _rows(build_receipt(ReceiptContext("K1", "zh", b"k"), _bill()).lines)
    en = _rows(build_receipt(ReceiptContext("K1", "en", b"k"), _bill()).lines)
    assert zh["收款单位"] == "深圳市水务集团"
    assert en["Payee"] == "Shenzhen Water"
    # a bill journaled before payee_zh existed still prints its payee
    assert _rows(build_receipt(ReceiptContext("K1", "zh", b"k"),
                               _bill(payee_zh="")).lines)["收款单位"] == "Shenzhen Water"


def test_a_bill_receipt_labels_the_balance_as_after_a_payment() -> None:
    zh = build_receipt(ReceiptContext("K1", "zh", b"k"), _bill())
    assert "充值后余额" not in zh.text
    assert _rows(zh.lines)["缴费后余额"] == "¥40.90"
    en = build_receipt(ReceiptContext("K1", "en", b"k"), _bill())
    assert _rows(en.lines)["Balance after payment"] == "¥40.90"


def _statement(language: str) -> str:
    t = datetime(2026, 11, 3, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    entries = (
        StatementEntry(t, "ride", "", -190, mode="metro", line="1号线", station="罗湖",
                       ride_discount_fen=10, fare_fen=200, points_delta=2),
        StatementEntry(t + timedelta(minutes=40), "ride", "", -100, mode="bus", line="26路",
                       ride_discount_fen=50, transfer_discount_fen=50, fare_fen=200),
        StatementEntry(t + timedelta(hours=2), "purchase", "", -1285, merchant="美宜佳"),
        StatementEntry(t + timedelta(hours=3), "bill_payment", "", -3000,
                       merchant="深圳市水务集团"),
        StatementEntry(t + timedelta(hours=4), "load", "", 5000),
    )
    facts = Statement("S1", t + timedelta(hours=5), CARD, date(2026, 11, 1), date(2026, 11, 3),
                      1000, 1425, entries)
    return build_receipt(ReceiptContext("K1", language, b"k"), facts).text


def test_a_statement_prints_human_kinds_places_and_discounts_in_chinese() -> None:
    text = _statement("zh")
    for raw in ("bill_payment", "purchase", "bus", "metro", "ride"):
        assert raw not in text
    for shown in ("地铁", "1号线 罗湖", "公交", "26路", "消费", "美宜佳", "缴费",
                  "深圳市水务集团", "充值", "票价 ¥2.00  乘车优惠 ¥0.10",
                  "乘车优惠 ¥0.50  换乘优惠 ¥0.50"):
        assert shown in text, shown
    totals = {line.split()[0]: line.split()[-1] for line in text.splitlines() if line.strip()}
    assert (totals["乘车优惠合计"], totals["换乘优惠合计"], totals["获得积分"]) == \
        ("¥0.60", "¥0.50", "2")


def test_a_statement_prints_human_kinds_places_and_discounts_in_english() -> None:
    text = _statement("en")
    for raw in ("bill_payment", "purchase ", "bus ", "metro "):
        assert raw not in text
    for shown in ("Metro", "Bus", "Purchase", "Bill payment", "Load", "美宜佳",
                  "ride discount ¥0.10", "transfer discount ¥0.50", "Ride discounts",
                  "Transfer discounts", "Points earned"):
        assert shown in text, shown


@pytest.mark.parametrize(("language", "name"), [("zh", "终端故障"), ("en", "Kiosk fault")])
def test_a_feedback_ticket_prints_the_categorys_human_name(language: str, name: str) -> None:
    facts = FeedbackTicket("F1", datetime(2026, 11, 24, tzinfo=UTC), "kiosk_fault")
    receipt = build_receipt(ReceiptContext("K1", language, b"k"), facts)
    assert "kiosk_fault" not in receipt.text
    assert name in receipt.text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_reprint_is_marked_with_when_it_was_printed_again(language: str) -> None:
    facts = sample_facts("topup", language)
    first = build_receipt(sample_context(language), facts)
    again_at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    again = build_receipt(dataclasses.replace(sample_context(language), reprinted_at=again_at),
                          facts)
    mark = "重印" if language == "zh" else "REPRINT"
    assert mark not in first.text
    assert mark in again.text
    assert "2026-11-25 09:00:00" in again.text  # the reprint's own time, China time
    time_label = "时间" if language == "zh" else "Time"
    assert _rows(again.lines)[time_label] == _rows(first.lines)[time_label]  # the original's


# -- control characters ----------------------------------------------------------------

NASTY = "Li\u0085Lei\x1bp\x00\x19\xfa\u2028\u200b\ufeff\x07\ud800\u202e!"


def test_printable_keeps_text_and_drops_controls() -> None:
    assert printable("人民广场 Exit B ¥12.34") == "人民广场 Exit B ¥12.34"
    assert printable("Li\u0085Lei") == "Li Lei"
    assert printable("a\tb\r\nc\u2028d") == "a b c d"
    cleaned = printable(NASTY)
    assert cleaned.startswith("Li Lei")
    assert all(unicodedata.category(ch)[0] != "C" for ch in cleaned)


def _nasty_facts(kind: str) -> object:
    facts = sample_facts(kind, "zh")
    swaps: dict[str, dict[str, object]] = {
        "collection": {"operator": NASTY},
        "bill": {"payee_zh": NASTY, "holder_masked": NASTY, "account_no": NASTY,
                 "period": NASTY},
        "feedback": {"category": NASTY},
        "loss": {"outlets": (NASTY,)},
        "test": {"extra": (NASTY,), "backend": NASTY},
        "statement": {},
    }
    if kind == "statement":
        assert isinstance(facts, Statement)
        entries = tuple(dataclasses.replace(e, description=NASTY, merchant=NASTY)
                        for e in facts.entries)
        return dataclasses.replace(facts, entries=entries)
    return dataclasses.replace(facts, **swaps.get(kind, {}))  # type: ignore[type-var]


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_no_control_character_reaches_the_paper_or_the_preview(kind: str, width: int) -> None:
    ctx = dataclasses.replace(sample_context("zh"), site=NASTY, hotline="12345\x1bp\x00")
    receipt = build_receipt(ctx, _nasty_facts(kind))
    shown = [receipt.title, receipt.reference, *receipt.footer]
    for line in receipt.lines:
        if isinstance(line, Text):
            shown.append(line.text)
        elif isinstance(line, Row):
            shown += [line.label, line.value]
    for text in shown:
        assert all(unicodedata.category(ch)[0] != "C" for ch in text), repr(text)
    with ReceiptPrinter(paper_width_mm=width) as printer:
        printed = printer.print_receipt(receipt)  # the preview is drawn: raqm must not fail
    assert printed.png is not None
    assert b"\x1bp" not in printed.data  # no cash-drawer kick smuggled in a name
    assert b"\x00\x19" not in printed.data and b"\x07" not in printed.data


def test_the_operator_name_prints_with_its_line_break_as_a_space() -> None:
    facts = dataclasses.replace(sample_facts("collection", "zh"), operator="Li\u0085Lei")
    receipt = build_receipt(sample_context("zh"), facts)  # type: ignore[arg-type]
    assert _rows(receipt.lines)["操作员"] == "Li Lei"
    with ReceiptPrinter(paper_width_mm=58) as printer:
        assert printer.print_receipt(receipt).png is not None


def test_the_hotline_is_on_every_receipt_footer() -> None:
    for kind in SAMPLE_KINDS:
        for language in ("zh", "en"):
            ctx = dataclasses.replace(sample_context(language), hotline="0755-12345")
            receipt = build_receipt(ctx, sample_facts(kind, language))
            assert any("0755-12345" in line for line in receipt.footer), (kind, language)


def test_a_fixed_offset_zone_works_as_well() -> None:
    ctx = ReceiptContext("K1", "en", b"k", zone=timezone(timedelta(hours=8)))
    facts = FeedbackTicket("F1", datetime(2026, 11, 24, 16, 0, 1, tzinfo=UTC), "card")
    assert _rows(build_receipt(ctx, facts).lines)["Time"] == "2026-11-25 00:00:01"


def test_the_z_report_has_a_transfer_line_only_on_a_day_with_transfers() -> None:
    from hardware.printer.samples import sample_context, sample_facts
    plain = sample_facts("settlement", "en")
    assert "Balance transfers" not in build_receipt(sample_context("en"), plain).text
    with_transfer = dataclasses.replace(plain, transfer_loads_count=2,  # type: ignore[type-var]
                                        transfer_loads_fen=12345)
    text = build_receipt(sample_context("en"), with_transfer).text
    assert "Balance transfers (2)" in text and "¥123.45" in text
    # No cash: the reconciliation is the same as without it.
    assert "BALANCED" in text or "balanced" in text.lower()
