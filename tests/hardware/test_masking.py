from __future__ import annotations

import pytest

from daemon.masking import mask_card_no as daemon_mask
from hardware.masking import mask_card_no
from hardware.printer.text import mask_card


@pytest.mark.parametrize(("number", "spaced", "narrow"), [
    ("31044403000000100017", "3104 **** **** 0017", "3104****0017"),
    ("3104 4403 0000 0010 0017", "3104 **** **** 0017", "3104****0017"),
    ("123456789", "1234 **** **** 6789", "1234****6789"),
    ("12345678", "********", "********"),
    ("", "", ""),
])
def test_one_rule_for_screens_logs_and_receipts(number: str, spaced: str, narrow: str) -> None:
    assert mask_card_no(number) == daemon_mask(number) == spaced
    assert mask_card_no(number, spaced=False) == mask_card(number) == narrow
