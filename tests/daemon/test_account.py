"""The kiosk side of the services that take no cash, against the real central server:
what the cardholder is told when a password or ID is wrong or locked, and whose
history is printed or shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.schema import CentralSection
from daemon.account import Account, period_dates
from daemon.api.errors import body_of, status_of
from daemon.cardflow import CentralCard
from daemon.central import CentralClient
from daemon.errors import BadInput, KioskError
from daemon.events import EventBus
from daemon.state import KioskState
from protocol import pinblock
from tests.central.helpers import DEMO_PIN, KIOSK, LIU, UNKNOWN, WANG, ZHANG, Central, Clock


@dataclass
class OnReader:
    card_no: str


@dataclass
class FakeSessions:
    """The card on the reader (daemon.sessions has its own tests)."""

    card_no: str = ZHANG

    def card_on_screen(self, *, need_active: bool = True) -> tuple[Any, CentralCard]:
        return OnReader(self.card_no), CentralCard({"status": "active", "card_type": "ordinary",
                                                    "points": 0})


@dataclass
class FakePrinting:
    printed: list[str] = field(default_factory=list)
    facts: list[Any] = field(default_factory=list)
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def receipt(self, kind: str, facts: Any, language: str) -> dict[str, Any]:
        self.printed.append(kind)
        self.facts.append(facts)
        return {"printed": True}


@dataclass
class Kit:
    account: Account
    sessions: FakeSessions
    printing: FakePrinting
    central: Central


@pytest.fixture
def make_kit(start_central: Callable[..., Central]) -> Iterator[Callable[..., Kit]]:
    clients: list[CentralClient] = []

    def make(**central_settings: Any) -> Kit:
        central = start_central(**central_settings)
        client = CentralClient(CentralSection(url=central.url, connect_timeout_s=1,
                                              read_timeout_s=5, retries=0),
                               kiosk_id=KIOSK, secret=central.secret)
        clients.append(client)
        key = pinblock.pin_key(central.secret)
        sessions, printing = FakeSessions(), FakePrinting()
        account = Account(sessions=sessions, central=client,  # type: ignore[arg-type]
                          printing=printing,  # type: ignore[arg-type]
                          state=KioskState(EventBus(keep=5), language="zh"),
                          terminal_id="440300000001",
                          pin_block=lambda pin, card_no: pinblock.encode(pin, card_no, key))
        return Kit(account, sessions, printing, central)

    yield make
    for client in clients:
        client.close()


def refusal(call: Callable[[], Any]) -> dict[str, Any]:
    """The refusal as the local API answers it: its error body and status."""
    with pytest.raises(KioskError) as err:
        call()
    body = body_of(err.value)
    body["status"] = status_of(err.value)
    return body


def test_a_statement_of_a_card_with_a_password_asks_for_it(make_kit: Any) -> None:
    kit = make_kit()
    missing = refusal(lambda: kit.account.statement("last_30_days"))
    assert (missing["status"], missing["code"]) == (422, "pin_required")
    wrong = refusal(lambda: kit.account.statement("last_30_days", "999999"))
    assert (wrong["code"], wrong["details"]) == ("pin_wrong", {"tries_left": 2})
    assert "2 tries left" in wrong["message"] and "还可尝试2次" in wrong["message_zh"]
    assert kit.printing.printed == []
    assert kit.account.statement("last_30_days", DEMO_PIN)["printed"] is True
    assert kit.printing.printed == ["statement"]
    bad = refusal(lambda: kit.account.statement("last_30_days", "12ab56"))
    assert bad["code"] == "bad_pin"


def test_a_card_without_a_password_prints_its_statement_without_one(make_kit: Any) -> None:
    kit = make_kit()
    kit.sessions.card_no = WANG
    assert kit.account.statement("this_month")["printed"] is True


def test_no_statement_for_a_lost_card_and_its_history_is_the_chips_own(make_kit: Any) -> None:
    kit = make_kit()
    kit.sessions.card_no = LIU
    lost = refusal(lambda: kit.account.statement("last_30_days", DEMO_PIN))
    assert (lost["status"], lost["code"]) == (409, "card_lost")
    assert "lost" in lost["message"] and "挂失" in lost["message_zh"]
    assert kit.printing.printed == []
    history = kit.account.history()
    assert history["items"] == [] and history["next_cursor"] is None
    assert history["notice"]["code"] == "card_lost" and history["notice"]["message_zh"]
    kit.sessions.card_no = ZHANG
    shown = kit.account.history()
    assert shown["items"] and shown["notice"] is None


def test_wrong_ids_say_the_tries_left_and_the_lock_says_when_it_ends(make_kit: Any) -> None:
    kit = make_kit(clock=Clock(), pin_lock_s=1800)
    kit.sessions.card_no = WANG
    first = refusal(lambda: kit.account.set_pin("135790", "000000"))
    assert (first["status"], first["code"], first["details"]) == (
        422, "identity_mismatch", {"tries_left": 2})
    assert "2 tries left" in first["message"] and "还可尝试2次" in first["message_zh"]
    refusal(lambda: kit.account.set_pin("135790", "000001"))
    locked = refusal(lambda: kit.account.set_pin("135790", "000002"))
    assert (locked["status"], locked["code"]) == (423, "identity_locked")
    assert locked["details"]["retry_after_s"] == 1800 and locked["details"]["tries_left"] == 0
    until = locked["details"]["locked_until"][11:16]  # HH:MM, China time
    assert "30 min" in locked["message"] and until in locked["message"]
    assert "30分钟" in locked["message_zh"] and until in locked["message_zh"]


def test_a_typed_unknown_number_is_told_what_a_wrong_id_is_told(make_kit: Any) -> None:
    kit = make_kit(clock=Clock())
    known = refusal(lambda: kit.account.report_loss(ZHANG, id_last6="000000"))
    unknown = refusal(lambda: kit.account.report_loss(UNKNOWN, id_last6="000000"))
    assert known == unknown and known["code"] == "identity_mismatch"
    assert kit.printing.printed == []


@pytest.mark.parametrize(("typed", "serial"), [
    (ZHANG[1:], ZHANG),  # T-Union: 19 digits on the card, a pad digit before them on the chip
    (WANG, WANG),        # City Union: printed as the serial, 20 digits
])
def test_the_loss_report_keypad_takes_the_number_as_printed(make_kit: Any, typed: str,
                                                             serial: str) -> None:
    kit = make_kit(clock=Clock())
    reply = kit.account.report_loss(typed, id_last6=serial[-6:])
    assert reply["status"] == "lost"
    assert kit.central.sql("SELECT status FROM cards WHERE card_no = ?", serial)[0][0] == "lost"
    assert kit.printing.printed == ["loss_report"]
    assert kit.printing.facts[0].card_number == typed  # the slip shows what was typed


@pytest.mark.parametrize("typed", ["310444030000010001", "3104440300000100017X",
                                   "003104440300000100017", "３１０４４４０３００００１０００１７"])
def test_a_loss_report_number_neither_19_nor_20_digits_is_refused(make_kit: Any,
                                                                   typed: str) -> None:
    kit = make_kit(clock=Clock())
    assert refusal(lambda: kit.account.report_loss(typed, id_last6="100017"))["code"] == \
        "bad_card_no"
    assert kit.printing.printed == []


@pytest.mark.parametrize(("period", "today", "first", "last"), [
    ("this_month", date(2026, 12, 2), date(2026, 12, 1), date(2026, 12, 2)),
    ("last_month", date(2026, 1, 15), date(2025, 12, 1), date(2025, 12, 31)),
    ("last_3_months", date(2026, 12, 2), date(2026, 9, 3), date(2026, 12, 2)),
    ("last_3_months", date(2026, 1, 15), date(2025, 10, 16), date(2026, 1, 15)),
    ("last_3_months", date(2024, 5, 31), date(2024, 3, 1), date(2024, 5, 31)),  # no 31 Feb
    ("last_3_months", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
    ("last_30_days", date(2026, 3, 1), date(2026, 1, 31), date(2026, 3, 1)),
])
def test_statement_periods(period: str, today: date, first: date, last: date) -> None:
    assert period_dates(period, today) == (first, last)


def test_an_unknown_period_is_refused_and_names_the_periods() -> None:
    with pytest.raises(BadInput) as err:
        period_dates("last_year", date(2026, 12, 2))
    assert err.value.code == "bad_period" and "last_3_months" in err.value.message
    assert "最近3个月" in err.value.message_zh


def test_a_three_month_statement_reaches_back_past_thirty_days(make_kit: Any) -> None:
    kit = make_kit()
    kit.sessions.card_no = WANG
    now = kit.printing.now()
    for days in (60, 100):  # a purchase 60 days ago is in it, one 100 days ago is not
        kit.central.sql("INSERT INTO transactions (card_no, occurred_at, kind, amount_fen)"
                        " VALUES (?, ?, 'purchase', -100)",
                        WANG, int((now - timedelta(days=days)).timestamp()))
    month = kit.account.statement("last_30_days")
    quarter = kit.account.statement("last_3_months")
    assert (quarter["from"], quarter["to"]) == (
        period_dates("last_3_months", now.date())[0].isoformat(), now.date().isoformat())
    assert quarter["count"] == month["count"] + 1
    assert quarter["totals"]["purchases_fen"] == month["totals"]["purchases_fen"] + 100
    assert kit.printing.printed == ["statement", "statement"]


class TimeGarbledCentre:
    """A card centre that files the dispute but words the transaction's time wrongly."""

    def request(self, method: str, path: str, body: Any = None, *,
                idempotency_key: str | None = None) -> Any:
        return {"ticket_no": "D20261202000007",
                "transaction": {"id": 5, "occurred_at": "02/12/2026 08:15", "amount_fen": -300}}


def test_a_filed_dispute_whose_time_cannot_be_read_still_gives_the_ticket() -> None:
    from hardware.printer.receipts import ReceiptContext, build_receipt
    printing = FakePrinting()
    account = Account(sessions=FakeSessions(), central=TimeGarbledCentre(),  # type: ignore[arg-type]
                      printing=printing,  # type: ignore[arg-type]
                      state=KioskState(EventBus(keep=5), language="zh"),
                      terminal_id="440300000001", pin_block=lambda pin, card_no: "00" * 8)
    reply = account.dispute(5)
    assert reply["ticket_no"] == "D20261202000007" and reply["printed"] is True
    [slip] = printing.facts
    assert slip.ticket_no == reply["ticket_no"] and slip.transaction_when is None
    text = build_receipt(ReceiptContext("K1", "en", b"k"), slip).text
    assert "D20261202000007" in text and "3.00" in text
