"""The one receipt model every receipt type is built from.

A :class:`Receipt` is a title, a body of lines, an optional QR payload and a
footer — nothing about paper width or printer commands. The layout
(:mod:`~hardware.printer.layout`) decides columns; the encoders decide bytes
and pixels. Builders for each receipt type are in
:mod:`~hardware.printer.receipts`.

Every piece of text is made printable when the model is built
(:func:`~hardware.printer.text.printable`): whatever a card, the central side or
an operator typed, no control character reaches the ESC/POS bytes (where it
would be a command) or the preview (where some make the text shaper fail).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from hardware.printer.text import printable

__all__ = ["Align", "Blank", "Line", "Receipt", "Row", "Rule", "Text"]


class Align(enum.StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper width."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    tall: bool = False  # double height

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))


@dataclass(frozen=True)
class Row:
    """A label on the left and a value (usually an amount) aligned right."""

    label: str
    value: str
    bold: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", printable(self.label))
        object.__setattr__(self, "value", printable(self.value))


@dataclass(frozen=True)
class Rule:
    """A full-width line of ``char``."""

    char: str = "-"

    def __post_init__(self) -> None:
        object.__setattr__(self, "char", printable(self.char) or "-")


@dataclass(frozen=True)
class Blank:
    """An empty line."""


Line = Text | Row | Rule | Blank


@dataclass(frozen=True)
class Receipt:
    """What a receipt says, in one language.

    ``kind`` names the builder (``"topup"``, ``"statement"``, …) and
    ``reference`` the journal's reference, printed and carried in the QR code.
    """

    kind: str
    language: str
    reference: str
    title: str
    lines: tuple[Line, ...]
    qr: str | None = None
    footer: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # The QR payload is data inside a length-prefixed GS ( k block, not text.
        for name in ("title", "reference"):
            object.__setattr__(self, name, printable(getattr(self, name)))
        object.__setattr__(self, "footer", tuple(printable(f) for f in self.footer))

    @property
    def text(self) -> str:
        """Plain text of the receipt (for logs, tests and the journal)."""
        parts = [self.title]
        for line in self.lines:
            if isinstance(line, Text):
                parts.append(line.text)
            elif isinstance(line, Row):
                parts.append(f"{line.label} {line.value}")
        parts += self.footer
        return "\n".join(parts)
