"""ESC/POS encoding: GB18030 in Chinese mode, PC437 otherwise, QR, raster."""

from __future__ import annotations

import pytest

from hardware.printer import ReceiptPrinter
from hardware.printer.encode import encode_raster, encode_text
from hardware.printer.layout import Paper, QrRow, TextRow, layout
from hardware.printer.preview import paint
from hardware.printer.samples import SAMPLE_KINDS, sample_receipt
from hardware.printer.text import cells
from tests.hardware.printer.escpos_reader import read

FS_ON, FS_OFF = b"\x1c&", b"\x1c."


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_bytes_read_back_as_the_layout(kind: str, language: str, width: int) -> None:
    paper = Paper(width)
    rows = layout(sample_receipt(kind, language, paper.columns), paper)
    printed = read(encode_text(rows, paper))
    text_rows = [r for r in rows if isinstance(r, TextRow)]
    assert printed.lines == [(r.text, r.bold, r.tall) for r in text_rows]
    assert printed.qr == [r.payload for r in rows if isinstance(r, QrRow)]
    assert printed.cut
    assert all(cells(t) <= paper.columns for t in printed.text)
    assert max(cells(t) for t in printed.text) == paper.columns  # rules use the full width


def test_chinese_lines_are_gb18030_inside_fs_and() -> None:
    paper = Paper(80)
    data = encode_text(layout(sample_receipt("topup", "zh"), paper), paper)
    assert FS_ON + "充值凭条".encode("gb18030") + FS_OFF in data
    assert FS_ON + "充值后余额".encode("gb18030") + FS_OFF in data
    assert "充值凭条".encode("gb18030") == b"\xb3\xe4\xd6\xb5\xc6\xbe\xcc\xf5"
    # the amount after the label is outside Chinese mode, ¥ as PC437 0x9D
    assert FS_OFF + b" " in data and b"\x9d173.45" in data


def test_mixed_line_switches_modes_per_run() -> None:
    paper = Paper(58)
    data = encode_text([TextRow("地铁2号线 Metro")], paper)
    assert FS_ON + "地铁".encode("gb18030") + FS_OFF + b"2" + FS_ON + "号线".encode(
        "gb18030"
    ) + FS_OFF + b" Metro\n" in data


def test_english_receipts_never_enter_chinese_mode() -> None:
    paper = Paper(80)
    for kind in SAMPLE_KINDS:
        if kind == "test":
            continue  # the test page prints a Chinese sample on purpose
        data = encode_text(layout(sample_receipt(kind, "en"), paper), paper)
        assert FS_ON not in data, kind
        assert b"\x9d" in data or kind in ("loss", "feedback", "loss_cancel"), kind


def test_init_cancels_chinese_mode_and_selects_pc437() -> None:
    paper = Paper(58)
    data = encode_text([TextRow("x")], paper)
    assert data.startswith(b"\x1b@\x1bt\x00\x1c.")


def test_unprintable_character_becomes_question_mark() -> None:
    paper = Paper(58)
    assert b"a?b\n" in encode_text([TextRow("a\u2603b")], paper)


def test_qr_native_commands() -> None:
    paper = Paper(80)
    payload = "CC1|K|R|0011223344556677"
    data = encode_text([QrRow(payload)], paper)
    n = len(payload) + 3
    assert b"\x1d(k" + bytes([n, 0]) + b"1P0" + payload.encode() in data
    assert b"\x1d(k\x03\x001C\x06" in data  # module size 6 dots on 80 mm
    assert b"\x1d(k\x03\x001Q0" in data
    assert read(data).qr_module == [6]


@pytest.mark.parametrize("width", [58, 80])
def test_raster_mode_prints_the_preview_image(width: int) -> None:
    with ReceiptPrinter(paper_width_mm=width, chinese="raster") as printer:
        printed = printer.print_receipt(sample_receipt("statement", "zh"))
    result = read(printed.data)
    assert FS_ON not in printed.data
    assert "账户".encode("gb18030") not in printed.data
    assert result.lines == [] and result.cut
    widths = {xb for xb, _ in result.raster}
    assert widths == {Paper(width).dots // 8}
    assert printed.png is not None
    image = paint(layout(sample_receipt("statement", "zh"), Paper(width)), Paper(width))
    assert sum(rows for _, rows in result.raster) == image.height
    assert all(rows <= 256 for _, rows in result.raster)


def test_raster_bits_are_black_dots() -> None:
    from PIL import Image

    image = Image.new("L", (16, 2), 255)
    image.putpixel((0, 0), 0)
    image.putpixel((15, 1), 0)
    data = encode_raster(image)
    assert data.startswith(b"\x1b@\x1dv0\x00\x02\x00\x02\x00")
    assert data[10:14] == b"\x80\x00\x00\x01"
