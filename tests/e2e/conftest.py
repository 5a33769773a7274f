"""End-to-end fixtures: the real processes (central, kioskd --simulate, the UI)
started the way ``make demo`` starts them (deploy/stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Central (seeded) and kioskd --simulate, running; the UI is the test's to start."""
    with Stack(tmp_path / "kiosk") as st:
        st.seed()
        st.start_central()
        st.start_kioskd()
        yield st


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
