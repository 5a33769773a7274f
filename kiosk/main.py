"""citycard-kiosk: the touchscreen application (Kivy), a thin view of kioskd.

Usage: ``citycard-kiosk [--config PATH] [--probe-dir DIR]``. It connects to
``kiosk.sock`` from the config, draws the daemon's state and sends intents.
With ``--probe-dir`` it reports what it shows for tests and the demo
(``kiosk/probe.py``) and runs in a 1280×800 window.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from config import ConfigError, load_config
from kiosk.api import DEFAULT_CONFIG
from kiosk.fonts import FontMissing, find_cjk_font

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="citycard-kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--probe-dir", type=Path, help="write ui.json and screenshots here")
    parser.add_argument("--size", default="1280x800",
                        help="window size with --probe-dir or a windowed config (WxH)")
    parser.add_argument("--probe-no-glyphs", action="store_true",
                        help="with --probe-dir: skip the missing-glyph check (it loads the font "
                             "a second time, in Pillow; the memory bench leaves it out)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"citycard-kiosk: config: {problem}\n")
        return 2
    try:
        font = find_cjk_font(cfg.ui.font)
    except FontMissing as exc:
        sys.stderr.write(f"citycard-kiosk: {exc}\n")
        return 2

    # Kivy reads these at import time: set them first.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config

    windowed = args.probe_dir is not None or not cfg.ui.fullscreen
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        sys.stderr.write(f"citycard-kiosk: --size {args.size!r} is not WxH\n")
        return 2
    lock_down(Config, windowed=windowed, width=width, height=height)
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, str(font))

    from kiosk.api import LocalClient
    from kiosk.app import KioskApp
    from kiosk.probe import Probe

    probe = (Probe(args.probe_dir, None if args.probe_no_glyphs else font)
             if args.probe_dir else None)
    KioskApp(LocalClient(cfg.kiosk_socket), default_language=cfg.kiosk.language,
             probe=probe, hotline=cfg.service.hotline,
             idle_timeout_s=float(cfg.ui.idle_timeout_s)).run()
    return 0


def lock_down(config: Any, *, windowed: bool, width: int, height: int) -> None:
    """Kivy's settings for a kiosk in a public place (docs/ui.md lists them)."""
    config.set("kivy", "exit_on_escape", "0")        # ESC does not close the app
    config.set("kivy", "pause_on_minimize", "0")
    config.set("kivy", "keyboard_mode", "system")    # never pop up a virtual keyboard
    # No multisampling: the look is flat rectangles and text (antialiased by the font
    # renderer, not by MSAA). Kivy's default of 2 samples cost a multisampled frame
    # buffer and its resolve on every frame: in software GL (llvmpipe) ~16 MB and half
    # of a screen switch (docs/PERFORMANCE.md); on a Pi, GPU fill rate.
    config.set("graphics", "multisamples", "0")
    config.set("graphics", "fullscreen", "0" if windowed else "auto")
    config.set("graphics", "borderless", "1")        # no window decorations to close it by
    config.set("graphics", "width", str(width))
    config.set("graphics", "height", str(height))
    config.set("graphics", "resizable", "0")
    # The touch panel has no pointer: hide it on the kiosk, keep it for a developer.
    config.set("graphics", "show_cursor", "1" if windowed else "0")
    # No red multitouch-emulation dots on a right click.
    config.set("input", "mouse", "mouse,disable_multitouch")


if __name__ == "__main__":
    sys.exit(main())
