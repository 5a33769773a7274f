"""The deployment tools the tests run (Debian's packages, deploy/syspkgs.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy" / "ansible"
PLAYBOOKS = sorted(ANSIBLE_DIR.glob("*.yml"))


def tool(name: str) -> str:
    """The path of ``name``; a missing tool fails the test (make syspkgs installs it)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed: run `make syspkgs` (deploy/syspkgs.sh) as root"
    return path


def ansible_env(**extra: str) -> dict[str, str]:
    """ansible's environment: this tree's ansible.cfg, no colours, nothing from ~."""
    return {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "NO_COLOR": "1",
            "PY_COLORS": "0", **extra}


def run(argv: list[str], *, cwd: Path = ANSIBLE_DIR, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env or ansible_env())
