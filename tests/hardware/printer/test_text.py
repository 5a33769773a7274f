"""Masking and CJK-aware columns on a receipt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.printer.text import cells, fit, mask_card, mask_phone, pad_between, wrap


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
