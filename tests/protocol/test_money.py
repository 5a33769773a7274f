"""Money as people read it: integer fen as ``¥12.34``, never through a float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.money import format_fen


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
