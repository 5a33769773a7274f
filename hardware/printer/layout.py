"""From a :class:`~hardware.printer.model.Receipt` to rows of exact columns.

Both outputs — ESC/POS bytes and the PNG preview — are drawn from the same
rows, so they cannot disagree about where a word or an amount goes. Columns
come from the paper width: 58 mm paper prints 384 dots, 80 mm 576, and the
printer's 12×24 font (24×24 for CJK) gives 32 and 48 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.printer.errors import RenderError
from hardware.printer.model import Align, Blank, Receipt, Row, Rule, Text
from hardware.printer.text import cells, pad_between, wrap

__all__ = ["LayoutRow", "Paper", "QrRow", "TextRow", "layout"]

CELL_DOTS = 12  # one column of the printer's font A


@dataclass(frozen=True)
class Paper:
    """The roll: its width decides columns and dots."""

    width_mm: int = 80

    def __post_init__(self) -> None:
        if self.width_mm not in (58, 80):
            raise RenderError(f"paper width {self.width_mm} mm: only 58 and 80 mm are known")

    @property
    def dots(self) -> int:
        return 384 if self.width_mm == 58 else 576

    @property
    def columns(self) -> int:
        return self.dots // CELL_DOTS

    @property
    def qr_module_dots(self) -> int:
        """Size of one QR module: a code of about half the paper's width."""
        return 5 if self.width_mm == 58 else 6


@dataclass(frozen=True)
class TextRow:
    """One printed line: ``text`` is already padded to its place in the columns."""

    text: str
    bold: bool = False
    tall: bool = False


@dataclass(frozen=True)
class QrRow:
    payload: str


LayoutRow = TextRow | QrRow


def layout(receipt: Receipt, paper: Paper) -> list[LayoutRow]:
    """Title, body, QR code, footer — in columns for ``paper``."""
    cols = paper.columns
    rows: list[LayoutRow] = []
    rows += _text(Text(receipt.title, Align.CENTER, bold=True, tall=True), cols)
    rows.append(TextRow(""))
    for line in receipt.lines:
        if isinstance(line, Text):
            rows += _text(line, cols)
        elif isinstance(line, Row):
            rows += _row(line, cols)
        elif isinstance(line, Rule):
            rows.append(TextRow((line.char * cols)[:cols]))
        elif isinstance(line, Blank):
            rows.append(TextRow(""))
    if receipt.qr:
        rows.append(TextRow(""))
        rows.append(QrRow(receipt.qr))
        rows += _text(Text(receipt.reference, Align.CENTER), cols)
    if receipt.footer:
        rows.append(TextRow(""))
        for footer in receipt.footer:
            rows += _text(Text(footer, Align.CENTER), cols)
    return rows


def _text(line: Text, cols: int) -> list[LayoutRow]:
    out: list[LayoutRow] = []
    for piece in wrap(line.text, cols):
        room = cols - cells(piece)
        if line.align is Align.CENTER:
            piece = " " * (room // 2) + piece
        elif line.align is Align.RIGHT:
            piece = " " * room + piece
        out.append(TextRow(piece, bold=line.bold, tall=line.tall))
    return out


def _row(line: Row, cols: int) -> list[LayoutRow]:
    one = pad_between(line.label, line.value, cols)
    if one is not None:
        return [TextRow(one, bold=line.bold)]
    # Too long for one line: the label wraps, the value goes right on its own.
    out: list[LayoutRow] = [TextRow(p, bold=line.bold) for p in wrap(line.label, cols)]
    out += _text(Text(line.value, Align.RIGHT, bold=line.bold), cols)
    return out
