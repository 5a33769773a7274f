"""The server's schemas and the kiosk's models (protocol/central.py) describe one contract.

The server validates and documents from its routes' JSON Schemas; kioskd reads
the answers with the shared msgspec models and sends the requests they type
(docs/decisions.md, "The central server on FastAPI"). Until the models are the
server's source too, this keeps the two equal where it matters: every field a
kiosk model *requires* is one the server's answer requires, with the same JSON
type (nested models included), and every field a kiosk request may send is one
the server's body accepts, while every field the server requires the kiosk
model requires too.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from central.server import document
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
REQUESTS: dict[str, type[Any]] = {
    "createLoadOrder": c.LoadOrderCreate, "createTransfer": c.TransferCreate,
    "repayOverdraft": c.RepaymentCreate, "createPurchaseOrder": c.PurchaseOrderCreate,
    "issueLoadMac2": c.InitResponse, "issuePurchaseMac1": c.InitResponse,
    "confirmLoadOrder": c.Confirm, "confirmPurchaseOrder": c.Confirm,
    "getStatement": c.StatementRequest, "redeemPoints": c.RedeemPoints, "setPin": c.PinSet,
    "changePin": c.PinChange, "reportLoss": c.LossReportRequest,
    "openDispute": c.DisputeCreate, "createFeedback": c.Feedback,
}

# One model serves two operations: a load's confirm never carries a purchase's MAC2
# (left at its default, so not sent: CentralRequest is omit_defaults).
NOT_SENT: dict[str, set[str]] = {"confirmLoadOrder": {"mac2"}}


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
def test_what_the_kiosk_sends_is_what_the_server_takes(operation: str) -> None:
    body = _operations()[operation]["requestBody"]["content"]["application/json"]["schema"]
    sdefs = document()["components"]["schemas"]
    body = _resolve(body, sdefs)
    model = msgspec.json.schema(REQUESTS[operation])
    mdefs = model.get("$defs", {})
    model = _resolve(model, mdefs)
    sent = set(model["properties"]) - NOT_SENT.get(operation, set())
    assert sent <= set(body.get("properties", {})), "fields the server would refuse"
    assert set(body.get("required", [])) <= set(model.get("required", [])), \
        "fields the server requires that the kiosk may leave out"
    for name in sent:
        kinds = _kinds(model["properties"][name], mdefs)
        server_kind = _resolve(body["properties"][name], sdefs).get("type")
        assert server_kind is None or server_kind in kinds, (name, kinds, server_kind)
