"""A diagnosis hook for a running kioskd: tracemalloc snapshots on request.

Put this directory on kioskd's ``PYTHONPATH`` and name a directory in
``TM_DIR``; nothing else changes in the daemon. Touch ``$TM_DIR/start`` to
start tracing (25 frames; after the warm-up, so imports are not traced and
start-up stays quick), then ``$TM_DIR/dump-NAME`` for a snapshot in
``$TM_DIR/snap-NAME`` (after a garbage collection). docs/RELIABILITY.md shows
how the soak's growth was found with it. Without ``TM_DIR`` it does nothing.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc


def _watch(folder: str) -> None:
    while True:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name == "start":
                tracemalloc.start(25)
                os.remove(path)
            elif name.startswith("dump-"):
                gc.collect()
                snap = os.path.join(folder, "snap-" + name.removeprefix("dump-"))
                tracemalloc.take_snapshot().dump(snap + ".part")
                os.replace(snap + ".part", snap)  # whole, or not there yet
                os.remove(path)
        time.sleep(0.2)


if os.environ.get("TM_DIR"):
    threading.Thread(target=_watch, args=(os.environ["TM_DIR"],), name="tracemalloc-hook",
                     daemon=True).start()
