"""Card numbers as anyone but the central side sees them: first 4 and last 4
(ARCHITECTURE.md, invariant 8). One rule for logs, screens and receipts."""

from __future__ import annotations

__all__ = ["mask_card_no"]


def mask_card_no(card_no: str, *, spaced: bool = True) -> str:
    """``31044403000000100017`` → ``3104 **** **** 0017`` (screens, logs) or, with
    ``spaced=False``, ``3104****0017`` (narrow receipts). The middle is a fixed
    run of stars, so the length stays private; 8 digits or fewer are all masked."""
    digits = "".join(ch for ch in card_no if ch.isdigit())
    if len(digits) <= 8:
        return "*" * len(digits)
    middle = " **** **** " if spaced else "****"
    return f"{digits[:4]}{middle}{digits[-4:]}"
