"""Card numbers as anyone but the central side sees them: first 4 and last 4
(ARCHITECTURE.md, invariant 8). One rule for logs, screens and receipts, in the
kiosk and in the reference central server's logs alike.
"""

from __future__ import annotations

import re

__all__ = ["mask_card_no", "mask_card_numbers"]

# A run of 12+ digits standing alone (a card number in a path, a message, a URL);
# digits glued to letters are ids such as L261202052336A1B2C3, not card numbers.
_CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{12,}(?![0-9A-Za-z])")


def mask_card_no(card_no: str, *, spaced: bool = True) -> str:
    """``31044403000000100017`` → ``3104 **** **** 0017`` (screens, logs) or, with
    ``spaced=False``, ``3104****0017`` (narrow receipts). The middle is a fixed
    run of stars, so the length stays private; 8 digits or fewer are all masked."""
    digits = "".join(ch for ch in card_no if ch.isdigit())
    if len(digits) <= 8:
        return "*" * len(digits)
    middle = " **** **** " if spaced else "****"
    return f"{digits[:4]}{middle}{digits[-4:]}"


def mask_card_numbers(text: str) -> str:
    """``text`` (a log line, an error message, a URL) with every card number in it
    masked, unspaced so a path stays one word: ``GET /v1/cards/3104****0017``."""
    return _CARD_LIKE.sub(lambda m: mask_card_no(m.group(), spaced=False), text)
