"""Domain errors become HTTP answers only at the API edge: no module below
daemon/api/ knows ApiError, every code the domain raises has its status in the
one table, and the answer's body is the error's own code, messages and details."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.api.http import Request, Router, UnixHttpServer
from daemon.errors import BadInput, CardNotUsable, CentralRefusal, KioskError, Refused
from protocol.errors import LOCAL
from protocol.localclient import LocalApiError, LocalClient

DAEMON = Path(__file__).resolve().parents[2] / "daemon"
DOMAIN_ERRORS = {"KioskError", "BadInput", "Refused", "Unavailable"}


def _sources(inside_api: bool) -> list[Path]:
    return [p for p in sorted(DAEMON.rglob("*.py"))
            if (p.parent.name == "api") == inside_api]


def _names_api_error(path: Path) -> bool:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "ApiError" for a in node.names):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "ApiError":
            return True
    return False


def test_only_the_api_layer_knows_the_http_error() -> None:
    offenders = [str(p.relative_to(DAEMON.parent)) for p in _sources(inside_api=False)
                 if _names_api_error(p)]
    assert offenders == [], "domain code raises HTTP errors"
    # Not vacuous: the check does find the API layer's own uses.
    assert any(_names_api_error(p) for p in _sources(inside_api=True))


def _raised_codes() -> set[str]:
    """The literal codes the domain code gives its errors."""
    codes: set[str] = set()
    for path in _sources(inside_api=False):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in DOMAIN_ERRORS and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                codes.add(node.args[0].value)
    return codes


def test_every_code_the_domain_raises_has_its_status_and_no_other() -> None:
    raised = _raised_codes()
    assert "session_busy" in raised and "bad_pin" in raised  # the scan finds them
    assert sorted(raised - set(LOCAL)) == [], "codes without an HTTP status"
    # and every catalogue entry is raised somewhere: tests/protocol/test_errors.py


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[LocalClient, list[KioskError]]]:
    to_raise: list[KioskError] = []

    def handler(_: Request) -> None:
        raise to_raise.pop()

    server = UnixHttpServer(tmp_path / "k.sock", Router(), mode=0o600, name="test")
    server.router.add("POST", "/v1/refuse", handler)
    server.start()
    yield LocalClient(tmp_path / "k.sock", timeout=5), to_raise
    server.close()


@pytest.mark.parametrize(("error", "status"), [
    (Refused("session_busy", "Another transaction is in progress.", "当前有未完成的业务。"), 409),
    (BadInput("bad_pin", "The payment password is 6 digits.", "支付密码为6位数字。",
              details={"field": "pin"}), 400),
    (CardNotUsable("lost"), 409),
    (CentralRefusal("pin_locked", "Locked.", "已锁定。", {"retry_after_s": 60},
                    central_status=423), 423),
    (KioskError("never_listed", "A code with no status."), 500),
])
def test_the_edge_answers_a_domain_error_with_its_status_and_own_body(
        client: tuple[LocalClient, list[KioskError]], error: KioskError, status: int) -> None:
    local, to_raise = client
    to_raise.append(error)
    with pytest.raises(LocalApiError) as refused:
        local.post("/v1/refuse")
    assert refused.value.status == status
    answer = refused.value
    assert (answer.code, answer.message, answer.message_zh, answer.details) == (
        error.code, error.message, error.message_zh, error.details)
