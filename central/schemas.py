"""JSON Schemas of the API's messages: the request bodies, generated from their models,
and the answers.

**Requests** are typed once: the msgspec models of what a kiosk sends
(:mod:`protocol.central`, which kioskd builds) and of what the issuer's staff send
(the admin models below). :data:`REQUEST_MODELS` lists every model a route takes
as its body (``Route.body``); :func:`request_components` turns them into JSON
Schema components with ``msgspec.json.schema_components``. The server validates
each body against its component (:mod:`central.validation`) and the OpenAPI
document publishes the same components (:mod:`central.openapi`), so what the kiosk
sends, what the server takes and what the document says cannot drift apart. The
queries a kiosk sends are models too (:func:`query_params` makes a route's ``Param``
list from one).

**Answers** are still written here as JSON Schema (:data:`REPLY_COMPONENTS`): the
kiosk's reply models are deliberately lenient (a field the kiosk only shows has a
default, so an older or newer centre is still read), while these say what this
server always sends; tests/central/test_protocol_models.py keeps the two compatible
(docs/decisions.md, "Request schemas from the protocol models").
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from central.router import PATH_PARAMS, Param
from protocol import central as c

__all__ = ["CARD_NO", "COMPONENTS", "MAX_OVERLAP_S", "REPLY_COMPONENTS", "REQUEST_MODELS",
           "AdminRequest", "BlacklistLift", "KioskAdd", "ReplacementRecord", "SecretRotation",
           "body_ref", "query_params", "ref", "request_components"]

Json = dict[str, Any]
_REF = "#/components/schemas/{name}"


def ref(name: str) -> Json:
    return {"$ref": _REF.format(name=name)}


def _nullable(schema: Json) -> Json:
    return {**schema, "nullable": True}


def _obj(required: list[str], properties: Json, description: str = "") -> Json:
    out: Json = {"type": "object", "required": required, "properties": properties}
    if description:
        out["description"] = description
    return out


# -- what the issuer's staff send (central/routes/admin.py) --------------------------------
MAX_OVERLAP_S = 30 * 86400  # the longest a rotated kiosk secret's predecessor stays valid


class AdminRequest(c.CentralRequest, frozen=True):
    """An admin operation's body (``/v1/admin/*``): never sent by a kiosk."""


class BlacklistLift(AdminRequest, frozen=True):
    note: Annotated[str, Meta(max_length=500, description="why (kept in the audit trail)")
                    ] | None = None


class ReplacementRecord(AdminRequest, frozen=True):
    new_card_no: c.CardNo


class KioskAdd(AdminRequest, frozen=True):
    kiosk_id: Annotated[str, Meta(pattern=PATH_PARAMS["kiosk_id"]["pattern"], min_length=1,
                                  max_length=64, description="kiosk id")]


class SecretRotation(AdminRequest, frozen=True):
    overlap_s: Annotated[int, Meta(ge=0, le=MAX_OVERLAP_S,
                                   description="seconds the old secret stays valid "
                                               "(default 86400)")] | None = None


#: Every model a route takes as its body; a route's body must be one of them
#: (:func:`central.openapi.operation_extra` refuses another).
REQUEST_MODELS: tuple[type[c.CentralRequest], ...] = (
    c.LoadOrderCreate, c.TransferCreate, c.RepaymentCreate, c.PurchaseOrderCreate,
    c.InitForLoad, c.InitForPurchase, c.LoadConfirm, c.PurchaseConfirm, c.LoadCancel,
    c.PurchaseCancel, c.StatementRequest, c.RedeemPoints, c.PinVerify, c.PinSet,
    c.PinChange, c.LossReportRequest, c.DisputeCreate, c.Feedback, c.Heartbeat,
    c.KioskEvent, c.EventBatch,
    BlacklistLift, ReplacementRecord, KioskAdd, SecretRotation,
)


def body_ref(model: type[c.CentralRequest]) -> Json:
    """The ``$ref`` a route's body is published and validated as."""
    if model not in REQUEST_MODELS:
        raise ValueError(f"{model.__name__} is a route's body but not in REQUEST_MODELS")
    return _BODY_REFS[model]


