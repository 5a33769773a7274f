from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.fonts import FontMissing, find_cjk_font


def test_configured_font_wins_and_must_exist(tmp_path: Path) -> None:
    font = tmp_path / "my.ttf"
    font.write_bytes(b"x")
    assert find_cjk_font(font) == font
    with pytest.raises(FontMissing, match="does not exist"):
        find_cjk_font(tmp_path / "absent.ttf")


def test_first_installed_candidate_or_a_message_naming_the_package(tmp_path: Path) -> None:
    second = tmp_path / "b.ttc"
    second.write_bytes(b"x")
    assert find_cjk_font(None, (tmp_path / "a.ttc", second)) == second
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_cjk_font(None, (tmp_path / "a.ttc",))
