"""Remote support for real: ``kioskctl screenshot`` asks kioskd, kioskd asks the
running Kivy UI over its event stream, the UI answers with the PNG of its
window on kiosk.sock. The PNG is a real image of the window's size showing the
screen the cardholder has (compared with the UI's own capture of it), and with
no UI connected the command ends with a clear error after its timeout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from deploy.stack import Stack
from deploy.uiprobe import UiProbe
from tests.e2e.sessionkit import CARD

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not os.environ.get("DISPLAY"),
                                 reason="needs an X display: make test runs under xvfb-run")]


def test_no_ui_connected_is_a_clear_error_after_the_timeout(stack: Stack,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    done = stack.kioskctl("screenshot", "--out", str(out), "--timeout", "2")
    assert done.returncode == 1
    assert "ui_no_answer" in done.stdout and "citycard-kiosk" in done.stdout
    assert not out.exists()
    as_json = json.loads(stack.kioskctl("--json", "screenshot", "--out", str(out),
                                        "--timeout", "1").stdout)
    assert as_json["error"] == "ui_no_answer" and as_json["details"] == {"timeout_s": 1.0}


def test_the_screenshot_is_what_the_cardholder_sees(stack: Stack, tmp_path: Path,
                                                    artifacts: Path) -> None:
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    ui = UiProbe(stack.start_ui(probe_dir), probe_dir)
    ui.wait_for(lambda v: v.get("ui_screen") == "attract", timeout=60, what="the attract screen")
    stack.kioskctl("sim", "tap", CARD)
    view = ui.wait_for(lambda v: v.get("ui_screen") == "home" and "¥86.50" in v["texts"],
                       what="the card's home screen")

    out = tmp_path / "remote.png"
    done = stack.kioskctl("--json", "screenshot", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert (result["width"], result["height"]) == tuple(view["size"]) == (1280, 800)
    assert result["bytes"] == out.stat().st_size and out.stat().st_mode & 0o077 == 0
    (artifacts / "remote-screenshot-home.png").write_bytes(out.read_bytes())

    with Image.open(out) as shot:
        assert shot.format == "PNG" and shot.size == (1280, 800)
        rgb = shot.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "a blank or nearly blank image"
    assert max(n for n, _ in colours) < 0.9 * 1280 * 800, "one colour fills the screen"
    # The same screen as the UI's own capture of it (a few pixels may differ: a
    # blinking cursor, the clock).
    with Image.open(ui.screenshot(tmp_path / "local.png")) as local:
        diff = ImageChops.difference(rgb, local.convert("RGB")).convert("L")
    differing = sum(diff.histogram()[17:])
    assert differing < 0.01 * 1280 * 800, f"{differing} pixels differ from the UI's own capture"

    human = stack.kioskctl("screenshot", "--out", str(tmp_path / "again.png"))
    assert human.returncode == 0 and "1280×800 PNG" in human.stdout
