"""The virtual card's modelled latency is its whole answer time: the card's own
work (crypto, the wallet written) happens inside it, not after it, so a load
window measured against it holds only the kiosk's and the network's time."""

from __future__ import annotations

from dataclasses import dataclass, field

from hardware.card.virtual import CardState, Faults, VirtualCard
from protocol.pboc.secure import load_mac2, load_session_key
from tests.hardware.card.cardkit import KEYS, TERMINAL, ZHANG, direct

DAY, CLOCK = bytes.fromhex("20261124"), bytes.fromhex("120000")


@dataclass
class FakeTime:
    """A clock that moves only when slept on (a zero sleep is one 0.1 ms tick, as the
    real one always moves on) or when the card's work is charged to it."""

    now: float = 100.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds or 0.0001


def _card(t: FakeTime, *, latency_ms: float, write_ms: float) -> tuple[VirtualCard, list[float]]:
    written: list[float] = []

    def save(state: CardState) -> None:  # the wallet's write, taking ``write_ms``
        t.now += write_ms / 1000
        written.append(t.now)

    vc = VirtualCard(CardState.from_json({"card_no": ZHANG, "balance_fen": 100}), KEYS,
                     faults=Faults(latency_ms={"*": latency_ms}), on_change=save,
                     random=lambda n: bytes(n), clock=t.clock, sleep=t.sleep)
    return vc, written


def _load(vc: VirtualCard, t: FakeTime, gap_s: float) -> None:
    purse = direct(vc)
    purse.select()
    init = purse.init_load(500, TERMINAL)
    t.now += gap_s  # the central round trip for the MAC2
    keys = KEYS.card_keys(ZHANG)
    ses = load_session_key(keys.dlk, init.random, init.online_counter)
    purse.credit_load(DAY, CLOCK, load_mac2(ses, 500, TERMINAL, DAY, CLOCK))


def test_the_wallet_write_is_inside_the_latency_not_added_to_it() -> None:
    t = FakeTime()
    vc, written = _card(t, latency_ms=25, write_ms=5)
    _load(vc, t, gap_s=0.050)
    (_, arrived, answered), = [e for e in vc.timeline if e[0] == b"\x80\x52"]
    assert round((answered - arrived) * 1000, 1) == 25.0  # not 25 + 5
    assert len(written) == 1 and arrived < written[0] <= answered  # saved before it answered
    # INITIALIZE arriving → CREDIT answered: 2 × L + the gap, to the tick.
    assert vc.load_window_ms is not None and abs(vc.load_window_ms - 100.0) < 0.2


def test_work_longer_than_the_latency_answers_when_done() -> None:
    t = FakeTime()
    vc, _ = _card(t, latency_ms=2, write_ms=10)
    _load(vc, t, gap_s=0)
    (_, arrived, answered), = [e for e in vc.timeline if e[0] == b"\x80\x52"]
    assert round((answered - arrived) * 1000, 1) == 10.0


def test_the_end_of_the_latency_is_not_left_to_one_long_sleep() -> None:
    t = FakeTime()
    vc, _ = _card(t, latency_ms=25, write_ms=0)
    direct(vc).select()
    # One sleep to 0.5 ms before the deadline, then zero sleeps: a timer's slack on
    # the one long sleep cannot make the answer late.
    assert t.sleeps[0] < 0.025 and round(t.sleeps[0], 4) == 0.0245
    assert all(s == 0 for s in t.sleeps[1:])
