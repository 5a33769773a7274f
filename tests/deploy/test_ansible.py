"""The playbooks and the role pass ansible-lint (production profile) and
ansible-playbook --syntax-check; the example inventory names what the role needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.tools import ANSIBLE_DIR, PLAYBOOKS, run, tool

EXPECTED = {"site.yml", "update.yml", "rollback.yml", "fleet-status.yml", "collect-cash.yml",
            "rotate-secret.yml"}


def test_every_playbook_is_there() -> None:
    present = {p.name for p in PLAYBOOKS}
    assert present >= EXPECTED, f"missing: {sorted(EXPECTED - present)}"


def test_ansible_lint_is_clean() -> None:
    result = run([tool("ansible-lint"), "--nocolor", "-q"], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_syntax_check(playbook: Path) -> None:
    result = run([tool("ansible-playbook"), "--syntax-check", "-i",
                  str(ANSIBLE_DIR / "inventory" / "example" / "hosts.yml"), str(playbook)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_fails_on_a_broken_task(tmp_path: Path) -> None:
    """The lint test can fail: the same ansible-lint run on a playbook with a
    bare shell command and no name reports it."""
    bad = tmp_path / "bad.yml"
    bad.write_text("---\n- hosts: all\n  tasks:\n    - shell: echo hi\n", encoding="utf-8")
    result = run([tool("ansible-lint"), "--nocolor", "-q", str(bad)], cwd=tmp_path,
                 timeout=120)
    assert result.returncode != 0


def test_example_inventory_sets_what_the_role_checks() -> None:
    inventory = ANSIBLE_DIR / "inventory" / "example"
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())["kiosks"]["hosts"]
    for host in hosts:
        host_vars = yaml.safe_load((inventory / "host_vars" / f"{host}.yml").read_text())
        assert {"citycard_kiosk_id", "citycard_terminal_id"} <= set(host_vars)
    group = yaml.safe_load((inventory / "group_vars" / "kiosks" / "main.yml").read_text())
    assert "vault_" in group["citycard_kiosk_secret"], "the secret comes from the vault"
