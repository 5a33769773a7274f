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

from config import DEFAULT_CONFIG, ConfigError, load_config
from kiosk.fonts import FontMissing, find_cjk_font

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="citycard-kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--probe-dir", type=Path, help="write ui.json and screenshots here")
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
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, str(font))

    from kiosk.app import KioskApp
    from kiosk.probe import Probe
    from protocol.localclient import LocalClient

    probe = Probe(args.probe_dir) if args.probe_dir else None
    KioskApp(LocalClient(cfg.kiosk_socket), default_language=cfg.kiosk.language,
             probe=probe).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
