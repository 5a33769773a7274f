"""Property tests: whatever a card answers, only the card layer's own errors come
out; and what the virtual card writes, the parsers read back."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.card.epurse import EPurse, find_fci_public
from hardware.card.errors import CardError
from hardware.card.isodep import Deselected, IsoDepCard
from hardware.card.model import CARD_TYPES, PublicInfo, parse_balance, parse_record
from protocol.pboc.secure import CardRecord
from tests.hardware.card.cardkit import AIDS, TERMINAL


class Scripted:
    """A card that answers with the given byte strings, in turn."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.n = 0

    def transmit(self, command: bytes) -> bytes:
        answer = self.answers[self.n % len(self.answers)]
        self.n += 1
        return answer


answers = st.lists(st.binary(max_size=40), min_size=1, max_size=12)
word_answers = st.lists(st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\x90\x00", b"\x6A\x82", b"\x6A\x83", b"\x61\x10", b"\x6C\x1E",
                     b"\x62\x83", b"\x93\x02", b"\x94\x01"]),
    st.binary(min_size=2, max_size=40).map(lambda b: b + b"\x90\x00")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(word_answers)
def test_any_answers_to_a_read_raise_only_card_errors(script: list[bytes]) -> None:
    purse = EPurse(Scripted(script), aids=AIDS)
    try:
        info = purse.read()
    except CardError:
        return
    assert len(info.card_no) == 20 and info.card_no.isdigit()


@settings(max_examples=200, deadline=None)
@given(word_answers)
def test_any_answers_to_value_commands_raise_only_card_errors(script: list[bytes]) -> None:
    purse = EPurse(Scripted(script), aids=AIDS)
    steps = ((lambda: purse.init_load(100, TERMINAL).raw, 16),
             (lambda: purse.credit_load(bytes(4), bytes(3), bytes(4)), 4),
             (lambda: purse.init_purchase(100, TERMINAL).raw, 15),
             (lambda: b"".join(purse.debit_purchase(1, bytes(4), bytes(3), bytes(4))), 8))
    for step, size in steps:
        try:
            answer = step()
        except CardError:
            continue
        assert len(answer) == size  # a value answer of the wrong size is never accepted


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_fci_parsing_never_raises(fci: bytes) -> None:
    found = find_fci_public(fci)
    assert found is None or len(found) == 30


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=30), max_size=8))
def test_random_frames_into_the_card_are_refused_cleanly(frames: list[bytes]) -> None:
    iso = IsoDepCard(lambda apdu: b"\x90\x00")
    for frame in [b"\xe0\x80", *frames]:
        try:
            answer = iso.frame(frame)
        except (ValueError, Deselected):
            continue
        # Every answer is a well-formed block: I (0x02/0x03, ±chaining), R(ACK), S, or the ATS.
        assert answer and (answer[0] & 0xE2 == 0x02 or answer[0] & 0xF6 == 0xA2
                           or answer[0] & 0xC7 == 0xC2 or answer == iso.ats)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(st.binary(min_size=8, max_size=8), st.integers(0, 255), st.integers(0, 255),
       st.from_regex(r"[0-9]{20}", fullmatch=True), dates, dates,
       st.sampled_from(sorted(CARD_TYPES.values())))
def test_public_info_round_trips(issuer: bytes, app_type: int, version: int, card_no: str,
                                 start: date, end: date, card_type: str) -> None:
    info = PublicInfo(issuer, app_type, version, card_no, start, end, card_type)
    assert PublicInfo.parse(info.to_bytes()) == info


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), st.sampled_from([1, 2, 6, 9]),
       st.binary(min_size=6, max_size=6),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_records_round_trip(counter: int, amount: int, tx_type: int, terminal: bytes,
                            when: datetime) -> None:
    stamp = bytes.fromhex(when.strftime("%Y%m%d%H%M%S"))
    record = CardRecord(counter, amount, tx_type, terminal, stamp[:4], stamp[4:])
    back = parse_record(record.to_bytes())
    assert back == record and back.timestamp == when.replace(microsecond=0)


@given(st.binary(max_size=8))
def test_balance_of_the_wrong_length_is_a_card_error(raw: bytes) -> None:
    try:
        value = parse_balance(raw)
    except CardError:
        assert len(raw) != 4
    else:
        assert len(raw) == 4 and 0 <= value <= 0x7FFFFFFF
