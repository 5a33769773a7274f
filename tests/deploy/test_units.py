"""The units' hardening, as `systemd-analyze security --offline=true` rates the
files in systemd/ (systemd >= 252): kioskd at most 3.0, the UI at most 4.5
(issue 15); the figures are in docs/operations.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import REPO, tool

UNITS = REPO / "systemd"


def exposure(unit: Path) -> float:
    result = subprocess.run([tool("systemd-analyze"), "security", "--offline=true", "--no-pager",
                             str(unit)], capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


@pytest.mark.parametrize(("unit", "limit"), [("kioskd.service", 3.0),
                                             ("citycard-kiosk.service", 4.5),
                                             ("citycard-metrics.service", 3.0)])
def test_exposure_within_the_limit(unit: str, limit: float) -> None:
    assert exposure(UNITS / unit) <= limit


def test_the_rating_sees_a_missing_sandbox(tmp_path: Path) -> None:
    """The figure is the file's: kioskd without its hardening rates far worse."""
    text = (UNITS / "kioskd.service").read_text()
    bare = tmp_path / "kioskd.service"
    bare.write_text(text.split("# Hardening")[0] + "\n[Install]\nWantedBy=multi-user.target\n")
    assert exposure(bare) > 3.0


def test_the_documented_figures_are_the_current_ones() -> None:
    doc = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    for unit in ("kioskd.service", "citycard-kiosk.service", "citycard-metrics.service"):
        figure = f"Overall exposure level for {unit}: {exposure(UNITS / unit):.1f}"
        assert figure in doc, f"docs/operations.md should say: {figure}"
