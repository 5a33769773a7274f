"""Touch → next screen drawn, and the UI's memory after many taps.

Runs central + ``kioskd --simulate`` + the UI (``--probe-dir``) under the
current X display, then touches Help and Back alternately ``--taps`` times
from the attract screen (touches dispatched at the buttons' centres). The UI measures
each switch from the touch to the first frame after the new screen is built
(``switch_ms`` in ui.json). Then the UI's RSS is compared with a bare Kivy app
showing one label in the same font.

Usage: ``xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m bench.ui_switch``

``--profile FILE`` samples the UI with py-spy (``pip install py-spy``; not a
dependency of the kiosk) during the taps, native frames included, writes the
collapsed stacks to FILE and prints the functions that hold the most samples.
``--tracemalloc DIR`` runs the UI with ``bench/tracemalloc_hook`` and prints
where the Python heap grew between the first and the last tap.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import pct, save
from deploy.stack import Stack
from deploy.uiprobe import TouchProbe
from kiosk.fonts import find_cjk_font

HOOK = Path(__file__).with_name("tracemalloc_hook")

BARE = """
import os, sys
os.environ["KIVY_NO_ARGS"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "1280"); Config.set("graphics", "height", "800")
Config.set("graphics", "multisamples", sys.argv[2])
from kivy.core.text import DEFAULT_FONT, LabelBase
LabelBase.register(DEFAULT_FONT, sys.argv[1])
from kivy.app import App
from kivy.uix.label import Label
class Bare(App):
    def load_kv(self, filename=None):  # no kv file; and -c code has no source file
        return False
    def build(self):
        return Label(text="城市一卡通 CityCard ¥86.50", font_size=40)
