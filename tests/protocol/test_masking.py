"""One masking rule for screens, logs and receipts, in the kiosk and the central server."""

from __future__ import annotations

import pytest

from hardware.printer.text import mask_card
from protocol.masking import mask_card_no, mask_card_numbers


@pytest.mark.parametrize(("number", "spaced", "narrow"), [
    ("31044403000000100017", "3104 **** **** 0017", "3104****0017"),
    ("3104 4403 0000 0010 0017", "3104 **** **** 0017", "3104****0017"),
    ("123456789", "1234 **** **** 6789", "1234****6789"),
    ("12345678", "********", "********"),
    ("", "", ""),
])
def test_one_rule_for_screens_logs_and_receipts(number: str, spaced: str, narrow: str) -> None:
    assert mask_card_no(number) == spaced
    assert mask_card_no(number, spaced=False) == mask_card(number) == narrow


@pytest.mark.parametrize(("text", "masked"), [
    ("GET /v1/cards/31044403000000100017/transactions",
     "GET /v1/cards/3104****0017/transactions"),
    ("url: /v1/cards/31044403000000100017 (x) and 6222020200112233445",
     "url: /v1/cards/3104****0017 (x) and 6222****3445"),
    ("terminal 440300000001 at 1764655200", "terminal 4403****0001 at 1764655200"),
    ("order L2612020523368552 and LR20261202000001", "order L2612020523368552 and "
     "LR20261202000001"),
    ("account_no=100004", "account_no=100004"),
])
def test_card_numbers_in_text_are_masked(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == masked
