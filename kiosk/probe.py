"""The UI's test probe (``--probe-dir``): what the screen shows, as files.

After each snapshot is drawn the app writes ``ui.json`` (seq, screen,
language, central, daemon, every visible text in widget-tree order)
atomically; on SIGUSR1 it saves ``screenshot-N.png`` and then creates
``screenshot-N.done``. ``deploy/uiprobe.py`` reads these for the demo and the
end-to-end tests.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

__all__ = ["Probe"]


class Probe:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shots = 0

    def write_view(self, view: dict[str, Any]) -> None:
        tmp = self.dir / "ui.json.tmp"
        tmp.write_text(json.dumps(view, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.dir / "ui.json")

    def next_shot(self) -> Path:
        self.shots += 1
        return self.dir / f"screenshot-{self.shots}.png"

    def shot_saved(self, written: Path, wanted: Path) -> None:
        """Kivy adds a counter to screenshot names: move the file to the name asked for."""
        if written != wanted:
            shutil.move(written, wanted)
        (wanted.with_suffix(".done")).touch()
