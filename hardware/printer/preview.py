"""Layout rows → a PNG-ready image, with the printer's geometry.

One column is 12 dots, a line 24 dots of glyph plus 6 of spacing (the ESC/POS
default 30-dot line), CJK glyphs 24×24 over two columns; bold is struck twice
one dot apart, tall rows are stretched to double height — as the printer does.
In raster mode this image is what gets printed.

Fonts: a CJK font is required (Debian: ``fonts-wqy-microhei``); a monospaced
Latin font is used when present (``fonts-dejavu-core``), else the CJK font.
They are found from a short list of known paths, then ``fc-list``.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.errors import FontNotFound
from hardware.printer.layout import CELL_DOTS, LayoutRow, Paper, QrRow, TextRow
from hardware.printer.text import is_wide

__all__ = ["CJK_FONT_PATHS", "find_font", "find_fonts", "load_fonts", "paint", "png_bytes"]

log = logging.getLogger(__name__)

CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
MONO_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
)
GLYPH = 24
LINE = 30
MARGIN = 12
BASELINE = 20

Font = ImageFont.FreeTypeFont


def find_font(paths: tuple[str, ...], fc_pattern: str) -> Path | None:
    """The first existing path, else the first font ``fc-list`` gives for ``fc_pattern``.

    ``fc-list`` rather than ``fc-match``: fc-match always names *some* font,
    and a Latin font chosen for Chinese would print empty boxes.
    """
    for candidate in paths:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(
                ["fc-list", fc_pattern, "file"],
                capture_output=True, text=True, timeout=5, check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        for line in sorted(listing.splitlines()):
            found = Path(line.strip().rstrip(":"))
            if found.suffix.lower() in (".ttf", ".ttc", ".otf") and found.is_file():
                return found
    return None


def find_fonts(
    cjk_paths: tuple[str, ...] = CJK_FONT_PATHS,
    mono_paths: tuple[str, ...] = MONO_FONT_PATHS,
    cjk_pattern: str = ":lang=zh-cn",
) -> tuple[Path, Path | None]:
    """The CJK font file (required) and a monospaced Latin one (None: use the CJK font)."""
    cjk_path = find_font(cjk_paths, cjk_pattern)
    if cjk_path is None:
        raise FontNotFound(
            "no CJK font for receipt previews and raster printing: install Debian's "
            "fonts-wqy-microhei (apt install fonts-wqy-microhei); looked in "
            + ", ".join(cjk_paths) + f" and fc-list {cjk_pattern}"
        )
    mono_path = find_font(mono_paths, ":spacing=mono")
    log.debug("receipt fonts: CJK %s, Latin %s", cjk_path, mono_path or cjk_path)
    return cjk_path, mono_path


def _open_fonts(cjk_path: Path, mono_path: Path | None) -> tuple[Font, Font]:
    cjk = ImageFont.truetype(str(cjk_path), GLYPH)
    mono = ImageFont.truetype(str(mono_path), 20) if mono_path else cjk
    return cjk, mono


def load_fonts(
    cjk_paths: tuple[str, ...] = CJK_FONT_PATHS,
    mono_paths: tuple[str, ...] = MONO_FONT_PATHS,
    cjk_pattern: str = ":lang=zh-cn",
) -> tuple[Font, Font]:
    """The CJK font (required) and a monospaced Latin one (else the CJK font)."""
    return _open_fonts(*find_fonts(cjk_paths, mono_paths, cjk_pattern))


@functools.cache
def _font_paths() -> tuple[Path, Path | None]:
    return find_fonts()  # found once (fc-list is a process); opened for each paint


def paint(rows: list[LayoutRow], paper: Paper) -> Image.Image:
    """The receipt as a greyscale image ``paper.dots`` wide.

    The fonts are opened for this paint and closed when it returns: FreeType
    maps the font file, and the CJK one keeps ~2.4 MB of it resident once a
    receipt has touched its glyphs — held for good by a kioskd that renders a
    receipt now and then. Opening them costs ~0.1 ms against ~20 ms of drawing
    (docs/PERFORMANCE.md, "Bringing kioskd under 60 MB")."""
    cjk, mono = _open_fonts(*_font_paths())
    parts: list[Image.Image] = []
    for row in rows:
        if isinstance(row, QrRow):
            parts.append(_qr_image(row.payload, paper))
        else:
            parts.append(_text_image(row, paper, cjk, mono))
    height = MARGIN * 2 + sum(p.height for p in parts)
    image = Image.new("L", (paper.dots, height), 255)
    y = MARGIN
    for part in parts:
        image.paste(part, ((paper.dots - part.width) // 2, y))
        y += part.height
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _text_image(row: TextRow, paper: Paper, cjk: Font, mono: Font) -> Image.Image:
    line = Image.new("L", (paper.dots, LINE), 255)
    draw = ImageDraw.Draw(line)
    col = 0
    for ch in row.text:
        wide = is_wide(ch)
        x = col * CELL_DOTS
        if ch != " ":
            font = cjk if wide else mono
            for dx in (0, 1) if row.bold else (0,):
                draw.text((x + dx, BASELINE), ch, font=font, fill=0, anchor="ls")
        col += 2 if wide else 1
    if row.tall:
        line = line.resize((paper.dots, LINE * 2), Image.Resampling.NEAREST)
    return line


def _qr_image(payload: str, paper: Paper) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix) * paper.qr_module_dots
    image = Image.new("L", (size, size + LINE // 2), 255)
    draw = ImageDraw.Draw(image)
    m = paper.qr_module_dots
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * m, y * m, x * m + m - 1, y * m + m - 1), fill=0)
    return image
