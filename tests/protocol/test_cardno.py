"""The number printed on a card and the serial on its chip, both ways."""

from __future__ import annotations

import pytest

from config.schema import CITY_UNION_AID, T_UNION_AID
from protocol.cardno import printed_card_no, serial_for_typed


@pytest.mark.parametrize(("serial", "aid", "printed"), [
    ("03104440300000100017", T_UNION_AID, "3104440300000100017"),
    ("03104440300000100017", T_UNION_AID.lower(), "3104440300000100017"),
    ("31044403000000100033", CITY_UNION_AID, "31044403000000100033"),
    ("03104440300000100017", None, "03104440300000100017"),  # an order from before AIDs
])
def test_a_t_union_number_is_the_serial_without_its_pad_digit(serial: str, aid: str | None,
                                                               printed: str) -> None:
    assert printed_card_no(serial, aid) == printed


def test_a_typed_number_maps_back_to_the_serial() -> None:
    assert serial_for_typed("3104440300000100017") == "03104440300000100017"
    assert serial_for_typed("31044403000000100033") == "31044403000000100033"
    for serial, aid in (("03104440300000100017", T_UNION_AID),
                        ("31044403000000100033", CITY_UNION_AID)):
        assert serial_for_typed(printed_card_no(serial, aid)) == serial
