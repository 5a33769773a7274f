"""How a typed message crosses a process boundary: msgspec Structs, decoded with
every problem named.

Every message of both APIs is a :class:`Model` (a frozen ``msgspec.Struct``;
docs/decisions.md says why msgspec and not pydantic). A field's constraints
(``msgspec.Meta``: pattern, bounds, enum as ``Literal``) are the ones the
OpenAPI documents show, because the documents are generated from these
classes. A field may name the error code its *value* is refused with::

    Pin = Annotated[str, Meta(pattern="^[0-9]{6}$", extra={"code": "bad_pin"})]

A value of the wrong JSON type, or a missing required field, is ``bad_request``.

* :func:`decode` — a request body (a JSON object already parsed) into a model,
  or :class:`Invalid` listing every problem, one per field, in field order.
* :func:`decode_query` — the same for query parameters (strings converted).
* :func:`decode_reply` — an answer from another process (the central side, the
  daemon) into a model, or :class:`Invalid`: a reply is the other side's bug,
  not the user's, so the first problem is enough.
* :func:`to_json` — a model (or anything holding models) as plain JSON values.

Unknown fields are ignored everywhere, on purpose: a newer peer may add one —
except in the central API's request models (:class:`protocol.central.CentralRequest`),
whose generated schema is the server's, and the server refuses them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec

__all__ = ["Invalid", "Model", "Problem", "decode", "decode_query", "decode_reply",
           "field_code", "to_json"]

BAD_REQUEST = "bad_request"  # wrong JSON type or missing: the client's bug, whatever the field


class Model(msgspec.Struct, frozen=True):
    """Base of every wire message (frozen; unknown fields ignored)."""


M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Problem:
    """One field that is wrong: where, which catalogue code, and why."""

    field: str
    code: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class Invalid(ValueError):
    """A message did not decode into its model; ``problems`` lists every field that is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    @property
    def code(self) -> str:
        """The code of the first problem (a client branches on one code)."""
        return self.problems[0].code


def _meta(tp: Any) -> list[msgspec.Meta]:
    if get_origin(tp) is Annotated:
        return [m for m in get_args(tp)[1:] if isinstance(m, msgspec.Meta)]
    return []


def _bare(tp: Any) -> Any:
    """``tp`` with its value constraints taken off: the JSON type alone."""
    if get_origin(tp) is Annotated:
        return _bare(get_args(tp)[0])
    if get_origin(tp) is Literal:
        kinds = {type(v) for v in get_args(tp)}
        return kinds.pop() if len(kinds) == 1 else Any
    if get_origin(tp) in (Union, type(int | None)):
        args = tuple(_bare(a) for a in get_args(tp))
        return Union[args]  # noqa: UP007 -- built from a tuple
    return tp


def field_code(tp: Any) -> str:
    """The code a field's refused value is answered with (``bad_request`` if it names none)."""
    if get_origin(tp) in (Union, type(int | None)):
        for arg in get_args(tp):
            if arg is not type(None):
                return field_code(arg)
    for meta in _meta(tp):
        if meta.extra and "code" in meta.extra:
            return str(meta.extra["code"])
    return BAD_REQUEST


def _patterns(tp: Any) -> list[str]:
    if get_origin(tp) in (Union, type(int | None)):
        return [p for a in get_args(tp) for p in _patterns(a)]
    return [m.pattern for m in _meta(tp) if m.pattern is not None]


def _check(name: str, tp: Any, value: Any, strict: bool) -> tuple[Any, Problem | None]:
    try:
        msgspec.convert(value, _bare(tp), strict=strict)
    except msgspec.ValidationError as exc:
        # In a query every value is a string: a value that is no number is the field's own
        # error there, where in a JSON body a wrong type is the client's bug.
        return None, Problem(name, BAD_REQUEST if strict else field_code(tp), str(exc))
    try:
        converted = msgspec.convert(value, tp, strict=strict)
    except msgspec.ValidationError as exc:
        return None, Problem(name, field_code(tp), str(exc))
    # msgspec's pattern is a search, where ``$`` also matches before a final newline:
    # the whole value must match.
    if isinstance(converted, str) and any(re.fullmatch(p, converted) is None
                                          for p in _patterns(tp)):
        return None, Problem(name, field_code(tp), f"Expected `str` matching {_patterns(tp)[0]}")
    return converted, None


def _decode(model: type[M], data: Mapping[str, Any], strict: bool) -> M:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in msgspec.structs.fields(model):
        if f.encode_name not in data:
            if f.required:
                problems.append(Problem(f.encode_name, BAD_REQUEST, "a required field"))
            continue
        value, problem = _check(f.encode_name, f.type, data[f.encode_name], strict)
        if problem is not None:
            problems.append(problem)
        else:
            values[f.name] = value
    if problems:
        raise Invalid(problems)
    return model(**values)


def decode(model: type[M], data: Any) -> M:
    """A parsed JSON body as ``model``; :class:`Invalid` lists every field that is wrong."""
    if not isinstance(data, Mapping):
        raise Invalid([Problem("$", BAD_REQUEST, "Expected `object`")])
    return _decode(model, data, strict=True)


def decode_query(model: type[M], query: Mapping[str, str]) -> M:
    """Query parameters (strings) as ``model``: numbers and booleans converted."""
    return _decode(model, query, strict=False)


def decode_reply(model: type[M], data: bytes | Any) -> M:
    """A peer's answer (JSON bytes or already parsed) as ``model``, or :class:`Invalid`."""
    try:
        if isinstance(data, bytes | bytearray | memoryview):
            return msgspec.json.decode(data, type=model)
        return msgspec.convert(data, model)
    except msgspec.ValidationError as exc:
        path = str(exc).rpartition(" - at `")[2].rstrip("`") if " - at `" in str(exc) else "$"
        raise Invalid([Problem(path, "malformed", str(exc))]) from None
    except msgspec.DecodeError as exc:
        raise Invalid([Problem("$", "malformed", str(exc))]) from None


def to_json(obj: Any) -> Any:
    """Plain JSON values (dicts, lists, str, numbers) of a model or anything holding models."""
    return msgspec.to_builtins(obj)
