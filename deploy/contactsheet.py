"""A contact sheet per language of ``make demo``'s screenshots, for docs/ui.md.

Usage: ``python -m deploy.contactsheet [demo-out] [docs/img]`` writes
``ui-zh.png`` and ``ui-en.png``: every ``ui-<screen>-<lang>.png`` as a thumbnail
under its screen's name, in the walk's order.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["contact_sheet"]

THUMB = (320, 200)
COLUMNS = 6
CAPTION = 18


def contact_sheet(shots: list[Path], dest: Path) -> Path:
    rows = -(-len(shots) // COLUMNS)
    sheet = Image.new("RGB", (COLUMNS * (THUMB[0] + 8) + 8,
                              rows * (THUMB[1] + CAPTION + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for i, shot in enumerate(shots):
        x = 8 + (i % COLUMNS) * (THUMB[0] + 8)
        y = 8 + (i // COLUMNS) * (THUMB[1] + CAPTION + 8)
        with Image.open(shot) as img:
            sheet.paste(img.convert("RGB").resize(THUMB, Image.Resampling.LANCZOS),
                        (x, y + CAPTION))
        draw.text((x, y + 2), shot.stem.removeprefix("ui-").rsplit("-", 1)[0], fill="black")
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, optimize=True)
    return dest


def main(argv: list[str]) -> int:
    src = Path(argv[0] if argv else "demo-out")
    dest = Path(argv[1] if len(argv) > 1 else "docs/img")
    for lang in ("zh", "en"):
        shots = sorted(src.glob(f"ui-*-{lang}.png"), key=lambda p: p.stat().st_mtime)
        sys.stdout.write(f"wrote {contact_sheet(shots, dest / f'ui-{lang}.png')} "
                         f"({len(shots)} screens)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
