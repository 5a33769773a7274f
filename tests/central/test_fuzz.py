"""Schemathesis against the live server, from the document the server itself serves.

Every operation gets generated requests (signed, so they reach the routes):
no 5xx, and every answer — status, content type, headers, body — must be one
the document declares, error codes included. Examples are kept few so this
stays well under a minute in ``make test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central.auth import ensure_secret_file, register_kiosk
from central.db import connect, migrate
from central.seed import seed
from central.server import CentralServer, document, make_server
from protocol.signing import KioskAuth
from tests.central.helpers import KIOSK

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CentralServer, bytes]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    db: Path = tmp / "central.sqlite"
    conn = connect(db)
    migrate(conn)
    seed(conn, cards=2, transactions=200)
    secret = ensure_secret_file(tmp / "kiosk.secret")
    register_kiosk(conn, KIOSK, secret)
    conn.close()
    server = make_server(db)
    server.start()
    yield server, secret
    server.stop()


# The document the server serves at /openapi.json (test_contract.py proves they are equal;
# schemathesis's fixture-loaded schemas do not run under pytest 9).
schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_document(case: Any, live: tuple[CentralServer, bytes]) -> None:
    server, secret = live
    case.call_and_validate(base_url=server.url, checks=CHECKS, auth=KioskAuth(KIOSK, secret))
