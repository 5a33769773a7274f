"""Text on a receipt: masking, printable text, and column widths for a monospaced
printer (money is :func:`protocol.money.format_fen`, shared with ``kioskctl``).

Column arithmetic counts CJK (East Asian wide and full-width) characters as two
columns, the way the printer's 24×24 Chinese font prints them.
"""

from __future__ import annotations

import functools
import unicodedata

from protocol.masking import mask_card_no

__all__ = [
    "cells",
    "fit",
    "is_wide",
    "mask_card",
    "mask_phone",
    "pad_between",
    "printable",
    "wrap",
]


# Line and paragraph breaks, tabs and the other separators: a space, so "Li\u0085Lei"
# (NEL) prints as "Li Lei", not "LiLei".
_SPACES = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def printable(text: str) -> str:
    """``text`` with nothing a printer or the preview's text shaper must not be given.

    Every text of the receipt model passes here when it is built
    (:mod:`hardware.printer.model`): a control character (C0, DEL, C1) in ESC/POS is a
    command — ESC p opens a cash drawer — and some (NEL) make Pillow's raqm layout
    fail. Breaks and separators become a space (a run of them, one); other controls,
    format characters (zero-width, bidi overrides, BOM), surrogates, private-use and
    unassigned code points are dropped.
    """
    out: list[str] = []
    for ch in text:
        if ch in _SPACES:
            if not out or out[-1] != " ":  # "\r\n" is one break: one space
                out.append(" ")
        elif unicodedata.category(ch)[0] != "C":  # Cc Cf Cs Co Cn
            out.append(ch)
    return "".join(out)


def mask_card(number: str) -> str:
    """First 4 and last 4 digits, a fixed ``****`` between (:mod:`protocol.masking`)."""
    return mask_card_no(number, spaced=False)


def mask_phone(number: str) -> str:
    """``13812341234`` → ``138****1234``; short numbers keep only the last 4."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


@functools.lru_cache(maxsize=4096)
def is_wide(ch: str) -> bool:
    """Printed from the Chinese font, two columns: wide and full-width characters, and
    the ambiguous ones the single-byte code page lacks (“ ” — …), which only the
    Chinese font has (left narrow, they came out as "?")."""
    width = unicodedata.east_asian_width(ch)
    if width in ("W", "F"):
        return True
    if width == "A":
        try:
            ch.encode("cp437")
        except UnicodeEncodeError:
            return True
    return False


def cells(text: str) -> int:
    """Printer columns ``text`` takes (CJK counts two)."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to at most ``width`` columns, never through a wide character."""
    out, used = [], 0
    for ch in text:
        w = 2 if is_wide(ch) else 1
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap to ``width`` columns: Latin breaks at spaces, CJK anywhere."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(paragraph, width)
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in text:
        if is_wide(ch) or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _wrap_paragraph(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if cells(line) + cells(token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if token == " " else token
        while cells(line) > width:  # a word longer than the line
            head = fit(line, width)
            lines.append(head)
            line = line[len(head):]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def pad_between(left: str, right: str, width: int) -> str | None:
    """``left`` and ``right`` on one line of ``width`` columns, or None if they do not fit."""
    space = width - cells(left) - cells(right)
    if space < 1:
        return None
    return left + " " * space + right