Bare().run()
"""


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def reclaimed(curve: list[int]) -> bool:
    """Whether the kernel took pages back from the UI during the taps: its RSS fell
    by more than a tenth between two samples (seen on the shared machine, when other
    jobs pressed on memory: 147 MB to 75 MB at once, the UI still running). Such a
    run's "after" figure is not the UI's own: the bench says so and it is not a result."""
    return any(later < 0.9 * max(curve[:i + 1]) for i, later in enumerate(curve[1:]))


def bare_rss(font: Path, multisamples: int = 2, settle_s: float = 4.0) -> int:
    """A bare Kivy app's RSS; ``multisamples`` 2 is Kivy's default, the kiosk sets 0."""
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(font), str(multisamples)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(settle_s)
        return rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def profile_summary(collapsed: Path, top: int = 25) -> list[tuple[str, float, float]]:
    """(function, % of samples inside it, % of samples in it itself), busiest first."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = [f.split(" (")[0] for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        own[frames[-1]] += n
    total = max(total, 1)
    return [(name, 100 * n / total, 100 * own[name] / total)
            for name, n in inclusive.most_common(top)]


def _tm_request(folder: Path, name: str, timeout: float = 60) -> None:
    """Ask the UI's tracemalloc hook for ``start`` or a ``dump-NAME`` and wait for it."""
    (folder / name).touch()
    deadline = time.monotonic() + timeout
    while (folder / name).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the UI's tracemalloc hook did not answer {name}")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=500)
    parser.add_argument("--profile", type=Path, help="py-spy the UI; collapsed stacks here")
    parser.add_argument("--tracemalloc", type=Path, help="trace the UI's heap; snapshots here")
    parser.add_argument("--glyph-check", action="store_true",
                        help="keep the probe's missing-glyph check (a second copy of the font, "
                             "in Pillow, that only tests use; left out by default so the RSS "
                             "is the kiosk's own plus the probe's bookkeeping)")
    args = parser.parse_args(argv)
    switches: list[float] = []
    rss_curve: list[int] = []  # every 50 taps: growth per tap, or a plateau after the first
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp) / "kiosk") as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        probe_dir = stack.workdir / "ui-probe"
        probe_dir.mkdir()
        if args.tracemalloc is not None:  # the UI only: kioskd and central are up already
            args.tracemalloc.mkdir(parents=True, exist_ok=True)
            os.environ.update(TM_DIR=str(args.tracemalloc), PYTHONPATH=str(HOOK))
        ui = TouchProbe(stack.start_ui(probe_dir, () if args.glyph_check
                                       else ("--probe-no-glyphs",)), probe_dir)
        os.environ.pop("TM_DIR", None)
        os.environ.pop("PYTHONPATH", None)
        ui.wait_screen("attract", timeout=60)
        time.sleep(1)
        if args.tracemalloc is not None:
            _tm_request(args.tracemalloc, "start")
            for i in range(20):  # warm-up: every screen of the loop drawn once, traced
                ui.tap("help" if i % 2 == 0 else "back")
            _tm_request(args.tracemalloc, "dump-before")
        start_rss = rss_kib(ui.proc.pid)
        spy = None
        if args.profile is not None:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                    "--pid", str(ui.proc.pid), "--native", "--rate", "250",
                                    "--format", "raw", "--output", str(args.profile)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        for i in range(args.taps):
            # From the attract screen (the card screen would time out in kioskd meanwhile)
            name, back = ("help", "help") if i % 2 == 0 else ("back", "attract")
            view = ui.tap(name)
            view = ui.wait_screen(back, also=lambda v: v.get("switch_ms") is not None)
            switches.append(float(view["switch_ms"]))
            if (i + 1) % 50 == 0:
                rss_curve.append(rss_kib(ui.proc.pid))
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        time.sleep(1)
        end_rss = rss_kib(ui.proc.pid)
        end_parts = [rss_kib(ui.proc.pid, "RssAnon"), rss_kib(ui.proc.pid, "RssFile")]
        if args.tracemalloc is not None:
            _tm_request(args.tracemalloc, "dump-after")
    bare = bare_rss(find_cjk_font())
    bare_no_msaa = bare_rss(find_cjk_font(), multisamples=0)
    results = {"taps": args.taps, "glyph_check": args.glyph_check,
               "switch_ms_p50": round(pct(switches, 0.5), 1),
               "switch_ms_p95": round(pct(switches, 0.95), 1),
               "switch_ms_max": round(max(switches), 1),
               "ui_rss_kib_start": start_rss, "ui_rss_kib_after": end_rss,
               "ui_rss_kib_every_50_taps": rss_curve,
               "ui_rss_anon_file_kib_after": end_parts,
               "pages_reclaimed_during_taps": reclaimed([start_rss, *rss_curve, end_rss]),
               "bare_kivy_rss_kib": bare, "ratio_after_vs_bare": round(end_rss / bare, 3),
               # the same bare app without multisampling, as the kiosk runs (kiosk/main.py)
               "bare_kivy_no_msaa_rss_kib": bare_no_msaa,
               "ratio_after_vs_bare_no_msaa": round(end_rss / bare_no_msaa, 3)}
    print(results)
    if results["pages_reclaimed_during_taps"]:
        print("the UI's RSS fell during the taps (the kernel reclaimed its pages): "
              "not a result, run it again")
    if args.tracemalloc is not None:
        import tracemalloc
        before = tracemalloc.Snapshot.load(str(args.tracemalloc / "snap-before"))
        after = tracemalloc.Snapshot.load(str(args.tracemalloc / "snap-after"))
        grew = after.compare_to(before, "traceback")
        print("python heap growth:", sum(d.size_diff for d in grew) // 1024, "KiB")
        for diff in grew[:12]:
            print(f"{diff.size_diff / 1024:+8.1f} KiB {diff.count_diff:+6d} blocks")
            for line in diff.traceback.format()[-8:]:
                print("    ", line)
    if args.profile is not None:
        for name, inside, itself in profile_summary(args.profile):
            print(f"{inside:5.1f}% {itself:5.1f}%  {name}")
    if args.profile is not None or args.tracemalloc is not None:
        return 0  # a profiled run is slower: its figures are not the bench's
    if results["pages_reclaimed_during_taps"]:
        return 1
    save("ui_switch", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
