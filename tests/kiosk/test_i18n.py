"""The cardholder's words: both languages for every key, money from integer fen."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.i18n import CARD_STATUS, CARD_TYPES, RECORD_KINDS, STRINGS, format_yuan, label, t


def test_every_text_exists_in_both_languages_and_they_differ() -> None:
    for key, (zh, en) in STRINGS.items():
        assert zh and en, key
        assert re.search(r"[\u4e00-\u9fff]", zh) or key == "switch_language", key
        assert not re.search(r"[\u4e00-\u9fff]", en) or key == "switch_language", key
        assert set(re.findall(r"{\w+}", zh)) == set(re.findall(r"{\w+}", en)), key


def test_switch_button_names_the_other_language() -> None:
    assert t("switch_language", "zh") == "English" and t("switch_language", "en") == "中文"


def test_fields_are_filled_and_unknown_languages_refused() -> None:
    assert t("receipt_not_printed", "en", ref="L1") == \
        "Receipt could not be printed — reference L1"
    with pytest.raises(ValueError):
        t("title", "fr")


def test_names_for_card_types_states_and_records() -> None:
    assert label(CARD_TYPES, "student", "zh") == "学生卡"
    assert label(CARD_STATUS, "lost", "en") == "Reported lost"
    assert label(RECORD_KINDS, "transit", "zh") == "乘车"
    assert label(CARD_TYPES, "martian", "en") == "martian"  # shown as sent, never a crash


@pytest.mark.parametrize(("fen", "shown"), [(0, "¥0.00"), (5, "¥0.05"), (100, "¥1.00"),
                                           (8650, "¥86.50"), (123456789, "¥1234567.89"),
                                           (-370, "-¥3.70")])
def test_format_yuan(fen: int, shown: str) -> None:
    assert format_yuan(fen) == shown


@pytest.mark.parametrize("bad", [86.5, "8650", True, None])
def test_format_yuan_takes_only_integer_fen(bad: object) -> None:
    with pytest.raises(TypeError):
        format_yuan(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_format_yuan_round_trips(fen: int) -> None:
    shown = format_yuan(fen)
    digits = shown.replace("¥", "").replace(",", "").replace(".", "")
    assert int(digits) == fen
