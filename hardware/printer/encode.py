"""Layout rows → ESC/POS bytes.

Two encodings, chosen by config (``printer.chinese``):

* ``gb18030`` — text mode for printers with a Chinese font. Runs of CJK
  characters are sent as GB18030 inside the printer's Chinese mode
  (``FS &`` … ``FS .``); everything else in code page PC437, where ``¥`` is
  one byte (0x9D) and one column. English-only lines never enter Chinese mode.
  The QR code is the printer's own (``GS ( k``).
* ``raster`` — for printers without a Chinese font: the preview image itself,
  sent as ``GS v 0`` raster bands. What the preview shows is what prints.

We write these few commands ourselves rather than through python-escpos's
``text()``/``set()``: its text path knows only single-byte code pages, and its
output depends on the printer profile, which golden byte tests must not.
"""

from __future__ import annotations

import logging

from PIL import Image

from hardware.printer.layout import LayoutRow, Paper, QrRow
from hardware.printer.text import is_wide

__all__ = ["encode_raster", "encode_text"]

log = logging.getLogger(__name__)

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CODEPAGE_PC437 = ESC + b"t\x00"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
TALL_ON, SIZE_NORMAL = GS + b"!\x01", GS + b"!\x00"
ALIGN_LEFT, ALIGN_CENTER = ESC + b"a\x00", ESC + b"a\x01"
FEED_AND_CUT = ESC + b"d\x04" + GS + b"V\x01"  # feed 4 lines, partial cut
RASTER_BAND_ROWS = 256  # keep each GS v 0 block within small printers' buffers
QR_EC_M = 49


def encode_text(rows: list[LayoutRow], paper: Paper) -> bytes:
    """Text-mode ESC/POS: GB18030 Chinese runs, PC437 otherwise, native QR."""
    out = bytearray(INIT + CODEPAGE_PC437 + CHINESE_OFF)
    for row in rows:
        if isinstance(row, QrRow):
            out += ALIGN_CENTER + _qr(row.payload, paper.qr_module_dots) + ALIGN_LEFT
            continue
        if row.bold:
            out += BOLD_ON
        if row.tall:
            out += TALL_ON
        out += _text_bytes(row.text) + LF
        if row.tall:
            out += SIZE_NORMAL
        if row.bold:
            out += BOLD_OFF
    out += FEED_AND_CUT
    return bytes(out)


def encode_raster(image: Image.Image) -> bytes:
    """Raster ESC/POS of a receipt image: ``GS v 0`` bands, then feed and cut."""
    mono = image.convert("L").point(lambda v: 255 if v < 128 else 0, mode="1")
    width_bytes = (mono.width + 7) // 8
    out = bytearray(INIT)
    for top in range(0, mono.height, RASTER_BAND_ROWS):
        band = mono.crop((0, top, mono.width, min(top + RASTER_BAND_ROWS, mono.height)))
        out += GS + b"v0\x00" + _le16(width_bytes) + _le16(band.height) + band.tobytes()
    out += FEED_AND_CUT
    return bytes(out)


def _text_bytes(text: str) -> bytes:
    out = bytearray()
    chinese = False
    for ch in text:
        wide = is_wide(ch)
        if wide != chinese:
            out += CHINESE_ON if wide else CHINESE_OFF
            chinese = wide
        out += _encode_char(ch, wide)
    if chinese:
        out += CHINESE_OFF
    return bytes(out)


def _encode_char(ch: str, wide: bool) -> bytes:
    try:
        return ch.encode("gb18030" if wide else "cp437")
    except UnicodeEncodeError:
        log.warning("character %r cannot be printed in text mode; printed as '?'", ch)
        return b"?"


def _qr(payload: str, module_dots: int) -> bytes:
    data = payload.encode("utf-8")
    return (
        _gs_k(b"1A", b"\x32\x00")  # model 2
        + _gs_k(b"1C", bytes([module_dots]))
        + _gs_k(b"1E", bytes([QR_EC_M]))
        + _gs_k(b"1P0", data)  # store
        + _gs_k(b"1Q0", b"")  # print
    )


def _gs_k(function: bytes, data: bytes) -> bytes:
    return GS + b"(k" + _le16(len(function) + len(data)) + function + data


def _le16(n: int) -> bytes:
    return bytes((n & 0xFF, n >> 8))
