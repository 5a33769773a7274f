"""Card numbers in logs, receipts and on the cardholder socket: first 4 + last 4."""

from __future__ import annotations

__all__ = ["mask_card_no"]


def mask_card_no(card_no: str) -> str:
    """``31044403000000100017`` → ``3104 **** **** 0017``; short input is fully masked."""
    digits = card_no.replace(" ", "")
    if len(digits) < 12:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"
