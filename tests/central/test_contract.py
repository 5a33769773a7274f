"""The document is the contract: served, committed and routed all agree."""

from __future__ import annotations

import re
from pathlib import Path

import requests
import yaml

from central.errors import CODES
from central.openapi import error_codes
from central.server import document
from tests.central.helpers import Central

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "central-api.yaml"
REGENERATE = "regenerate with: .venv/bin/python -m central.openapi --write"


def test_served_document_is_the_committed_one(central: Central) -> None:
    served = requests.get(central.url + "/openapi.json", timeout=5).json()
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert served == committed, REGENERATE
    assert served == document()


def _concrete(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {"card_no": "03104440300000100017",
                                           "order_id": "LO" + "0" * 24, "alert_id": "7",
                                           "kiosk_id": "KIOSK-1"}[m.group(1)], template)


def test_every_route_is_documented_and_every_entry_is_routed(central: Central) -> None:
    doc = requests.get(central.url + "/openapi.json", timeout=5).json()
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routed = {(r.method, r.path) for r in central.server.app.router.routes}
    assert routed - documented == set(), "routes without a document entry"
    assert documented - routed == set(), "document entries without a route"
    for method, path in documented:
        route, _, _ = central.server.app.router.match(method, _concrete(path))
        assert route is not None and route.path == path, (method, path)


def test_every_error_code_is_documented_somewhere_and_only_known_codes_are() -> None:
    doc = document()
    seen: set[str] = set()
    for ops in doc["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                if "allOf" in schema:
                    codes = schema["allOf"][1]["properties"]["code"]["enum"]
                    assert {CODES[c].status for c in codes} == {int(status)}
                    seen.update(codes)
    protocol_level = {"not_found", "method_not_allowed", "internal_error"}
    assert set(CODES) - protocol_level == seen


def test_every_error_code_is_exercised_by_a_test() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8")
                        for p in Path(__file__).parent.glob("test_*.py")
                        if p.name != Path(__file__).name)
    untested = [code for code in CODES
                if code != "internal_error" and f'"{code}"' not in sources]
    assert untested == []


def test_money_operations_require_an_idempotency_key() -> None:
    doc = document()
    money = ["/v1/load-orders", "/v1/load-orders/{order_id}/mac2",
             "/v1/load-orders/{order_id}/confirm", "/v1/load-orders/{order_id}/cancel",
             "/v1/purchase-orders", "/v1/purchase-orders/{order_id}/mac1",
             "/v1/purchase-orders/{order_id}/confirm", "/v1/purchase-orders/{order_id}/cancel",
             "/v1/cards/{card_no}/points/redeem"]
    for path in money:
        params = {p["name"]: p for p in doc["paths"][path]["post"]["parameters"]}
        assert params["Idempotency-Key"]["required"] is True, path


def test_signed_operations_declare_401_and_unsigned_ones_do_not() -> None:
    for path, ops in document()["paths"].items():
        for op in ops.values():
            assert ("401" in op["responses"]) == path.startswith("/v1/"), path


def test_error_codes_helper_lists_shared_refusals() -> None:
    from central.server import api_routes

    route = next(r for r in api_routes() if r.operation_id == "createLoadOrder")
    codes = error_codes(route)
    assert {"unauthorized", "validation_error", "idempotency_key_required",
            "idempotency_conflict", "limit_single", "limit_daily", "balance_cap"} <= set(codes)
