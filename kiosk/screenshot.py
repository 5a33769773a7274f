"""Remote support from the UI's side: the PNG of the window, for an operator's
``kioskctl screenshot`` (kioskd asks with a ``screenshot`` event and takes the
answer on kiosk.sock; see daemon/screenshot.py).

Kivy's ``Window.screenshot`` reads the frame back from GL and writes a PNG file
(SDL2's own encoder); the file lives in a private temporary directory only
long enough to be read back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kivy.core.window import Window

__all__ = ["window_png"]


def window_png() -> bytes:
    """The window as the cardholder sees it, as PNG bytes (on the Kivy thread)."""
    with tempfile.TemporaryDirectory(prefix="citycard-screenshot-") as tmp:
        written = Window.screenshot(name=str(Path(tmp) / "screen.png"))
        if not written:
            raise RuntimeError("the window could not be captured")
        return Path(written).read_bytes()
