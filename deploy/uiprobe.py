"""Drive a running UI process through its probe directory (``citycard-kiosk --probe-dir``).

The UI writes ``ui.json`` (screen, language, seq, every visible text) after
each snapshot it draws, and saves ``screenshot-N.png`` when it gets SIGUSR1.
The demo and the end-to-end tests read these to know what a cardholder sees.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["UiProbe"]


class UiProbe:
    def __init__(self, proc: subprocess.Popen[str], probe_dir: Path) -> None:
        self.proc = proc
        self.dir = probe_dir
        self._shots = 0

    def view(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.dir / "ui.json").read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20,
                 what: str = "the UI") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the UI exited with {self.proc.returncode}")
            last = self.view()
            if last is not None and predicate(last):
                return last
            time.sleep(0.05)
        raise TimeoutError(f"{what} not seen within {timeout} s; last UI view: {last}")

    def screenshot(self, dest: Path, timeout: float = 20) -> Path:
        """Ask the UI for a screenshot of what it shows now and move it to ``dest``."""
        self._shots += 1
        shot = self.dir / f"screenshot-{self._shots}.png"
        os.kill(self.proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while not (shot.exists() and (self.dir / f"screenshot-{self._shots}.done").exists()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no screenshot from the UI within {timeout} s")
            time.sleep(0.05)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(shot, dest)
        return dest


class TouchProbe(UiProbe):
    """A UI driven by touches only: a tap lands at the centre of the named target,
    through Kivy's touch dispatch (the app's double-touch filter included)."""

    def __init__(self, proc: subprocess.Popen[str], probe_dir: Path) -> None:
        super().__init__(proc, probe_dir)
        self._cmds = 0

    def command(self, data: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
        """Hand the UI one command and wait until it has handled it and drawn."""
        self._cmds += 1
        n = self._cmds
        tmp = self.dir / f"cmd.tmp-{n}"
        tmp.write_text(json.dumps(data), "utf-8")
        os.replace(tmp, self.dir / f"cmd-{n}.json")
        return self.wait_for(lambda v: v.get("cmd", 0) >= n, timeout, f"command {data}")

    def target(self, name: str, view: dict[str, Any] | None = None) -> dict[str, Any]:
        """The touch target named ``name`` (its ``name``, else its text) now on screen."""
        view = view or self.view() or {}
        for wanted in ("name", "text"):
            for t in view.get("targets", []):
                if t[wanted] == name:
                    return dict(t)
        raise LookupError(f"no target {name!r} on {view.get('ui_screen')}: "
                          f"{[(t['name'], t['text']) for t in view.get('targets', [])]}")

    def tap(self, name: str, timeout: float = 20) -> dict[str, Any]:
        target = self.target(name)
        return self.command({"tap": [target["x"], target["y"]]}, timeout)

    def wait_screen(self, name: str, timeout: float = 20,
                    also: Callable[[dict[str, Any]], bool] = lambda v: True) -> dict[str, Any]:
        return self.wait_for(lambda v: v.get("ui_screen") == name and also(v), timeout,
                             f"the {name} screen")

    def type_digits(self, digits: str) -> dict[str, Any]:
        view: dict[str, Any] = {}
        for d in digits:
            view = self.tap(f"key_{d}")
        return view
