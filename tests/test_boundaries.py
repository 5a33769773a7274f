"""The design's boundaries, checked on the source: which of our packages may import
which; one library owns one boundary (STYLE.md 4); Kivy stays in the UI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "kiosk", "daemon", "hardware", "central", "config", "deploy", "bench")
OWNERS = {"nfc": "hardware/card/", "escpos": "hardware/printer/", "gpiozero": "hardware/cash/"}


# Our packages and the ones each may import (besides itself). The shared contract
# depends on nothing; the central server may not reach into the kiosk, nor the UI
# into the daemon. deploy, bench and tests are unrestricted.
MAY_IMPORT: dict[str, set[str]] = {
    "protocol": set(),
    "config": {"protocol"},
    "hardware": {"protocol", "config"},
    "daemon": {"protocol", "hardware", "config"},
    "kiosk": {"protocol", "config"},
    "central": {"protocol"},
}
OURS = set(PACKAGES) | {"tests"}


def _imports(path: Path) -> set[str]:
    """Every top-level module ``path`` imports, at any depth (lazy imports too)."""
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


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_the_dependency_rule_allows(package: str) -> None:
    sources = sorted((ROOT / package).rglob("*.py"))
    assert sources, f"no sources under {package}/"
    allowed = MAY_IMPORT[package] | {package}
    offenders = {str(p.relative_to(ROOT)): sorted((_imports(p) & OURS) - allowed)
                 for p in sources}
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_the_rule_is_not_vacuous() -> None:
    # each allowed edge that exists today is seen, so a broken reader cannot pass
    seen = {(pkg, dep) for pkg in MAY_IMPORT for p in (ROOT / pkg).rglob("*.py")
            for dep in _imports(p) & OURS if dep != pkg}
    assert {("kiosk", "protocol"), ("daemon", "hardware"), ("central", "protocol"),
            ("hardware", "protocol"), ("hardware", "config")} <= seen


def test_relative_imports_are_not_used() -> None:
    # the rule reads absolute imports; a relative one would slip past it
    relative = [str(p.relative_to(ROOT)) for p in _sources()
                if any(isinstance(n, ast.ImportFrom) and n.level
                       for n in ast.walk(ast.parse(p.read_text("utf-8"))))]
    assert relative == []