def _absent_not_null(schema: Json) -> Json:
    """A model's optional field (``X | None = None``) as the wire has it: absent when
    None (:class:`protocol.central.CentralRequest` omits defaults), never null — so the
    null branch and the default go, and what is left reads as OpenAPI 3.0."""
    out = dict(schema)
    out.pop("title", None)
    props: Json = {}
    for name, prop in out.get("properties", {}).items():
        options = prop.get("anyOf")
        if options is not None and {"type": "null"} in options and prop.get("default") is None:
            (only,) = [o for o in options if o != {"type": "null"}]
            prop = {k: v for k, v in prop.items() if k not in ("anyOf", "default")} | only
        props[name] = _typed_enum(prop)
    if props:
        out["properties"] = props
    return out


def _typed_enum(schema: Json) -> Json:
    """msgspec writes a ``Literal`` as a bare ``enum``; OpenAPI readers like its type."""
    if "enum" in schema and "type" not in schema and all(
            isinstance(v, str) for v in schema["enum"]):
        return {"type": "string", **schema}
    return schema


def request_components(models: tuple[type[c.CentralRequest], ...] = REQUEST_MODELS
                       ) -> dict[str, Json]:
    """The request bodies' JSON Schema components, generated from their models (plus
    each model's ``json_schema_extra``: which fields go together)."""
    _, defs = msgspec.json.schema_components(models, ref_template=_REF)
    by_name = {m.__name__: m for m in models}
    out: dict[str, Json] = {}
    for name, schema in defs.items():
        extra: Json = by_name[name].json_schema_extra
        out[name] = _absent_not_null(schema) | extra
    return out


_BODY_REFS = {m: ref(m.__name__) for m in REQUEST_MODELS}


def query_params(model: type[c.CentralQuery]) -> tuple[Param, ...]:
    """A route's query parameters from the model of the query the kiosk sends: each
    field one ``Param`` (its description beside the schema, as OpenAPI has it)."""
    _, defs = msgspec.json.schema_components([model], ref_template=_REF)
    schema = _absent_not_null(defs[model.__name__])
    required = schema.get("required", [])
    out = []
    for name, prop in schema["properties"].items():
        description = prop.get("description", "")
        out.append(Param(name, {k: v for k, v in prop.items() if k != "description"},
                         description, required=name in required))
    return tuple(out)

CARD_NO: Json = msgspec.json.schema(c.CardNo)
_FEN: Json = {"type": "integer", "description": "fen"}
_TIME: Json = {"type": "string", "format": "date-time",
               "description": "ISO 8601, China time (+08:00)"}
_DATE: Json = {"type": "string", "format": "date"}
_CARD_TYPES = ["ordinary", "student", "senior", "disabled", "staff"]
_CARD_STATUS = ["active", "lost", "blacklisted", "expired"]

