"""The probe reports a screen only once Kivy has laid it out.

A screen (re)built in a clock callback has no positions until the layout
callbacks Kivy runs before the next frame: a view taken in that tick saw the
buttons at (0, 0) outside their rows (the "half laid out" screens of
tests/e2e/test_touch.py). Run in a child process: Kivy has one window per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"),
                                reason="needs an X display: make test runs under xvfb-run")

CHILD = r"""
import json, os, sys
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "800")
Config.set("graphics", "height", "480")
from kivy.base import EventLoop
EventLoop.ensure_window()
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kiosk.probe import Probe, WhenSettled

probe = Probe(__import__("pathlib").Path(sys.argv[1]))
root = BoxLayout(orientation="vertical", padding=20)
Window.add_widget(root)
views = []

def rebuild(_dt):
    # What a screen's draw does when the feed's snapshot arrives: new widgets in a
    # clock callback, then the probe asked for a view in the same tick.
    root.clear_widgets()
    row = BoxLayout(size_hint_y=None, height=60, spacing=12)
    for n in range(3):
        row.add_widget(Button(text=f"key {n}", size_hint_x=None, width=150))
    root.add_widget(Button(text="title"))
    root.add_widget(row)
    views.append({"when": "same tick", **probe.inspect(root, Window.size)})
    WhenSettled(lambda settled: views.append(
        {"when": "settled", "settled": settled, "frame": Clock.frames,
         **probe.inspect(root, Window.size)}))()
    views.append({"when": "built at", "frame": Clock.frames})

for _ in range(3):
    EventLoop.idle()
Clock.schedule_once(rebuild, 0)
for _ in range(8):
    EventLoop.idle()
print(json.dumps(views))
"""


def test_a_view_asked_for_in_the_tick_a_screen_is_built_waits_for_its_layout(
        tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    views = json.loads(done.stdout.strip().splitlines()[-1])
    now, built, settled = views[0], views[1], views[2:]
    # The race itself: taken at once, the view has the row's buttons outside it.
    assert any("outside its BoxLayout" in o for o in now["overflow"]), now
    # Written once, after the frame that laid the screen out: everything in its box.
    assert len(settled) == 1, settled
    assert settled[0]["settled"] is True
    assert settled[0]["frame"] > built["frame"]
    assert settled[0]["overflow"] == [], settled[0]["overflow"]
    xs = sorted(t["x"] for t in settled[0]["targets"] if t["text"].startswith("key"))
    assert len(xs) == 3 and xs[1] - xs[0] == pytest.approx(162, abs=1)  # 150 + 12 apart
