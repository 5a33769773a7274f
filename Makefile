# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates .venv itself; system packages are installed when run as root
# and named clearly otherwise (deploy/syspkgs.sh).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# The suite runs in parallel (pytest-xdist), one worker per core, at most 4:
# most of its time is spent waiting on real processes (kioskd, central, the
# UI under Xvfb), so two workers halve it even on two cores. Test modules stay
# whole on one worker (--dist loadfile), keeping module fixtures shared.
# `make test TEST_WORKERS=0` runs it serially.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; [ $$n -lt 2 ] && n=2; echo $$n)

.PHONY: demo test test-install lint lock syspkgs syspkgs-test clean

# Two distributions: the kiosk (what a Pi installs) and the reference central
# server (central/pyproject.toml), installed together so the server finds the
# kiosk's `protocol` package here rather than on an index.
$(STAMP): pyproject.toml central/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./central
	touch $(STAMP)

syspkgs:
	@bash deploy/syspkgs.sh

# `make test` also wants PostgreSQL (Debian's postgresql): the central tests run
# against a throwaway server of their own as well as SQLite. Not root and
# without it, it is named and its test variants skip.
syspkgs-test:
	@bash deploy/syspkgs.sh --test

demo: syspkgs $(STAMP)
	$(BIN)/python -m deploy.demo

test: syspkgs-test $(STAMP)
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The Ansible role applied for real to a throwaway Debian Bookworm root
# (debootstrap, cached under ~/.cache/citycard/): as root, a few minutes.
test-install: syspkgs $(STAMP)
	CITYCARD_TEST_INSTALL=1 $(BIN)/python -m pytest -p no:cacheprovider tests/deploy/test_install.py $(PYTEST_ARGS)

# The locked requirements every kiosk installs (with hashes; the [pi] extra).
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra pi --universal --generate-hashes \
	  --python-version 3.11 --no-header -o deploy/requirements-pi.lock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var demo-out test-artifacts .pytest_cache .mypy_cache .ruff_cache
