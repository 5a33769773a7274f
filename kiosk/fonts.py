"""Finding a font that has Chinese glyphs: the configured one, else a known
install path. Without one every Chinese character would be a tofu box, so the
app refuses to start and names the package to install."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CJK_FONTS", "FontMissing", "find_cjk_font"]

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)


class FontMissing(RuntimeError):
    pass


def find_cjk_font(configured: Path | None = None,
                  candidates: tuple[Path, ...] = CJK_FONTS) -> Path:
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"ui.font {configured} does not exist")
        return configured
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing("no Chinese font found; install fonts-wqy-microhei "
                      "(apt install fonts-wqy-microhei) or set ui.font")
