"""Deployment tests. test_install.py builds a Debian root and runs the Ansible
role in it (root, network to the package registries, minutes): only with
CITYCARD_TEST_INSTALL=1, which `make test-install` sets."""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("CITYCARD_TEST_INSTALL") == "1" else ["test_install.py"]
