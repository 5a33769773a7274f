"""The alert rules (promtool check rules, promtool test rules) and the text of
a real `kioskctl metrics` against a running kioskd --simulate (promtool check
metrics)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack
from tests.deploy.tools import REPO, tool

RULES = REPO / "deploy" / "prometheus"


def promtool(*args: str, cwd: Path = RULES,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_the_rules_are_valid() -> None:
    result = promtool("check", "rules", "citycard-alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", "citycard-alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_unit_tests_catch_a_wrong_threshold(tmp_path: Path) -> None:
    """A link-down alert after 10 minutes instead of 5 fails its unit test."""
    for name in ("citycard-alerts.yml", "citycard-alerts.test.yml"):
        shutil.copy(RULES / name, tmp_path / name)
    rules = tmp_path / "citycard-alerts.yml"
    text = rules.read_text()
    assert "expr: citycard_central_link_up == 0\n        for: 5m" in text
    rules.write_text(text.replace("expr: citycard_central_link_up == 0\n        for: 5m",
                                  "expr: citycard_central_link_up == 0\n        for: 10m"))
    result = promtool("test", "rules", "citycard-alerts.test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "CityCardCentralLinkDown" in result.stdout + result.stderr


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with Stack(tmp_path / "kiosk") as st:
        st.seed()
        st.start_central()
        st.start_kioskd()
        yield st


@pytest.mark.e2e
def test_kioskctl_metrics_from_a_running_kioskd_passes_promtool(stack: Stack,
                                                                 tmp_path: Path) -> None:
    # A note the acceptor took with no session: it is in the cashbox all the same.
    inserted = stack.kioskctl("sim", "insert", "50", "--force")
    assert inserted.returncode == 0, inserted.stdout + inserted.stderr
    result = stack.kioskctl("metrics")
    assert result.returncode == 0, result.stderr
    check = promtool("check", "metrics", stdin=result.stdout)
    assert check.returncode == 0 and not check.stderr.strip(), check.stderr
    lines = result.stdout.splitlines()
    assert "citycard_kioskd_up 1" in lines
    assert 'citycard_cashbox_notes{denomination_fen="5000"} 1' in lines
    assert 'citycard_audit_fen{part="unattributed"} 5000' in lines

    textfile = tmp_path / "citycard.prom"
    assert stack.kioskctl("metrics", "--textfile", str(textfile)).returncode == 0
    assert "citycard_kioskd_up 1" in textfile.read_text().splitlines()

    stack.stop("kioskd")
    down = stack.kioskctl("metrics")
    assert down.returncode == 0
    assert "citycard_kioskd_up 0" in down.stdout.splitlines()
