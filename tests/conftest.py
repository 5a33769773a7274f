"""Shared fixtures: a seeded central SQLite file per test and the real central server
on a free port (used by tests/central and by the daemon tests that talk to it)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from central.auth import ensure_secret_file, register_kiosk
from central.client import SignedClient
from central.db import connect, migrate
from central.keys import DEFAULT_PIN_KDF
from central.seed import seed
from central.server import make_server
from central.settings import Settings
from tests.central.helpers import KIOSK, TEST_PIN_KDF, Central

# Property tests are judged on their outcomes, never on their timing: a busy CI
# machine must not fail one for being slow (no timing assertions in unit tests).
settings.register_profile("citycard", deadline=None)
settings.load_profile("citycard")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded database, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "central.sqlite"
    conn = connect(path)
    migrate(conn)
    seed(conn, cards=3, transactions=400, pin_kdf=TEST_PIN_KDF)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def start_central(tmp_path: Path, template_db: Path) -> Iterator[Callable[..., Central]]:
    started: list[Central] = []

    def start(settings: Settings | None = None, *, clock: Callable[[], float] | None = None,
              **overrides: Any) -> Central:
        db = tmp_path / f"central-{len(started)}.sqlite"
        shutil.copy(template_db, db)
        secret = ensure_secret_file(tmp_path / "kiosk.secret")
        conn = connect(db)
        register_kiosk(conn, KIOSK, secret)
        conn.close()
        settings = settings or Settings(**overrides)
        if settings.pin_kdf == DEFAULT_PIN_KDF:  # (tests/central/test_keys.py checks it)
            settings = dataclasses.replace(settings, pin_kdf=TEST_PIN_KDF)
        server = make_server(db, settings=settings, clock=clock or time.time)
        url = server.start()
        central = Central(server, url, db, secret, SignedClient(url, KIOSK, secret))
        started.append(central)
        return central

    yield start
    for central in started:
        central.client.close()
        central.server.stop()


@pytest.fixture
def central(start_central: Callable[..., Central]) -> Central:
    return start_central()
