"""What each distribution carries, read from the built wheels: a Pi's
``pip install .`` gets no central server code; the reference server is its own
distribution (central/pyproject.toml) on top of the kiosk's ``protocol``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "var", "demo-out", "test-artifacts",
                                     "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                     ".hypothesis", "tests", "docs", "bench")


def _build(source: Path, out: Path) -> zipfile.ZipFile:
    """One wheel built from ``source`` as pip would for ``pip install``, offline."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, capture_output=True)
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, zipfile.ZipFile]:
    # built from a copy, so build/ and *.egg-info stay out of the working tree
    tree = tmp_path_factory.mktemp("src") / "repo"
    shutil.copytree(ROOT, tree, ignore=_NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheels")
    return {"kiosk": _build(tree, out / "kiosk"),
            "central": _build(tree / "central", out / "central")}


def _top_level(wheel: zipfile.ZipFile) -> set[str]:
    return {n.split("/")[0] for n in wheel.namelist() if ".dist-info/" not in n}


def _metadata(wheel: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(path).decode()


def test_the_kiosk_wheel_has_no_central_server_code(wheels: dict[str, zipfile.ZipFile]) -> None:
    wheel = wheels["kiosk"]
    assert _top_level(wheel) == {"protocol", "config", "hardware", "daemon", "kiosk"}
    assert {"protocol/signing.py", "protocol/pinblock.py", "protocol/pboc/secure.py",
            "daemon/main.py", "kiosk/main.py"} <= set(wheel.namelist())
    entry_points = _metadata(wheel, "entry_points.txt")
    assert "kioskd = daemon.main:main" in entry_points
    assert "central" not in entry_points


def test_the_central_wheel_is_the_server_alone(wheels: dict[str, zipfile.ZipFile]) -> None:
    wheel = wheels["central"]
    assert _top_level(wheel) == {"central"}
    assert {"central/server.py", "central/routes/loads.py", "central/cli.py"} <= set(
        wheel.namelist())
    # every module, subpackages too (packages are listed by hand in central/pyproject.toml)
    sources = {f"central/{p.relative_to(ROOT / 'central').as_posix()}"
               for p in (ROOT / "central").rglob("*.py")}
    assert "central/risk/monitor.py" in sources
    assert sources - set(wheel.namelist()) == set()
    assert "central/pyproject.toml" not in wheel.namelist()
    assert "citycard-central = central.cli:main" in _metadata(wheel, "entry_points.txt")
    assert "Requires-Dist: citycard-kiosk" in _metadata(wheel, "METADATA")
