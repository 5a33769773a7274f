"""Money formatting, masking and CJK-aware columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.printer.text import cells, fit, format_fen, mask_card, mask_phone, pad_between, wrap


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (1, "¥0.01"), (10, "¥0.10"), (1234, "¥12.34"), (100000, "¥1000.00"),
     (-5, "-¥0.05"), (-123456, "-¥1234.56")],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_format_fen_sign() -> None:
    assert format_fen(500, sign=True) == "+¥5.00"
    assert format_fen(-500, sign=True) == "-¥5.00"
    assert format_fen(0, sign=True) == "¥0.00"


@pytest.mark.parametrize("bad", [1.5, 12.0, True, "100"])
def test_format_fen_refuses_non_integers(bad: object) -> None:
    with pytest.raises(TypeError):
        format_fen(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_format_fen_round_trips_without_floats(fen: int) -> None:
    text = format_fen(fen)
    negative = text.startswith("-")
    yuan, cents = text.lstrip("-").removeprefix("¥").split(".")
    assert len(cents) == 2
    assert (int(yuan) * 100 + int(cents)) * (-1 if negative else 1) == fen


@pytest.mark.parametrize(
    ("number", "masked"),
    [("3104 0000 1234 5678 9012", "3104****9012"), ("3104123456789012", "3104****9012"),
     ("12345678", "********"), ("123456789", "1234****6789")],
)
def test_mask_card(number: str, masked: str) -> None:
    assert mask_card(number) == masked


def test_mask_phone() -> None:
    assert mask_phone("138-1234-1234") == "138****1234"
    assert mask_phone("87654321") == "****4321"


def test_cells_count_cjk_double() -> None:
    assert cells("abc") == 3
    assert cells("充值") == 4
    assert cells("¥12.34") == 6
    assert cells("（Z）") == 5


def test_fit_never_cuts_a_wide_character() -> None:
    assert fit("充值凭条", 5) == "充值"
    assert fit("ab充值", 3) == "ab"


def test_wrap_latin_at_spaces_and_cjk_anywhere() -> None:
    assert wrap("Tap this card at any kiosk", 12) == ["Tap this", "card at any", "kiosk"]
    assert wrap("请持本卡在任一自助终端刷卡", 10) == ["请持本卡在", "任一自助终", "端刷卡"]
    assert wrap("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]
    assert wrap("", 10) == [""]


@given(st.text(alphabet="ab 充值卡¥.1", max_size=80), st.integers(min_value=2, max_value=48))
def test_wrapped_lines_fit(text: str, width: int) -> None:
    assert all(cells(line) <= width for line in wrap(text, width))


def test_pad_between() -> None:
    assert pad_between("卡号", "3104****9012", 20) == "卡号" + " " * 4 + "3104****9012"
    assert pad_between("a" * 10, "b" * 10, 20) is None


def test_ambiguous_punctuation_missing_from_cp437_prints_from_the_chinese_font() -> None:
    from hardware.printer.encode import _text_bytes

    assert cells("“领取”") == 8  # the quotes are two columns, like the text around them
    assert b"?" not in _text_bytes("并选择“领取待圈存金额”—完")
    assert cells("·") == 1  # cp437 has the middle dot: it stays narrow
