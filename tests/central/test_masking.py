"""The central server's copy of the masking rule gives the kiosk's answers."""

from __future__ import annotations

import pytest

from central.masking import mask_card_numbers as central_mask
from hardware.masking import mask_card_numbers


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
def test_both_sides_mask_card_numbers_in_text_alike(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == central_mask(text) == masked
