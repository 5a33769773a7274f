"""The one error catalogue holds every code both APIs answer with, read from the source.

kioskd's ``ApiError(status, code, ...)`` keeps its constructor; this reads each
call with ``ast`` (and each domain error, ``Refused(code, ...)`` and its kin,
with the status the API edge gives it), and each class that names a ``code`` (the card layer's
errors), in ``daemon/`` and ``hardware/``: every code is in
:data:`protocol.errors.LOCAL` with the status it is answered with, and every
entry there is answered somewhere. A code passed on from another error
(``exc.code``) is a relay: the card layer's (checked here as class codes) or
the central side's (:data:`protocol.errors.CENTRAL`, the only codes the
reference server can answer with).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from central.errors import CODES
from protocol.errors import CENTRAL, LOCAL

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for pkg in ("daemon", "hardware") for p in sorted((ROOT / pkg).rglob("*.py"))] + [
    ROOT / "protocol" / "local.py"]  # the codes a request field's refused value gets


@dataclass(frozen=True)
class Raised:
    where: str
    code: str | None  # None: not a literal (a relay or a pattern)
    pattern: str | None  # an f-string code as a regex
    status: int | None
    relay: bool


def _raised() -> list[Raised]:
    found: list[Raised] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _name(node.func) == "ApiError" and \
                    len(node.args) >= 2:
                status, code = node.args[0], node.args[1]
                found.append(Raised(
                    where,
                    code.value if isinstance(code, ast.Constant) else None,
                    _pattern(code) if isinstance(code, ast.JoinedStr) else None,
                    status.value if isinstance(status, ast.Constant) else None,
                    isinstance(code, ast.Attribute) and code.attr == "code"))
            elif isinstance(node, ast.Call) and _name(node.func) == "_code" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                # a request model's field (protocol.local): refused 400 by the HTTP layer
                found.append(Raised(where, node.args[0].value, None, 400, False))
            elif isinstance(node, ast.Call) and _name(node.func) in DOMAIN_ERRORS and \
                    node.args and isinstance(node.args[0], ast.Constant):
                # a domain error (daemon.errors): its status is the API edge's table
                code = node.args[0].value
                found.append(Raised(where, code, None, LOCAL[code].status if code in LOCAL
                                    else None, False))
            elif isinstance(node, ast.Call) and _name(node.func) == "__init__" and \
                    node.args and isinstance(node.args[0], ast.JoinedStr) and \
                    isinstance(node.args[0].values[0], ast.Constant):
                # a domain error class that makes its code (CardNotUsable: card_<status>)
                found.append(Raised(where, None, _pattern(node.args[0]), None, False))
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) \
                            and [_name(t) for t in stmt.targets] == ["code"]:
                        found.append(Raised(f"{where} ({node.name})", stmt.value.value, None,
                                            None, False))
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z_]+"
                   for part in node.values)


# Raised by the domain code (daemon.errors), which knows no HTTP status.
DOMAIN_ERRORS = {"KioskError", "BadInput", "Refused", "Unavailable"}

RAISED = _raised()


def test_the_reading_finds_the_daemons_refusals() -> None:
    # guards the tests below from passing on nothing
    assert len([r for r in RAISED if r.code]) > 50
    assert any(r.relay for r in RAISED) and any(r.pattern for r in RAISED)


def test_every_code_kioskd_answers_with_is_in_the_catalogue() -> None:
    missing = [f"{r.where}: {r.code}" for r in RAISED if r.code and r.code not in LOCAL]
    assert missing == []


def test_every_literal_status_is_the_catalogues() -> None:
    wrong = [f"{r.where}: {r.status} {r.code} (catalogue: {LOCAL[r.code].status})"
             for r in RAISED if r.code in LOCAL and r.status is not None
             and r.status != LOCAL[r.code].status and r.status not in LOCAL[r.code].also]
    assert wrong == []


def test_every_pattern_and_relay_is_accounted_for() -> None:
    for r in RAISED:
        if r.pattern is not None:
            assert [c for c in LOCAL if re.fullmatch(r.pattern, c)], r.where
        else:
            assert r.code is not None or r.relay, f"{r.where}: a code this test cannot read"


def test_every_catalogue_entry_is_answered_somewhere() -> None:
    literal = {r.code for r in RAISED if r.code}
    patterns = [r.pattern for r in RAISED if r.pattern]
    unused = [code for code in LOCAL if code not in literal
              and not any(re.fullmatch(p, code) for p in patterns)]
    assert unused == []


def test_entries_are_well_formed() -> None:
    for table in (LOCAL, CENTRAL):
        for code, entry in table.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
            assert 400 <= entry.status < 600 and entry.message and entry.message_zh
            assert all(400 <= s < 600 and s != entry.status for s in entry.also)


def test_the_central_server_answers_from_the_catalogue() -> None:
    assert CODES is CENTRAL
