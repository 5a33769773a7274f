"""daemon/api/local-api.json is generated from the routes and their models, and current.

Regenerate with ``python -m daemon.api.openapi --write`` (docs/local-api.md).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from daemon.api import openapi
from daemon.api.http import ApiError, Route
from daemon.api.routes import OPENAPI_PATH
from protocol import local as m
from protocol.errors import CENTRAL, LOCAL
from protocol.wire import Invalid, decode, decode_reply


def test_the_committed_document_is_the_generated_one() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi.render(), \
        "stale: run python -m daemon.api.openapi --write"


def test_the_check_command_fails_on_a_stale_document(tmp_path: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "local-api.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(openapi, "OPENAPI_PATH", stale)
    assert openapi.main([]) == 1
    assert openapi.main(["--write"]) == 0 and openapi.main([]) == 0


def test_every_refusal_documented_is_a_catalogue_code_with_its_status() -> None:
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    seen = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if status == "200":
                    continue
                for code in answer["description"].split(", "):
                    assert code in LOCAL or code in CENTRAL, (method, path, code)
                    allowed = ({LOCAL[code].status, *LOCAL[code].also} if code in LOCAL
                               else set()) | ({CENTRAL[code].status} if code in CENTRAL else set())
                    assert int(status) in allowed, (method, path, code)
                    seen += 1
    assert seen > 100


def test_a_field_refused_names_its_code_and_a_wrong_type_is_bad_request() -> None:
    doc = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    lookup = doc["paths"]["/v1/bills/lookup"]["post"]["responses"]["400"]["description"]
    assert {"bad_utility", "bad_account_no", "bad_request", "bad_json"} <= set(lookup.split(", "))
    card_read = doc["paths"]["/v1/admin/card/read"]["post"]["responses"]
    assert "no_card" in card_read["408"]["description"]


def test_every_problem_of_a_body_is_listed_in_field_order() -> None:
    with pytest.raises(Invalid) as err:
        decode(m.LossReportRequest, {"card_no": "１２３", "pin": 147258, "id_last6": "12"})
    assert [(p.field, p.code) for p in err.value.problems] == [
        ("card_no", "bad_card_no"), ("pin", "bad_request"), ("id_last6", "bad_id_last6")]
    answer = ApiError.invalid(err.value)
    assert answer.status == 400 and answer.body["code"] == "bad_card_no"
    assert [p["field"] for p in answer.body["details"]["problems"]] == ["card_no", "pin",
                                                                         "id_last6"]


def test_a_trailing_newline_does_not_pass_a_pattern() -> None:
    # msgspec matches with re.search, where "$" also matches before a final newline
    with pytest.raises(Invalid):
        decode(m.BillPay, {"pin": "147258\n"})
    assert decode(m.BillPay, {"pin": "147258"}).pin == "147258"


def test_a_route_calls_its_handler_with_the_model() -> None:
    got: list[Any] = []
    route = Route("POST", "/x", lambda r, body: got.append(body) or "ok", body=m.SetLanguage)
    request: Any = type("R", (), {"body": {"language": "en"}, "query": {}})()
    assert route.call(request) == "ok" and got == [m.SetLanguage(language="en")]
    request.body = {"language": "fr"}
    with pytest.raises(ApiError) as err:
        route.call(request)
    assert err.value.body["code"] == "bad_language"


def test_a_snapshot_round_trips_through_its_model() -> None:
    snap = m.StateSnapshot(seq=3, screen="card", language="en", card=m.CardView(
        "3104 **** **** 0017", "ordinary", 8650, "2023-01-01", "2033-12-31", "active",
        records=[m.RecordView("2026-12-01T10:00:00", "load", 1000, "0000000001")]))
    assert decode_reply(m.StateSnapshot, msgspec.json.encode(snap)) == snap
    with pytest.raises(Invalid):
        decode_reply(m.StateSnapshot, b'{"seq": "3", "screen": "card", "language": "en"}')


def test_every_route_written_in_routes_py_is_in_the_document() -> None:
    # A route added only when its part is there is left out of the document unless
    # openapi._all_parts() has that part: read the source, not the built routers.
    import re
    from pathlib import Path

    from daemon.api import routes
    source = Path(routes.__file__).read_text(encoding="utf-8")
    written = set(re.findall(r'\badd\(\s*"(GET|POST|PUT|DELETE)",\s*"([^"]+)"', source))
    assert len(written) > 30
    paths = openapi.document()["paths"]
    missing = sorted(f"{verb} {path}" for verb, path in written
                     if verb.lower() not in paths.get(path, {}))
    assert missing == []
