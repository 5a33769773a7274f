"""Where python-escpos keeps its parsed printer database between starts.

Importing ``escpos`` parses its ``capabilities.json`` (every printer profile)
with PyYAML and pickles the result into ``ESCPOS_CAPABILITIES_PICKLE_DIR`` —
by default a fresh ``mkdtemp()`` for each process, never removed, so every
start parsed it again (~100 ms of kioskd's ~0.4–0.5 s import here) and left a
new /tmp folder with a 70 kB pickle (1,478 of them on the shared dev machine).
Loading a kept pickle takes ~20 ms. kioskd's resident set is the same either
way (52.2 MB after importing ``daemon.main``: the parser's freed memory is
reused by the imports after it); docs/PERFORMANCE.md, "Bringing kioskd under
60 MB".

The directory: systemd's ``CacheDirectory=`` (``$CACHE_DIRECTORY``, as
kioskd.service sets), else ``$XDG_CACHE_HOME`` or ``~/.cache``, under
``citycard-escpos``, private (0700: escpos unpickles what it finds there), one
folder per ``capabilities.json`` (its size and mtime: an upgrade starts a new
one). escpos writes its pickle in place, so a process that finds none parses
into a staging folder of its own and :func:`keep` then renames the pickle in
whole: two kioskd starting at once never read half a file. If no folder can be
made, escpos keeps its own default. An operator's own
``ESCPOS_CAPABILITIES_PICKLE_DIR`` is left as it is.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["ENV", "cache_dir", "keep", "use_kept_cache"]

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"
# (staging folder, kept folder, the environment pointed at the staging folder)
_staged: list[tuple[Path, Path, MutableMapping[str, str]]] = []


def _database_key() -> str:
    spec = importlib.util.find_spec("escpos")  # finds, does not import, the package
    if spec is None or spec.origin is None:
        return "unknown"
    stat = (Path(spec.origin).parent / "capabilities.json").stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def cache_dir(environ: MutableMapping[str, str]) -> Path:
    systemd = environ.get("CACHE_DIRECTORY", "").split(":")[0]
    base = (Path(systemd) / "escpos" if systemd else
            Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citycard-escpos")
    return base / _database_key()


def use_kept_cache(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Point escpos at the kept pickle, or at a staging folder for :func:`keep`
    (call before escpos is imported). Returns the folder escpos will use."""
    if environ.get(ENV):
        return Path(environ[ENV])
    try:
        folder = cache_dir(environ)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or not os.access(folder, os.W_OK):
            return None
        if not (folder / _pickle_name()).is_file():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
            _staged.append((staging, folder, environ))
            folder = staging
    except (OSError, RuntimeError):  # RuntimeError: no home directory
        return None
    environ[ENV] = str(folder)
    return folder


def keep() -> None:
    """After escpos is imported: move a freshly written pickle to the kept folder,
    and point the environment there, not at the staging folder about to go: a
    process this one starts (kioskd from the test stack or the demo) inherits it,
    and escpos fails to import with a folder that no longer exists."""
    while _staged:
        staging, folder, environ = _staged.pop()
        with contextlib.suppress(OSError):
            os.replace(staging / _pickle_name(), folder / _pickle_name())
        environ[ENV] = str(folder)
        with contextlib.suppress(OSError):
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()


def _pickle_name() -> str:
    return f"{platform.python_version()}.capabilities.pickle"  # as escpos names it


use_kept_cache()  # on import: hardware/printer/__init__ imports this module first
