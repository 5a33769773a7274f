"""The UI's test probe (``--probe-dir``): what the screen shows, as files, and
touches from a test.

After each snapshot is drawn, once Kivy's layout has settled (:class:`WhenSettled`),
the app writes ``ui.json`` atomically: the daemon's
screen and the UI's, every visible text in widget-tree order, every touch target
with its centre in window pixels, the labels whose text does not fit their widget
or the window (``overflow``) and characters the font has no glyph for
(``missing_glyphs``). On SIGUSR1 it saves ``screenshot-N.png`` and then creates
``screenshot-N.done``. A test drops ``cmd-N.json`` files (a touch at a point, a
paste, a window size, …); ``ui.json``'s ``cmd`` is the last one handled.
``deploy/uiprobe.py`` reads and writes these for the demo and the tests.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["GlyphCheck", "Probe", "WhenSettled"]

# How many frames a view waits for the layout to settle before it is written anyway,
# marked ``"settled": false`` (a layout that never settles is a bug to see, not hide).
SETTLE_FRAMES = 60


class WhenSettled:
    """Calls ``write(settled)`` once Kivy has laid out what the app changed.

    Kivy lays widgets out in "before the next frame" clock callbacks (each layout's
    and each label's trigger, timeout -1), run in ``Clock.tick_draw`` after every
    ordinary callback of the frame. A view written from an ordinary callback in the
    same tick as a screen's (re)build — the feed's snapshot or an intent's answer
    scheduled for that tick — walked widgets never laid out: at (0, 0), 100 × 100,
    buttons "outside" their rows (docs/decisions.md). So the view waits while any
    such callback is pending: it is written at the start of the next tick, after
    that frame's layout pass and draw, and so on until none is left.
    """

    def __init__(self, write: Callable[[bool], None], *,
                 max_frames: int = SETTLE_FRAMES) -> None:
        from kivy.clock import Clock
        self._write = write
        self._max_frames = max_frames
        self._waited = 0
        self._clock = Clock
        self._retry = Clock.create_trigger(lambda _dt: self(), 0)  # the next tick

    def __call__(self) -> None:
        pending = bool(self._clock.get_before_frame_events())
        if pending and self._waited < self._max_frames:
            self._waited += 1
            self._retry()
            return
        self._waited = 0
        self._write(not pending)


class GlyphCheck:
    """Which characters a font draws as its "missing" box (tofu)."""

    def __init__(self, font: Path) -> None:
        from PIL import ImageFont
        self._font = ImageFont.truetype(str(font), 24)
        self._tofu = self._bitmap("\U000f0000")  # a private-use code point: no glyph
        self._known: dict[str, bool] = {}

    def _bitmap(self, ch: str) -> bytes:
        mask = self._font.getmask(ch)
        return bytes(mask) + repr(mask.size).encode()

    def missing(self, text: str) -> list[str]:
        out = []
        for ch in set(text):
            if ch.isspace():
                continue
            if ch not in self._known:
                self._known[ch] = self._bitmap(ch) == self._tofu
            if self._known[ch]:
                out.append(ch)
        return sorted(out)


def _outside_ancestor(w: Any) -> str:
    """The class of the first layout around ``w`` that it sticks out of (a box whose
    children need more room than it has pushes them over its edges), or ''."""
    x, y = w.to_window(*w.pos)
    parent = w.parent
    while parent is not None and parent.parent is not None and parent.parent is not parent:
        if hasattr(parent, "to_window") and parent.width > 0:
            px, py = parent.to_window(*parent.pos)
            if (x < px - 1 or y < py - 1 or x + w.width > px + parent.width + 1
                    or y + w.height > py + parent.height + 1):
                return type(parent).__name__
        parent = parent.parent
    return ""


def _broken_word(w: Any) -> bool:
    """Kivy breaks a word that is wider than the label: "Status" as "Statu / s"."""
    lines = getattr(getattr(w, "_label", None), "_cached_lines", None)
    if not lines or len(lines) < 2 or not w.text.isascii():
        return False
    words = set(w.text.split())
    for line in lines:
        joined = "".join(word.text for word in line.words)
        if any(token not in words for token in joined.split()):
            return True
    return False


class Probe:
    def __init__(self, directory: Path, font: Path | None = None) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shots = 0
        self.last_cmd = 0
        self.switch_ms: float | None = None  # the last touch that changed the screen
        self._glyphs = GlyphCheck(font) if font is not None else None

    def write_view(self, view: dict[str, Any]) -> None:
        view["cmd"] = self.last_cmd
        view["switch_ms"] = self.switch_ms
        tmp = self.dir / "ui.json.tmp"
        tmp.write_text(json.dumps(view, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.dir / "ui.json")

    def commands(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.dir.glob("cmd-*.json"), key=lambda p: int(p.stem[4:])):
            number = int(path.stem[4:])
            data = json.loads(path.read_text("utf-8"))
            path.unlink()
            found.append({**data, "n": number})
        return found

    def done(self, command: dict[str, Any]) -> None:
        self.last_cmd = max(self.last_cmd, int(command.get("n", 0)))

    def inspect(self, root: Any, window: tuple[float, float]) -> dict[str, Any]:
        """Texts, touch targets, and what does not fit, for the widgets on screen."""
        from kivy.uix.button import Button
        from kivy.uix.label import Label

        texts: list[str] = []
        targets: list[dict[str, Any]] = []
        overflow: list[str] = []
        width, height = window
        for w in root.walk(restrict=True):
            if not isinstance(w, Label) or not w.text.strip() or w.opacity == 0:
                continue
            texts.append(w.text)
            x, y = w.to_window(*w.pos)
            if isinstance(w, Button):
                targets.append({"name": getattr(w, "name", ""), "text": w.text,
                                "x": x + w.width / 2, "y": y + w.height / 2,
                                "disabled": bool(w.disabled)})
            tw, th = w.texture_size
            if tw > w.width + 1 or th > w.height + 1:
                overflow.append(f"clipped {w.text!r}: text {tw:.0f}×{th:.0f} in "
                                f"{w.width:.0f}×{w.height:.0f}")
            if x < -1 or y < -1 or x + w.width > width + 1 or y + w.height > height + 1:
                overflow.append(f"off the window {w.text!r} at {x:.0f},{y:.0f} "
                                f"{w.width:.0f}×{w.height:.0f}")
            outside = _outside_ancestor(w)
            if outside:
                overflow.append(f"outside its {outside} {w.text!r}")
            if _broken_word(w):
                overflow.append(f"a word broken across lines {w.text!r}")
        missing = self._glyphs.missing("".join(texts)) if self._glyphs else []
        return {"texts": texts, "targets": targets, "overflow": overflow,
                "missing_glyphs": missing, "size": [width, height]}

    def next_shot(self) -> Path:
        self.shots += 1
        return self.dir / f"screenshot-{self.shots}.png"

    def shot_saved(self, written: Path, wanted: Path) -> None:
        """Kivy adds a counter to screenshot names: move the file to the name asked for."""
        if written != wanted:
            shutil.move(written, wanted)
        (wanted.with_suffix(".done")).touch()
