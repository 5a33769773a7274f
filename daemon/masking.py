"""Card numbers in logs and on the cardholder socket: the one rule in
:mod:`hardware.masking`."""

from __future__ import annotations

from hardware.masking import mask_card_no, mask_card_numbers

__all__ = ["mask_card_no", "mask_card_numbers"]
