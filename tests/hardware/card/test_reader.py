"""The reader service (production CardReader) over the simulated device: taps,
clear outcomes for cards that are not ours, unplug/replug, operations on the
card in the field, and the wallet behind the simulator."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nfc.clf
import nfc.tag.tt4
import pytest

from config.schema import ReaderSection
from hardware.card.errors import (
    CardBlocked,
    CardProtocolError,
    CardRemoved,
    ReaderUnavailable,
)
from hardware.card.nfc_reader import CardReader, translate
from hardware.card.sim import CardSimulator
from hardware.card.wallet import Wallet
from tests.hardware.card.cardkit import TERMINAL, ZHANG

BLOCKED = "03104440300000100074"


class Events:
    """The reader's listener: every call as (name, argument) on a queue."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.q.put((name, args[0] if args else None))

    def next(self, name: str, timeout: float = 10) -> Any:
        while True:
            got, arg = self.q.get(timeout=timeout)
            if got == name:
                return arg


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[CardSimulator, CardReader, Events]]:
    sim = CardSimulator(Wallet(tmp_path / "wallet.json"))
    events = Events()
    reader = CardReader("sim", settings=ReaderSection(), listener=events,
                        open_frontend=sim.open_frontend).start()
    assert events.next("reader_state") == "ready"
    yield sim, reader, events
    reader.close()


def test_a_tap_is_identified_read_and_removed(rig: Any) -> None:
    sim, reader, events = rig
    sim.tap(ZHANG)
    assert events.next("card_identified") == ZHANG
    card = events.next("card_read")
    assert (card.card_no, card.balance_fen, card.card_type) == (ZHANG, 8650, "ordinary")
    assert reader.card_no == ZHANG
    sim.remove()
    events.next("card_removed")
    assert reader.card_no is None


def test_cards_that_are_not_ours_and_a_blocked_one(rig: Any) -> None:
    sim, _, events = rig
    for foreign in ("bank-card", "mifare-classic"):
        sim.tap(foreign)
        assert events.next("card_unsupported")
        sim.remove()
        events.next("card_removed")
    sim.tap(BLOCKED)
    error = events.next("card_error")
    assert isinstance(error, CardBlocked) and error.card_no == BLOCKED
    assert error.code == "card_blocked" and "服务网点" in error.message_zh


def test_unplugged_and_back(rig: Any) -> None:
    sim, _, events = rig
    sim.unplug()
    assert events.next("reader_state") == "disconnected"
    sim.replug()
    assert events.next("reader_state", timeout=15) == "ready"
    sim.tap(ZHANG)
    assert events.next("card_read").card_no == ZHANG


def test_operations_run_on_the_card_in_the_field_only(rig: Any) -> None:
    sim, reader, events = rig
    with pytest.raises(CardRemoved):
        reader.submit(lambda purse: purse.balance())
    sim.tap(ZHANG)
    events.next("card_read")
    assert reader.submit(lambda purse: purse.balance()) == 8650
    init = reader.submit(lambda purse: purse.init_load(100, TERMINAL))
    assert init.balance_fen == 8650


def test_operations_run_on_their_callers_thread_one_exchange_at_a_time(rig: Any) -> None:
    """No hand-off to the reader thread and back inside a load's window; the card
    still sees one operation (or presence check) at a time."""
    sim, reader, events = rig
    sim.tap(ZHANG)
    events.next("card_read")
    inside: list[int] = []
    overlaps: list[int] = []

    def slow(purse: Any) -> str:
        inside.append(1)
        if len(inside) > 1:
            overlaps.append(len(inside))
        time.sleep(0.15)  # longer than the presence interval
        assert purse.balance() == 8650
        inside.pop()
        return threading.current_thread().name

    threads: list[str] = []
    workers = [threading.Thread(target=lambda: threads.append(reader.submit(slow)),
                                name=f"flow-{i}") for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert sorted(threads) == ["flow-0", "flow-1", "flow-2"] and overlaps == []
    sim.remove()
    assert events.next("card_removed") is None
    with pytest.raises(CardRemoved):
        reader.submit(lambda purse: purse.balance())


def test_an_ats_without_ta_tb_does_not_stop_the_reader(tmp_path: Path) -> None:
    sim = CardSimulator(Wallet(tmp_path / "w.json"), ats=bytes.fromhex("0200"))
    events = Events()
    reader = CardReader("sim", settings=ReaderSection(), listener=events,
                        open_frontend=sim.open_frontend).start()
    try:
        events.next("reader_state")
        sim.tap(ZHANG)  # nfcpy indexes ATS bytes that are not there
        assert isinstance(events.next("card_error"), CardProtocolError)
        sim.remove()
        time.sleep(0.5)  # the card is lifted for a moment (the reader waits for that)
        sim._ats = bytes.fromhex("0578807002")  # the next card has a proper ATS
        sim.tap(ZHANG)
        assert events.next("card_read").card_no == ZHANG  # the reader lived on
    finally:
        reader.close()


@pytest.mark.parametrize(("raised", "expected"), [
    (nfc.tag.tt4.Type4TagCommandError(0), CardRemoved),
    (nfc.tag.tt4.Type4TagCommandError(-1), CardRemoved),
    (nfc.tag.tt4.Type4TagCommandError(-2), CardRemoved),
    (nfc.tag.tt4.Type4TagCommandError(0x6A82), CardProtocolError),
    (nfc.clf.BrokenLinkError("gone"), CardRemoved),
    (nfc.clf.TimeoutError("slow"), CardRemoved),
    (IndexError("ats"), CardProtocolError),
    (OSError(19, "No such device"), ReaderUnavailable),
])
def test_every_nfcpy_failure_becomes_our_error(raised: Exception, expected: type) -> None:
    with pytest.raises(expected) as err, translate("test"):
        raise raised
    assert err.value.__cause__ is raised


def test_the_wallet_persists_and_is_read_at_every_tap(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    wallet = Wallet(path)
    assert ZHANG in wallet.card_nos() and "bank-card" in wallet.card_nos()
    data = json.loads(path.read_text("utf-8"))
    data["cards"][ZHANG]["balance_fen"] = 12345
    path.write_text(json.dumps(data), "utf-8")
    sim = CardSimulator(wallet)
    vc = sim.tap(ZHANG)
    assert vc.state.balance_fen == 12345
    vc.state.balance_fen = 500
    wallet.save(vc.state)
    assert CardSimulator(Wallet(path)).tap(ZHANG).state.balance_fen == 500  # a restart
    with pytest.raises(KeyError):
        sim.tap("31044403999999999999")
