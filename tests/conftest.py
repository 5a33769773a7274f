"""Shared fixtures: a seeded central database per test and the real central server
on a free port (used by tests/central and by the daemon tests that talk to it).

The database is an SQLite file (``central_backend`` "sqlite", the default) or a
database on the session's throwaway PostgreSQL server (tests/pgcluster.py);
tests/central/conftest.py runs its tests on both."""

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
from tests import pgcluster
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
    conn.close()  # the last connection: SQLite checkpoints and removes the WAL
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """This session's (this xdist worker's) PostgreSQL server; the test is skipped,
    saying why, when PostgreSQL is not installed."""
    try:
        cluster = pgcluster.start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: pgcluster.Cluster) -> str:
    """A migrated, seeded database every PostgreSQL test's database is copied from."""
    pg_cluster.admin("CREATE DATABASE central_template")
    conn = connect(pg_cluster.url("central_template"))
    migrate(conn)
    seed(conn, cards=3, transactions=400, pin_kdf=TEST_PIN_KDF)
    conn.close()
    return "central_template"


@pytest.fixture
def central_backend() -> str:
    """Where the central server keeps its data: "sqlite" here; tests/central runs on
    "postgresql" too."""
    return "sqlite"


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, central_backend: str, tmp_path: Path,
                   template_db: Path) -> Iterator[Callable[[], Path | str]]:
    """Makes seeded databases for this test: an SQLite file's path, or a PostgreSQL URL."""
    if central_backend == "postgresql":
        cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
        template: str = request.getfixturevalue("pg_template")
        names: list[str] = []

        def make_pg() -> Path | str:
            name = cluster.new_name()
            cluster.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
            names.append(name)
            return cluster.url(name)

        yield make_pg
        for name in names:
            cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    made: list[Path] = []

    def make_sqlite() -> Path | str:
        db = tmp_path / f"central-{len(made)}.sqlite"
        shutil.copy(template_db, db)
        made.append(db)
        return db

    yield make_sqlite


@pytest.fixture
def start_central(tmp_path: Path,
                  fresh_database: Callable[[], Path | str]) -> Iterator[Callable[..., Central]]:
    started: list[Central] = []

    def start(settings: Settings | None = None, *, clock: Callable[[], float] | None = None,
              **overrides: Any) -> Central:
        db = fresh_database()
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
