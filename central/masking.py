"""Card numbers in the central server's logs: first 4 + last 4.

The same rule as the kiosk's ``hardware/masking.py`` (ARCHITECTURE.md,
invariant 8), kept as a copy because the central server may not import the
kiosk's ``hardware`` package; both belong in the shared protocol package once
it exists. tests/central/test_masking.py holds the two to the same answers.
"""

from __future__ import annotations

import re

__all__ = ["mask_card_numbers"]

# A run of 12+ digits standing alone; digits glued to letters are ids, not card numbers.
_CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{12,}(?![0-9A-Za-z])")


def mask_card_numbers(text: str) -> str:
    """``text`` (a path, a log line) with every card number masked: ``3104****0017``."""
    return _CARD_LIKE.sub(lambda m: f"{m.group()[:4]}****{m.group()[-4:]}", text)
