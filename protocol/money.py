"""Money as people read it: integer fen shown as ``¥12.34``.

Amounts cross every wire as integer fen; this is their one printed form, for
receipts, ``kioskctl`` and anything else that shows an amount the same way.
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
