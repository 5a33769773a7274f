"""python-escpos's parsed printer database is kept between starts, privately."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from hardware.printer._escpos_cache import ENV, use_kept_cache

SHOW = "import os, hardware.printer; print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])"


def _start(env: dict[str, str]) -> Path:
    out = subprocess.run([sys.executable, "-c", SHOW], env=env, check=True,
                         capture_output=True, text=True).stdout
    return Path(out.strip())


def test_the_second_start_loads_the_kept_pickle(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (ENV, "CACHE_DIRECTORY")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    first = _start(env)  # parses, into a staging folder, then keeps the pickle
    second = _start(env)
    kept = list((tmp_path / "citycard-escpos").glob("*/*.capabilities.pickle"))
    assert len(kept) == 1
    assert first == second == kept[0].parent
    assert list(second.iterdir()) == [kept[0]]  # no staging folder left behind
    assert second.stat().st_mode & 0o777 == 0o700


def test_a_process_started_after_the_first_parse_inherits_a_folder_that_exists(
        tmp_path: Path) -> None:
    """The first start in a fresh cache parses into a staging folder it then
    removes; what it hands a child (the test stack's kioskd) must be the kept
    folder (CI's clean machine: every kioskd a test worker started failed)."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV, "CACHE_DIRECTORY")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    handed = _start(env)
    pickle = handed / f"{platform.python_version()}.capabilities.pickle"
    assert handed.is_dir() and pickle.is_file()
    child = subprocess.run([sys.executable, "-c", "import escpos.printer"],
                           env={**env, ENV: str(handed)}, capture_output=True, text=True)
    assert child.returncode == 0, child.stderr


def test_systemd_cache_directory_first_and_an_operators_own_folder_kept(tmp_path: Path) -> None:
    environ = {"CACHE_DIRECTORY": str(tmp_path / "cache"), "XDG_CACHE_HOME": str(tmp_path)}
    folder = use_kept_cache(environ)
    assert folder is not None and folder.is_relative_to(tmp_path / "cache" / "escpos")
    assert environ[ENV] == str(folder)
    own = {ENV: "/somewhere/else", "CACHE_DIRECTORY": str(tmp_path / "cache")}
    assert use_kept_cache(own) == Path("/somewhere/else") and own[ENV] == "/somewhere/else"


def test_no_usable_folder_leaves_escpos_its_default(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    environ = {"XDG_CACHE_HOME": str(blocked)}
    assert use_kept_cache(environ) is None
    assert ENV not in environ
