"""Status parsing for every DLE EOT answer, including none."""

from __future__ import annotations

import pytest

from hardware.printer.status import PaperState, PrinterState, PrinterStatus, parse_status

OK = {1: b"\x12", 2: b"\x12", 3: b"\x12", 4: b"\x12"}


def status(**answers: bytes | None) -> PrinterStatus:
    merged: dict[int, bytes | None] = dict(OK)
    merged.update({int(k[1:]): v for k, v in answers.items()})
    return parse_status(merged)


CASES = [
    ("all clear", {}, PrinterState.OK, True, PaperState.OK, False, False),
    ("offline bit", {"n1": b"\x1a"}, PrinterState.OFFLINE, False, PaperState.OK, False, False),
    ("cover open", {"n1": b"\x1a", "n2": b"\x16"}, PrinterState.COVER_OPEN, False,
     PaperState.OK, True, False),
    ("paper near end (both sensor bits)", {"n4": b"\x1e"}, PrinterState.PAPER_NEAR_END, True,
     PaperState.NEAR_END, False, False),
    ("paper near end (one bit)", {"n4": b"\x16"}, PrinterState.PAPER_NEAR_END, True,
     PaperState.NEAR_END, False, False),
    ("paper out", {"n1": b"\x1a", "n2": b"\x32", "n4": b"\x72"}, PrinterState.PAPER_OUT, False,
     PaperState.OUT, False, False),
    ("paper out and near end bits", {"n4": b"\x7e"}, PrinterState.PAPER_OUT, True,
     PaperState.OUT, False, False),
    ("paper end stop without a sensor answer", {"n2": b"\x32", "n4": None},
     PrinterState.PAPER_OUT, True, PaperState.OUT, False, False),
    ("error occurred (offline cause)", {"n2": b"\x52"}, PrinterState.ERROR, True, PaperState.OK,
     False, True),
    ("autocutter error", {"n3": b"\x16"}, PrinterState.ERROR, True, PaperState.OK, False, True),
    ("unrecoverable error", {"n3": b"\x1a"}, PrinterState.ERROR, True, PaperState.OK, False,
     True),
    ("auto-recoverable (head hot)", {"n3": b"\x32"}, PrinterState.ERROR, True, PaperState.OK,
     False, True),
]


@pytest.mark.parametrize(
    ("answers", "state", "online", "paper", "cover", "error"),
    [c[1:] for c in CASES], ids=[c[0] for c in CASES],
)
def test_answers(answers: dict[str, bytes | None], state: PrinterState, online: bool,
                 paper: PaperState, cover: bool, error: bool) -> None:
    s = status(**answers)
    assert (s.state, s.online, s.paper, s.cover_open, s.error) == (
        state, online, paper, cover, error
    )


def test_no_answer_at_all_is_unknown_never_ok() -> None:
    s = parse_status({1: None, 2: b"", 3: None, 4: b""})
    assert s.state is PrinterState.UNKNOWN
    assert (s.online, s.paper, s.cover_open, s.error) == (None, PaperState.UNKNOWN, None, None)
    assert s.can_print  # unknown is not a refusal: the print goes ahead, honestly reported
    assert parse_status({}).state is PrinterState.UNKNOWN


def test_online_but_no_paper_answer_is_unknown() -> None:
    s = parse_status({1: b"\x12"})
    assert s.online is True and s.paper is PaperState.UNKNOWN
    assert s.state is PrinterState.UNKNOWN


@pytest.mark.parametrize("garbage", [b"\x00", b"\xff", b"\x13", b"\x92", b"A"])
def test_bytes_with_wrong_fixed_bits_count_as_no_answer(garbage: bytes) -> None:
    s = parse_status({1: garbage, 2: garbage, 3: garbage, 4: garbage})
    assert s.state is PrinterState.UNKNOWN
    assert s.answers == (None, None, None, None)


def test_newest_byte_wins_over_a_stale_one() -> None:
    s = parse_status({**OK, 4: b"\x12\x72"})
    assert s.paper is PaperState.OUT


@pytest.mark.parametrize(
    ("state", "can_print"),
    [({"n4": b"\x72"}, False), ({"n2": b"\x16"}, False), ({"n1": b"\x1a"}, False),
     ({"n3": b"\x16"}, False), ({"n4": b"\x1e"}, True), ({}, True)],
)
def test_can_print(state: dict[str, bytes], can_print: bool) -> None:
    assert status(**state).can_print is can_print


def test_to_dict_is_json_ready() -> None:
    d = status(n4=b"\x1e").to_dict()
    assert d == {
        "state": "paper_near_end", "online": True, "paper": "near_end", "cover_open": False,
        "error": False, "answers": ["12", "12", "12", "1E"], "detail": "",
    }
