"""The design's boundaries, checked on the source: one library owns one boundary
(STYLE.md 4); Kivy stays in the UI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "daemon", "hardware", "central", "config", "deploy", "bench")
OWNERS = {"nfc": "hardware/card/", "escpos": "hardware/printer/", "gpiozero": "hardware/cash/"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_hardware_library_is_imported_only_by_its_package(library: str) -> None:
    owner = OWNERS[library]
    offenders = [str(p.relative_to(ROOT)) for p in _sources()
                 if library in _imports(p) and not str(p.relative_to(ROOT)).startswith(owner)]
    assert offenders == [], f"{library} imported outside {owner}"
    users = [p for p in _sources() if library in _imports(p)]
    assert users, f"nothing imports {library}: the check would pass vacuously"


def test_kivy_stays_in_the_ui() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _sources()
                 if "kivy" in _imports(p) and not str(p.relative_to(ROOT)).startswith("kiosk/")]
    assert offenders == []