REPLY_COMPONENTS: dict[str, Json] = {
    "Error": _obj(["code", "message", "message_zh", "details"], {
        "code": {"type": "string", "description": "stable machine-readable code"},
        "message": {"type": "string"},
        "message_zh": {"type": "string"},
        "details": {"type": "object"},
    }, "The one error shape of every refusal."),
    "Health": _obj(["status", "time"], {
        "status": {"type": "string", "enum": ["ok"]},
        "time": {"type": "integer", "description": "server Unix time"},
    }),
    "PendingLoad": _obj(["order_id", "amount_fen", "status", "source", "created_at",
                         "terminal_id"], {
        "order_id": {"type": "string"},
        "amount_fen": _FEN,
        "status": {"type": "string", "enum": ["created", "mac2_issued"]},
        "source": {"type": "string", "enum": ["cash", "points", "transfer"]},
        "created_at": _TIME,
        "terminal_id": {"type": "string"},
    }, "A load held by the central side for this card, waiting for the card."),
    "Card": _obj(["card_no", "card_type", "discount", "holder_name_masked", "status",
                  "valid_from", "valid_until", "points", "pin_set", "pin_locked_until",
                  "pending_loads", "load_limits"], {
        "card_no": CARD_NO,
        "card_type": {"type": "string", "enum": _CARD_TYPES},
        "discount": ref("Discount"),
        "holder_name_masked": {"type": "string", "description": "张* / 王*英"},
        "status": {"type": "string", "enum": _CARD_STATUS},
        "valid_from": _DATE,
        "valid_until": _DATE,
        "points": {"type": "integer", "minimum": 0},
        "pin_set": {"type": "boolean"},
        "pin_locked_until": _nullable(_TIME),
        "pending_loads": {"type": "array", "items": ref("PendingLoad")},
        "load_limits": ref("LoadLimits"),
        "transfer": _nullable(ref("TransferStatus")),
        "blacklist": _nullable(_obj(["reason", "owed_fen"], {
            "reason": {"type": "string", "enum": ["overdraft", "fraud", "other"]},
            "owed_fen": {**_FEN, "description": "what an overdraft owes (0 for other "
                         "reasons)"}}, "Why a blacklisted card is; null for any other card.")),
    }),
    "Dispute": _obj(["ticket_no", "card_no", "transaction", "loss_report_no", "created_at"], {
        "ticket_no": {"type": "string"},
        "card_no": CARD_NO,
        "transaction": _obj(["id", "occurred_at", "kind", "amount_fen", "order_id",
                             "terminal_id"], {
            "id": {"type": "integer"}, "occurred_at": _TIME, "kind": {"type": "string"},
            "amount_fen": {"type": "integer"}, "order_id": _nullable({"type": "string"}),
            "terminal_id": _nullable({"type": "string"})}, "the disputed transaction"),
        "loss_report_no": _nullable({"type": "string", "description": "when the card was "
                                     "reported lost in the same request"}),
        "created_at": _TIME,
    }),
    "Repayment": _obj(["repayment_id", "card_no", "amount_fen", "owed_before_fen", "owed_fen",
                       "lifted", "status", "repaid_at"], {
        "repayment_id": {"type": "string"},
        "card_no": CARD_NO,
        "amount_fen": _FEN,
        "owed_before_fen": _FEN,
        "owed_fen": {**_FEN, "description": "still owed"},
        "lifted": {"type": "boolean", "description": "the blacklist entry was lifted"},
        "status": {"type": "string", "enum": ["active", "blacklisted"]},
        "repaid_at": _TIME,
    }),
    "TransferStatus": _obj(["old_card_no", "status", "available_at", "confirmed_balance_fen",
                            "late_fen", "transferred_fen", "transferable_fen"], {
        "old_card_no": CARD_NO,
        "old_aid": _nullable({"type": "string", "description": "the old card's application "
                              "(AID, hex): a T-Union card prints its serial without its "
                              "first digit"}),
        "status": {"type": "string", "enum": ["held", "available", "in_progress", "done"]},
        "available_at": _TIME,
        "confirmed_balance_fen": {**_FEN, "description": "the old card's last confirmed "
                                  "balance when the replacement was recorded"},
        "late_fen": {**_FEN, "description": "debits of the old card that arrived since"},
        "transferred_fen": {**_FEN, "description": "moved, or being moved, to this card"},
        "transferable_fen": _FEN,
    }, "This card replaces a lost card: the old card's balance, held until available_at, "
       "then moved by a transfer."),
    "Transfer": {"allOf": [ref("LoadOrder"), _obj(["old_card_no", "transferable_left_fen"], {
        "old_card_no": CARD_NO,
        "transferable_left_fen": {**_FEN, "description": "what stays transferable (over "
                                  "the e-purse cap now)"}})]},
    "LossCancelled": _obj(["card_no", "status", "report_no", "cancelled_at", "message",
                           "message_zh"], {
        "card_no": CARD_NO,
        "status": {"type": "string", "enum": ["active"]},
        "report_no": _nullable({"type": "string"}),
        "cancelled_at": _TIME,
        "message": {"type": "string"},
        "message_zh": {"type": "string"},
    }),
    "Discount": _obj(["bus_percent", "metro_percent", "transfer_off_fen",
                      "transfer_window_min"], {
        "bus_percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "metro_percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "transfer_off_fen": _FEN,
        "transfer_window_min": {"type": "integer", "minimum": 0},
    }, "The card type's ride discount (percent off the fare, rounded down to whole jiao) "
       "and the transfer discount off a second ride within the window."),
    "LoadLimits": _obj(["single_max_fen", "daily_max_fen", "daily_used_fen",
                        "daily_remaining_fen", "purse_cap_fen"], {
        "single_max_fen": _FEN, "daily_max_fen": _FEN, "daily_used_fen": _FEN,
        "daily_remaining_fen": _FEN, "purse_cap_fen": _FEN,
    }, "The load limits for this card now: a kiosk shows them, and inhibits its acceptor "
       "at the headroom, before the first note."),
    "LoadOrder": _obj(["order_id", "card_no", "amount_fen", "source", "status", "terminal_id",
                       "created_at", "updated_at", "points_used", "balance_before_fen",
                       "balance_after_fen", "online_counter", "mac2", "host_date",
                       "host_time", "confirmed_by"], {
        "order_id": {"type": "string"},
        "card_no": CARD_NO,
        "amount_fen": _FEN,
        "source": {"type": "string", "enum": ["cash", "points", "transfer"]},
        "status": {"type": "string",
                   "enum": ["created", "mac2_issued", "completed", "cancelled"]},
        "terminal_id": {"type": "string"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "points_used": {"type": "integer", "minimum": 0},
        "balance_before_fen": _nullable(_FEN),
        "balance_after_fen": _nullable(_FEN),
        "online_counter": _nullable({"type": "integer"}),
        "mac2": _nullable({"type": "string", "description": "4 bytes hex, for CREDIT FOR LOAD"}),
        "host_date": _nullable({"type": "string", "description": "YYYYMMDD (BCD on the card)"}),
        "host_time": _nullable({"type": "string", "description": "hhmmss (BCD on the card)"}),
        "confirmed_by": _nullable({"type": "string", "enum": ["tac", "card_record"]}),
    }),
    "PurchaseOrder": _obj(["order_id", "card_no", "bill_id", "amount_fen", "status",
                           "terminal_id", "created_at", "updated_at", "balance_before_fen",
                           "balance_after_fen", "offline_counter", "terminal_seq", "mac1",
                           "host_date", "host_time", "confirmed_by"], {
        "order_id": {"type": "string"},
        "card_no": CARD_NO,
        "bill_id": {"type": "string"},
        "amount_fen": _FEN,
        "status": {"type": "string",
                   "enum": ["created", "mac1_issued", "completed", "cancelled"]},
        "terminal_id": {"type": "string"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "balance_before_fen": _nullable(_FEN),
        "balance_after_fen": _nullable(_FEN),
        "offline_counter": _nullable({"type": "integer"}),
        "terminal_seq": _nullable({"type": "integer", "description":
                                   "terminal transaction serial (4 bytes) for DEBIT FOR PURCHASE"}),
        "mac1": _nullable({"type": "string", "description": "4 bytes hex"}),
        "host_date": _nullable({"type": "string"}),
        "host_time": _nullable({"type": "string"}),
        "confirmed_by": _nullable({"type": "string", "enum": ["tac", "card_record"]}),
    }),
    "Transaction": _obj(["id", "kind", "occurred_at", "amount_fen", "balance_after_fen",
                         "points_delta"], {
        "id": {"type": "integer"},
        "kind": {"type": "string",
                 "enum": ["ride", "purchase", "load", "bill_payment", "points",
                          "transfer_out", "repayment"]},
        "occurred_at": _TIME,
        "amount_fen": {"type": "integer",
                       "description": "change of the e-purse balance (negative = paid)"},
        "balance_after_fen": _nullable(_FEN),
        "fare_fen": _nullable({"type": "integer", "description": "ride: full fare"}),
        "ride_discount_fen": _nullable({"type": "integer",
                                        "description": "ride: card-type discount"}),
        "transfer_discount_fen": _nullable({"type": "integer",
                                            "description": "ride: transfer discount"}),
        "mode": _nullable({"type": "string", "enum": ["bus", "metro"]}),
        "line": _nullable({"type": "string"}),
        "station": _nullable({"type": "string"}),
        "merchant": _nullable({"type": "string"}),
        "points_delta": {"type": "integer"},
        "terminal_id": _nullable({"type": "string"}),
        "order_id": _nullable({"type": "string"}),
    }),
    "TransactionPage": _obj(["card_no", "items", "next_cursor"], {
        "card_no": CARD_NO,
        "items": {"type": "array", "items": ref("Transaction")},
        "next_cursor": _nullable({"type": "string",
                                  "description": "pass as ?cursor= for the next page"}),
    }),
    "Statement": _obj(["card_no", "from", "to", "opening_balance_fen", "closing_balance_fen",
                       "totals", "items", "truncated"], {
        "card_no": CARD_NO,
        "from": _DATE,
        "to": _DATE,
        "opening_balance_fen": _FEN,
        "closing_balance_fen": _FEN,
        "totals": _obj(["loads_fen", "rides_fen", "purchases_fen", "bill_payments_fen",
                        "ride_discounts_fen", "transfer_discounts_fen", "points_delta",
                        "count"], {k: {"type": "integer"} for k in (
                            "loads_fen", "rides_fen", "purchases_fen", "bill_payments_fen",
                            "ride_discounts_fen", "transfer_discounts_fen", "points_delta",
                            "count")}),
        "items": {"type": "array", "items": ref("Transaction"), "maxItems": 1000},
        "truncated": {"type": "boolean", "description": "more than 1000 transactions"},
    }),
    "PendingLoads": _obj(["card_no", "pending_loads", "total_fen"], {
        "card_no": CARD_NO,
        "pending_loads": {"type": "array", "items": ref("LoadOrder")},
        "total_fen": _FEN,
    }),
    "LossReport": _obj(["card_no", "status", "report_no", "reported_at", "message",
                        "message_zh"], {
        "card_no": CARD_NO,
        "status": {"type": "string", "enum": ["lost"]},
        "report_no": {"type": "string"},
        "reported_at": _TIME,
        "message": {"type": "string"},
        "message_zh": {"type": "string"},
    }),
    "PinResult": _obj(["card_no", "verified", "pin_set"], {
        "card_no": CARD_NO,
        "verified": {"type": "boolean"},
        "pin_set": {"type": "boolean"},
    }),
    "Points": _obj(["card_no", "points", "points_per_yuan", "redeemable_points",
                    "redeemable_fen"], {
        "card_no": CARD_NO,
        "points": {"type": "integer", "minimum": 0},
        "points_per_yuan": {"type": "integer", "minimum": 1},
        "redeemable_points": {"type": "integer", "minimum": 0},
        "redeemable_fen": _FEN,
    }),
    "Redemption": _obj(["order", "points_left"], {
        "order": ref("LoadOrder"),
        "points_left": {"type": "integer", "minimum": 0},
    }),
    "Bill": _obj(["bill_id", "utility", "account_no", "payee", "payee_zh",
                  "holder_name_masked", "period", "amount_due_fen", "due_date", "status",
                  "pin_required"], {
        "bill_id": {"type": "string"},
        "utility": {"type": "string", "enum": ["water", "electricity", "gas"]},
        "account_no": {"type": "string"},
        "payee": {"type": "string"},
        "payee_zh": {"type": "string"},
        "holder_name_masked": {"type": "string"},
        "period": {"type": "string", "description": "YYYY-MM"},
        "amount_due_fen": _FEN,
        "due_date": _DATE,
        "status": {"type": "string", "enum": ["unpaid", "paid"]},
        "pin_required": {"type": "boolean",
                         "description": "paying needs the payment password (pin_block)"},
    }),
    "Notice": _obj(["notice_id", "kind", "title", "title_zh", "body", "body_zh", "starts_at",
                    "ends_at", "active"], {
        "notice_id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["announcement", "maintenance"]},
        "title": {"type": "string"},
        "title_zh": {"type": "string"},
        "body": {"type": "string"},
        "body_zh": {"type": "string"},
        "starts_at": _TIME,
        "ends_at": _TIME,
        "active": {"type": "boolean"},
    }),
    "Notices": _obj(["notices"], {"notices": {"type": "array", "items": ref("Notice")}}),
    "HelpSection": _obj(["id", "title", "title_zh", "body", "body_zh"], {
        "id": {"type": "string", "pattern": "^[a-z_]{1,32}$"},
        "title": {"type": "string"}, "title_zh": {"type": "string"},
        "body": {"type": "string"}, "body_zh": {"type": "string"},
    }),
    "HelpDocument": _obj(["version", "sections"], {
        "version": {"type": "string"},
        "sections": {"type": "array", "items": ref("HelpSection")},
    }),
    "FeedbackTicket": _obj(["ticket_no", "created_at"], {
        "ticket_no": {"type": "string"},
        "created_at": _TIME,
    }),
    "HeartbeatAck": _obj(["kiosk_id", "server_time", "maintenance", "maintenance_until",
                          "next_maintenance"], {
        "kiosk_id": {"type": "string"},
        "server_time": {"type": "integer", "description": "Unix seconds: the server's "
                        "clock, against which the kiosk measures its skew"},
        "maintenance": {"type": "boolean",
                        "description": "a maintenance window is active now"},
        "maintenance_until": _nullable({
            "type": "integer", "description": "Unix seconds: when the active window ends"}),
        "next_maintenance": _nullable(_obj(["starts_at", "ends_at"], {
            "starts_at": {"type": "integer"}, "ends_at": {"type": "integer"}},
            "the next window to start (Unix seconds), so the kiosk can begin it on time "
            "between heartbeats")),
    }),
    "EventsAck": _obj(["accepted", "duplicates"], {
        "accepted": {"type": "integer", "minimum": 0},
        "duplicates": {"type": "integer", "minimum": 0},
    }),
    "Alert": _obj(["id", "rule", "severity", "subject_kind", "subject", "kiosk_id", "first_at",
                   "last_at", "hits", "details", "card_blacklisted", "acknowledged_at"], {
        "id": {"type": "integer", "minimum": 1},
        "rule": {"type": "string", "description": "which rule (docs/operations.md, "
                 "'Risk rules and alerts')"},
        "severity": {"type": "string", "enum": ["medium", "high"]},
        "subject_kind": {"type": "string", "enum": ["card", "kiosk"]},
        "subject": {"type": "string", "description": "the card number or the kiosk id"},
        "kiosk_id": {"type": "string", "description": "where it was seen (last hit)"},
        "first_at": {"type": "string", "format": "date-time"},
        "last_at": {"type": "string", "format": "date-time"},
        "hits": {"type": "integer", "minimum": 1,
                 "description": "hits folded into this alert while it was open"},
        "details": {"type": "object", "description": "the rule's counts and thresholds"},
        "card_blacklisted": {"type": "boolean",
                             "description": "this alert blacklisted the card pending review"},
        "acknowledged_at": _nullable({"type": "string", "format": "date-time"}),
    }, "One hit (or several, folded) of a risk rule"),
    "AlertPage": _obj(["alerts", "next_before_id"], {
        "alerts": {"type": "array", "items": ref("Alert")},
        "next_before_id": _nullable({"type": "integer", "minimum": 1}),
    }),
    # the issuer's administration (central/routes/admin.py)
    "Replacement": _obj(["old_card_no", "new_card_no", "recorded_at",
                         "confirmed_balance_fen"], {
        "old_card_no": CARD_NO, "new_card_no": CARD_NO, "recorded_at": _TIME,
        "confirmed_balance_fen": {**_FEN, "minimum": 0, "description": "the old card's last "
                                  "confirmed balance, held until the transfer hold ends"},
    }, "A replacement card recorded for a lost one (补卡)"),
    "BlacklistLifted": _obj(["card_no", "status", "lifted_at", "previous_reason"], {
        "card_no": CARD_NO, "status": {"type": "string", "enum": ["active"]},
        "lifted_at": _TIME,
        "previous_reason": {"type": "string", "enum": ["overdraft", "fraud", "other"]},
    }),
    "KioskSecret": _obj(["kiosk_id", "secret", "previous_valid_until"], {
        "kiosk_id": {"type": "string"},
        "secret": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                   "description": "the kiosk's new HMAC secret (its secret file's content); "
                                  "shown in this answer only"},
        "previous_valid_until": _nullable({**_TIME, "description": "until when requests "
                                           "signed with the previous secret are accepted"}),
    }),
    "AuditEvent": _obj(["id", "at", "actor", "action", "subject", "details"], {
        "id": {"type": "integer", "minimum": 1}, "at": _TIME,
        "actor": {"type": "string", "description": "admin:NAME, console:USER, token-file "
                                                   "or risk-monitor"},
        "action": {"type": "string"}, "subject": {"type": "string"},
        "details": {"type": "object"},
    }),
    "AuditPage": _obj(["events", "next_before_id"], {
        "events": {"type": "array", "items": ref("AuditEvent")},
        "next_before_id": _nullable({"type": "integer", "minimum": 1}),
    }),
}

_REQUESTS = request_components()
_CLASH = set(_REQUESTS) & set(REPLY_COMPONENTS)
if _CLASH:  # a request model named like an answer would replace it in the document
    raise ValueError(f"request and answer components named alike: {sorted(_CLASH)}")
COMPONENTS: dict[str, Json] = REPLY_COMPONENTS | _REQUESTS
