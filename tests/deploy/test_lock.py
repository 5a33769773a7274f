"""deploy/requirements-pi.lock (what every kiosk installs, `make lock`) agrees
with pyproject.toml: every dependency and the [pi] extra pinned within its
range, every pin with its hashes."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.tools import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)")


def pins() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in (REPO / "deploy" / "requirements-pi.lock").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def test_every_dependency_is_pinned_within_its_range_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    locked = pins()
    for text in [*project["dependencies"], *project["optional-dependencies"]["pi"]]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in the lock: run `make lock`"
        version, _ = locked[name]
        assert req.specifier.contains(version, prereleases=True), \
            f"{req.name}=={version} is outside {req.specifier}: run `make lock`"
    assert all(hashes for _, hashes in locked.values()), "a pin without --hash"
