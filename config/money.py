"""Money as the cardholder reads it, on the screen and on paper: one formatter.

It lives in ``config`` because both the hardware layer (receipts) and the UI may
import ``config`` and neither may import the other (protocol ← config ←
hardware; kiosk → protocol, config).
"""

from __future__ import annotations

__all__ = ["format_fen"]


def format_fen(fen: int, *, sign: bool = False) -> str:
    """``1234`` → ``"¥12.34"``; negative ``"-¥12.34"``; ``sign=True`` adds ``"+"``.

    Integer arithmetic only: amounts never pass through a float.
    """
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are integer fen, not {type(fen).__name__}")
    yuan, cents = divmod(abs(fen), 100)
    prefix = "-" if fen < 0 else ("+" if sign and fen > 0 else "")
    return f"{prefix}¥{yuan}.{cents:02d}"
