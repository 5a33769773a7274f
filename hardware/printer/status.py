"""Printer status from the real-time DLE EOT answers, parsed by our code.

``DLE EOT n`` (``10 04 n``) asks for one status byte: n=1 printer, 2 offline
cause, 3 error cause, 4 roll-paper sensor. A valid answer has bits 1 and 4 set
and bits 0 and 7 clear (``byte & 0x93 == 0x12``); anything else, or no answer,
counts as no answer. What nobody answered stays unknown: python-escpos's
``paper_status()`` reports "paper adequate" when the printer is silent, which
would let the kiosk promise a receipt it cannot print.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["QUERIES", "PaperState", "PrinterState", "PrinterStatus", "parse_status"]

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)


class PaperState(enum.StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


class PrinterState(enum.StrEnum):
    """One word for the operator and the UI, worst first."""

    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    ERROR = "error"
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    PAPER_NEAR_END = "paper_near_end"
    OK = "ok"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said; ``None`` fields were not answered."""

    online: bool | None
    paper: PaperState
    cover_open: bool | None
    error: bool | None
    answers: tuple[int | None, ...] = (None, None, None, None)
    detail: str = ""

    @property
    def state(self) -> PrinterState:
        if self.cover_open:
            return PrinterState.COVER_OPEN
        if self.paper is PaperState.OUT:
            return PrinterState.PAPER_OUT
        if self.error:
            return PrinterState.ERROR
        if self.online is False:
            return PrinterState.OFFLINE
        if self.online is None or self.paper is PaperState.UNKNOWN:
            return PrinterState.UNKNOWN
        if self.paper is PaperState.NEAR_END:
            return PrinterState.PAPER_NEAR_END
        return PrinterState.OK

    @property
    def can_print(self) -> bool:
        """False only when the printer *said* it cannot; unknown is not a refusal."""
        return self.state not in (
            PrinterState.COVER_OPEN, PrinterState.PAPER_OUT,
            PrinterState.ERROR, PrinterState.OFFLINE,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "online": self.online,
            "paper": self.paper.value,
            "cover_open": self.cover_open,
            "error": self.error,
            "answers": [None if a is None else f"{a:02X}" for a in self.answers],
            "detail": self.detail,
        }


UNKNOWN = PrinterStatus(None, PaperState.UNKNOWN, None, None)


def query_bytes(n: int) -> bytes:
    return DLE_EOT + bytes([n])


def _valid(answer: bytes | None) -> int | None:
    if not answer:
        return None
    byte = answer[-1]  # the newest byte, should a stale one precede it
    return byte if byte & 0x93 == 0x12 else None


def parse_status(answers: Mapping[int, bytes | None], detail: str = "") -> PrinterStatus:
    """Combine the answers to ``DLE EOT 1..4`` (missing keys: not answered)."""
    printer, offline, error, paper = (_valid(answers.get(n)) for n in QUERIES)
    online = None if printer is None else not printer & 0x08
    cover_open = None if offline is None else bool(offline & 0x04)
    if paper is not None:
        state = (
            PaperState.OUT if paper & 0x60
            else PaperState.NEAR_END if paper & 0x0C
            else PaperState.OK
        )
    elif offline is not None and offline & 0x20:
        state = PaperState.OUT  # printing stopped by paper end
    else:
        state = PaperState.UNKNOWN
    errors = [bool(b & mask) for b, mask in ((offline, 0x40), (error, 0x2C)) if b is not None]
    return PrinterStatus(
        online=online,
        paper=state,
        cover_open=cover_open,
        error=any(errors) if errors else None,
        answers=(printer, offline, error, paper),
        detail=detail,
    )
