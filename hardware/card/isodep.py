"""The card side of ISO/IEC 14443-4 (ISO-DEP) for the virtual card.

Frames in, frames out (no CRC: nfcpy drivers strip it). Handles RATS/ATS,
I-blocks with block numbers, command chaining (answering R(ACK)), response
chaining (sending I-blocks with the chaining bit, one per R(ACK)), R(NAK)
(retransmit or R(ACK)), S(WTX) before slow answers, and S(DESELECT).

The card echoes the block number of the reader's I-block in its answer, which
is what toggling its own block number on every received I-block amounts to.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DEFAULT_ATS", "Deselected", "IsoDepCard"]

# TL=05, T0=78 (FSCI 8 = 256 bytes; TA, TB, TC follow), TA=80, TB=70 (FWI 7), TC=02.
DEFAULT_ATS = bytes.fromhex("0578807002")
_FSD = (16, 24, 32, 40, 48, 64, 96, 128, 256)


class Deselected(Exception):
    """A frame arrived after S(DESELECT); the card stays silent until the next field."""


class IsoDepCard:
    """Frames for one card. ``process`` answers one complete command APDU.

    ``max_inf``: the largest INF field the card puts in one I-block (response
    chaining above it; never more than the reader's FSD allows).
    ``wtx_above_ms``: commands whose latency exceeds this get an S(WTX) first.
    """

    def __init__(self, process: Callable[[bytes], bytes], *, ats: bytes = DEFAULT_ATS,
                 max_inf: int = 253, slow: Callable[[bytes], bool] | None = None) -> None:
        self._process = process
        self.ats = ats
        self._max_inf = max_inf
        self._slow = slow or (lambda _cmd: False)
        self._fsd = 256
        self._active = False
        self._deselected = False
        self._command = b""
        self._outgoing = b""
        self._last = b""
        self._waiting: tuple[bytes, int] | None = None
        self.frames = 0

    def reset(self) -> None:
        self.__init__(self._process, ats=self.ats, max_inf=self._max_inf,  # type: ignore[misc]
                      slow=self._slow)

    def frame(self, data: bytes) -> bytes:
        """The card's answer frame to the reader's ``data`` frame."""
        self.frames += 1
        if self._deselected:
            raise Deselected("the card was deselected")
        if not data:
            raise ValueError("empty frame")
        pcb = data[0]
        if not self._active:
            if pcb == 0xE0 and len(data) == 2:
                self._fsd = _FSD[min(data[1] >> 4, 8)]
                self._active = True
                return self._remember(self.ats)
            raise ValueError(f"frame {data.hex()} before RATS")
        if pcb & 0xE2 == 0x02:  # I-block
            return self._i_block(pcb, data[1:])
        if pcb & 0xE6 == 0xA2:  # R-block
            return self._r_block(pcb)
        if pcb & 0xF7 == 0xC2:  # S(DESELECT)
            self._deselected = True
            return bytes([0xC2])
        if pcb & 0xF7 == 0xF2 and self._waiting is not None:  # S(WTX) answered
            (command, bn), self._waiting = self._waiting, None
            return self._answer(command, bn)
        raise ValueError(f"unexpected frame {data.hex()}")

    def _remember(self, frame: bytes) -> bytes:
        self._last = frame
        return frame

    def _i_block(self, pcb: int, inf: bytes) -> bytes:
        bn = pcb & 0x01
        self._command += inf
        if pcb & 0x10:  # chaining: more of the command follows
            return self._remember(bytes([0xA2 | bn]))
        command, self._command = self._command, b""
        if self._slow(command):
            self._waiting = (command, bn)
            return self._remember(bytes([0xF2, 0x01]))
        return self._answer(command, bn)

    def _answer(self, command: bytes, bn: int) -> bytes:
        self._outgoing = self._process(command)
        return self._next_block(bn)

    def _next_block(self, bn: int) -> bytes:
        size = max(1, min(self._max_inf, self._fsd - 3))
        chunk, self._outgoing = self._outgoing[:size], self._outgoing[size:]
        chaining = 0x10 if self._outgoing else 0x00
        return self._remember(bytes([0x02 | chaining | bn]) + chunk)

    def _r_block(self, pcb: int) -> bytes:
        bn = pcb & 0x01
        if pcb & 0x10:  # R(NAK): presence check, or the reader missed our last frame
            return self._last if self._last and self._last[0] & 0x01 == bn else bytes([0xA2 | bn])
        if self._outgoing:  # R(ACK) during response chaining: the next block
            return self._next_block(bn)
        return self._last  # R(ACK) for a block we already sent: send it again
