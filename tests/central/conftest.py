"""tests/central runs against both storage backends: SQLite (the embedded default)
and the session's throwaway PostgreSQL server (skipped, saying why, when PostgreSQL
is not installed)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def central_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
