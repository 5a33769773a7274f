"""Card numbers: the serial the chip holds and the number the issuer prints.

The e-purse's application serial is 10 bytes of BCD, 20 digits. A T-Union card
prints 19 of them: its first digit is a pad, not part of the number (metrodroid
reads it the same way); City Union cards print the serial whole. The central
API and the money journal speak serials; screens, receipts and the loss-report
keypad speak printed numbers (docs/decisions.md, "Card numbers as printed").
"""

from __future__ import annotations

__all__ = ["T_UNION_AID", "T_UNION_PAD", "printed_card_no", "serial_for_typed"]

T_UNION_AID = "A000000632010105"
#: The pad digit of a T-Union serial on the cards this issuer profile knows.
T_UNION_PAD = "0"


def printed_card_no(serial: str, aid: str | None) -> str:
    """The number as printed on the card whose application ``aid`` holds ``serial``;
    the serial itself when the AID is not known (an order journaled before AIDs were)."""
    if aid is not None and aid.upper() == T_UNION_AID and len(serial) == 20:
        return serial[1:]
    return serial


def serial_for_typed(number: str) -> str:
    """The serial of a card number typed as printed: 19 digits are a T-Union number
    (its serial is the pad digit and the number), 20 digits a serial already."""
    return T_UNION_PAD + number if len(number) == 19 else number
