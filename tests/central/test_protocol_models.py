"""The server's schemas and the kiosk's models (protocol/central.py) describe one contract.

Requests: the body each route takes *is* the protocol model kioskd sends (its
schema generated from it, central/schemas.py), and what kioskd encodes passes the
server's validation. Answers: the server's are still JSON Schema written in
central/schemas.py and the kiosk's models are lenient on purpose
(docs/decisions.md, "Request schemas from the protocol models"), so this keeps
them compatible: every field a kiosk model *requires* is one the server's answer
requires, with the same JSON type (nested models included).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from central.openapi import SCHEMAS
from central.schemas import body_ref, query_params, request_components
from central.server import api_routes, document
from central.validation import problems
from protocol import central as c

Json = dict[str, Any]

# operationId -> the model kioskd reads its answer with
REPLIES: dict[str, type[Any]] = {
    "getCard": c.CardInfo, "createLoadOrder": c.OrderCreated, "getLoadOrder": c.LoadOrder,
    "issueLoadMac2": c.Mac2Issued, "confirmLoadOrder": c.OrderConfirmed,
    "createPurchaseOrder": c.OrderCreated, "issuePurchaseMac1": c.Mac1Issued,
    "confirmPurchaseOrder": c.OrderConfirmed, "redeemPoints": c.Redemption,
    "findBill": c.Bill, "listTransactions": c.TransactionPage, "getStatement": c.Statement,
    "listNotices": c.CentralNotices, "verifyPin": c.PinResult, "setPin": c.PinResult,
    "changePin": c.PinResult, "reportLoss": c.LossReport, "createFeedback": c.FeedbackTicket,
    "cancelLossReport": c.LossCancelled, "openDispute": c.Dispute,
    "repayOverdraft": c.Repayment, "createTransfer": c.TransferCreated,
    "heartbeat": c.ServerClock,
}
# operationId -> the model kioskd sends as the body
REQUESTS: dict[str, type[c.CentralRequest]] = {
    "createLoadOrder": c.LoadOrderCreate, "createTransfer": c.TransferCreate,
    "repayOverdraft": c.RepaymentCreate, "createPurchaseOrder": c.PurchaseOrderCreate,
    "issueLoadMac2": c.InitForLoad, "issuePurchaseMac1": c.InitForPurchase,
    "confirmLoadOrder": c.LoadConfirm, "confirmPurchaseOrder": c.PurchaseConfirm,
    "getStatement": c.StatementRequest, "redeemPoints": c.RedeemPoints, "setPin": c.PinSet,
    "changePin": c.PinChange, "reportLoss": c.LossReportRequest,
    "cancelLossReport": c.LossReportRequest, "openDispute": c.DisputeCreate,
    "createFeedback": c.Feedback,
}

# operationId -> the model of the query kioskd sends
QUERIES: dict[str, type[c.CentralQuery]] = {"findBill": c.BillQuery,
                                            "listTransactions": c.HistoryQuery}

# What kioskd sends, built as kioskd builds it (optional fields left None: not sent).
PIN = "0123456789ABCDEF0123456789abcdef"
SENT: list[tuple[str, c.CentralRequest]] = [
    ("createLoadOrder", c.LoadOrderCreate(card_no="31044403000000100017", amount_fen=5000,
                                          terminal_id="0000000000A1", balance_fen=None)),
    ("createLoadOrder", c.LoadOrderCreate(card_no="31044403000000100017", amount_fen=1,
                                          terminal_id="0000000000a1", balance_fen=0)),
    ("createTransfer", c.TransferCreate(amount_fen=100, terminal_id="0000000000A1")),
    ("repayOverdraft", c.RepaymentCreate(amount_fen=100, terminal_id="0000000000A1")),
    ("createPurchaseOrder", c.PurchaseOrderCreate(
        card_no="31044403000000100017", bill_id="B1", amount_fen=3000,
        terminal_id="0000000000A1", pin_block=None)),
    ("createPurchaseOrder", c.PurchaseOrderCreate(
        card_no="31044403000000100017", bill_id="B1", amount_fen=3000,
        terminal_id="0000000000A1", pin_block=PIN)),
    ("issueLoadMac2", c.InitForLoad(init_response="00" * 16)),
    ("issuePurchaseMac1", c.InitForPurchase(init_response="00" * 15)),
    ("confirmLoadOrder", c.LoadConfirm(tac="1A2B3C4D")),
    ("confirmLoadOrder", c.LoadConfirm(card_record="00" * 23)),
    ("confirmPurchaseOrder", c.PurchaseConfirm(tac="1A2B3C4D", mac2="00000000")),
    ("confirmPurchaseOrder", c.PurchaseConfirm(card_record="00" * 23)),
    ("getStatement", c.StatementRequest(from_="2026-11-01", to="2026-11-30", pin_block=None)),
    ("redeemPoints", c.RedeemPoints(points=100, terminal_id="0000000000A1")),
    ("setPin", c.PinSet(new_pin_block=PIN, id_last6="12345X")),
    ("changePin", c.PinChange(old_pin_block=PIN, new_pin_block=PIN)),
    ("reportLoss", c.LossReportRequest(pin_block=PIN)),
    ("reportLoss", c.LossReportRequest(id_last6="123456")),
    ("openDispute", c.DisputeCreate(transaction_id=7)),
    ("openDispute", c.DisputeCreate(transaction_id=7, id_last6="12345x")),
    ("createFeedback", c.Feedback(category="receipt", text="x", phone=None, card_no=None)),
    ("heartbeat", c.Heartbeat(software_version="1.0", state="idle", devices={"printer": "ok"},
                              cashbox_fen=0, queue_depth=0)),
    ("uploadEvents", c.EventBatch(events=[c.KioskEvent(event_id="e-1", kind="fault",
                                                       occurred_at="2026-12-02T10:00:00+08:00",
                                                       data={"device": "printer"})])),
]


def _operations() -> dict[str, Json]:
    return {op["operationId"]: op for ops in document()["paths"].values()
            for op in ops.values()}


def _resolve(schema: Json, defs: Json) -> Json:
    """A schema with its $ref followed and its allOf merged; ``nullable`` dropped."""
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: Json = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(part, defs)
            merged["properties"] |= part.get("properties", {})
            merged["required"] += part.get("required", [])
        return merged
    return schema


def _kinds(schema: Json, defs: Json) -> set[str]:
    """The JSON types a (msgspec, JSON Schema 2020-12) schema allows, null left out."""
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        return set().union(*(_kinds(s, defs) for s in schema["anyOf"])) - {"null"}
    kind = schema.get("type")
    if kind is None:  # enum / const without a type, or Any
        values = schema.get("enum", [schema["const"]] if "const" in schema else [])
        return {"string" if isinstance(v, str) else "integer" for v in values} or {"any"}
    return {kind} - {"null"}


def _not_null(schema: Json, defs: Json) -> Json:
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        (only,) = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(only, defs)
    return schema


def _compare_reply(model: Json, mdefs: Json, server: Json, sdefs: Json, where: str,
                   faults: list[str]) -> None:
    model, server = _not_null(model, mdefs), _resolve(server, sdefs)
    kinds, server_kind = _kinds(model, mdefs), server.get("type")
    if "any" in kinds or server_kind is None:
        return
    if server_kind not in kinds and not (server_kind == "integer" and "number" in kinds):
        faults.append(f"{where}: the kiosk reads {sorted(kinds)}, the server answers "
                      f"{server_kind}")
        return
    if server_kind == "array":
        _compare_reply(model.get("items", {}), mdefs, server.get("items", {}), sdefs,
                       f"{where}[]", faults)
    if server_kind == "object":
        props = server.get("properties", {})
        for name in model.get("required", []):
            if name not in server.get("required", []):
                faults.append(f"{where}.{name}: the kiosk requires it, the server may leave "
                              "it out")
        for name, sub in model.get("properties", {}).items():
            if name in props:
                _compare_reply(sub, mdefs, props[name], sdefs, f"{where}.{name}", faults)


@pytest.mark.parametrize("operation", sorted(REPLIES))
def test_what_the_kiosk_reads_is_what_the_server_answers(operation: str) -> None:
    op = _operations()[operation]
    success = next(r for status, r in op["responses"].items() if status.startswith("2"))
    server = success["content"]["application/json"]["schema"]
    model = msgspec.json.schema(REPLIES[operation])
    faults: list[str] = []
    _compare_reply(model, model.get("$defs", {}), server,
                   document()["components"]["schemas"], operation, faults)
    assert faults == []


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_the_server_takes_the_body_the_kiosk_sends(operation: str) -> None:
    route = next(r for r in api_routes() if r.operation_id == operation)
    assert route.body is REQUESTS[operation]


def test_every_body_is_a_generated_component() -> None:
    doc = document()
    for ops in doc["paths"].values():
        for op in ops.values():
            if "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                name = schema["$ref"].rsplit("/", 1)[-1]
                assert doc["components"]["schemas"][name] == request_components()[name]


@pytest.mark.parametrize(("operation", "body"), SENT, ids=[f"{o}-{i}" for i, (o, _)
                                                          in enumerate(SENT)])
def test_what_the_kiosk_encodes_passes_the_servers_validation(
        operation: str, body: c.CentralRequest) -> None:
    route = next(r for r in api_routes() if r.operation_id == operation)
    assert route.body is type(body)
    sent = json.loads(msgspec.json.encode(body))
    assert None not in sent.values()  # an optional field left out is absent, not null
    assert problems(sent, body_ref(route.body), components=SCHEMAS) == []


@pytest.mark.parametrize("operation", sorted(QUERIES))
def test_the_server_takes_the_query_the_kiosk_sends(operation: str) -> None:
    route = next(r for r in api_routes() if r.operation_id == operation)
    assert route.query == query_params(QUERIES[operation])
    documented = [p["name"] for p in _operations()[operation]["parameters"]
                  if p["in"] == "query"]
    assert documented == list(msgspec.json.schema(QUERIES[operation])["$defs"][
        QUERIES[operation].__name__]["properties"])


@pytest.mark.parametrize("query", [
    c.BillQuery(utility="water", account_no="100001"),
    c.HistoryQuery(limit=20), c.HistoryQuery(limit=20, cursor="abc_-1", from_="2026-11-01",
                                             to="2026-11-30", kind="ride"),
])
def test_what_the_kiosk_asks_passes_the_servers_validation(query: c.CentralQuery) -> None:
    operation = next(o for o, m in QUERIES.items() if m is type(query))
    route = next(r for r in api_routes() if r.operation_id == operation)
    schemas = {p.name: p.schema for p in route.query}
    sent = json.loads(msgspec.json.encode(query))
    assert sent and all(problems(v, schemas[k], where=k) == [] for k, v in sent.items())
