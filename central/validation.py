"""Requests checked against the JSON Schemas the OpenAPI document publishes, with the
``jsonschema`` library, every problem named.

The schemas are the document's: a body's is generated from its model
(:mod:`central.schemas`), a path or query parameter's is the route's. This module
only puts the library's findings into the project's words (``400
validation_error``, :func:`central.app._invalid`): one :class:`SchemaViolation`
per place, ``body.card_no`` / ``body.events[0].kind`` / ``limit``, in the order a
reader meets them — what the whole value breaks first (a documented form), then the
required fields left out, then the fields as sent.

One deliberate departure from JSON Schema: an ``integer`` is a JSON integer, never
``100.0`` (the standard counts that as an integer) — amounts are integer fen and a
float must never reach a handler.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

__all__ = ["SchemaViolation", "problems"]


def _is_integer(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_Strict = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))

_COMPONENT = "#/components/schemas/"
_ARTICLE = {"array": "an", "integer": "an", "object": "an"}


class SchemaViolation(ValueError):
    """One place where a value breaks its schema (all its problems there, joined)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# (schema, components) -> the compiled validator; the key's objects are kept in the
# value so their ids are never reused while cached. Schemas are module constants
# (PATH_PARAMS, a route's Param, central.schemas), so this stays small.
_COMPILED: dict[tuple[int, int], tuple[object, object, Validator]] = {}


def _validator(schema: Mapping[str, Any], components: Mapping[str, Any] | None) -> Validator:
    key = (id(schema), id(components))
    hit = _COMPILED.get(key)
    if hit is None:
        root = _inlined(schema, components or {}, ())
        hit = (schema, components, _Strict(root))
        _COMPILED[key] = hit
    return hit[2]


def _inlined(schema: Any, components: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    """``schema`` with every ``$ref`` into the components replaced by what it names:
    resolving a reference on every request (every item of an events batch) costs more
    than the check itself. Request schemas do not refer to themselves."""
    if isinstance(schema, list):
        return [_inlined(s, components, seen) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    target = str(schema.get("$ref", ""))
    if target.startswith(_COMPONENT):
        name = target.removeprefix(_COMPONENT)
        if name in seen:
            raise ValueError(f"a request schema refers to itself: {' > '.join(seen)}")
        return _inlined(components[name], components, (*seen, name))
    return {k: _inlined(v, components, seen) for k, v in schema.items()}


def problems(value: Any, schema: Mapping[str, Any], *, where: str = "body",
             components: Mapping[str, Any] | None = None) -> list[SchemaViolation]:
    """Every :class:`SchemaViolation` of ``value`` (empty: it satisfies ``schema``);
    ``components`` resolves ``$ref: #/components/schemas/…``."""
    found: list[tuple[tuple[int, ...], str, str]] = []
    for error in _validator(schema, components).iter_errors(value):
        found += _explain(error, value, where)
    found.sort(key=lambda f: f[0])  # stable: the library's order within one place
    merged: dict[str, list[str]] = {}
    for _, place, problem in found:
        if problem not in merged.setdefault(place, []):
            merged[place].append(problem)
    return [SchemaViolation(place, " and ".join(said)) for place, said in merged.items()]


def _explain(error: ValidationError, root: Any, where: str
             ) -> Iterator[tuple[tuple[int, ...], str, str]]:
    """``(rank, place, problem)`` of one library error; rank orders them as a reader
    meets them."""
    path = list(error.absolute_path)
    place, rank = _place(where, path), _rank(root, path)
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        # the library yields one error per missing name, each naming it only in prose
        for name in expected:
            if name not in instance:
                yield (*rank, -1), f"{place}.{name}", "is required"
    elif kind == "additionalProperties":
        known = error.schema.get("properties", {})
        keys = list(instance)
        for name in keys:
            if name not in known:
                yield (*rank, keys.index(name)), f"{place}.{name}", "is not a known field"
    else:
        yield rank, place, _said(kind, expected, error)


def _said(kind: Any, expected: Any, error: ValidationError) -> str:
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return "must be " + " or ".join(f"{_ARTICLE.get(n, 'a')} {n}" for n in names)
    simple = {
        "enum": lambda: f"must be one of {', '.join(map(str, expected))}",
        "const": lambda: f"must be {expected}",
        "pattern": lambda: f"must match {expected}",
        "minLength": lambda: f"must be at least {expected} characters",
        "maxLength": lambda: f"must be at most {expected} characters",
        "minimum": lambda: f"must be at least {expected}",
        "maximum": lambda: f"must be at most {expected}",
        "minItems": lambda: f"must have at least {expected} items",
        "maxItems": lambda: f"must have at most {expected} items",
        "minProperties": lambda: f"must have at least {expected} fields",
    }
    if kind in simple:
        return simple[kind]()
    if kind == "oneOf" and all(set(o) == {"required"} for o in expected):
        forms = [" and ".join(o["required"]) for o in expected]
        return f"must carry exactly one of: {', or '.join(forms)}"
    if kind == "not" and set(expected) == {"required"}:
        return f"must not carry {' and '.join(expected['required'])} together"
    if kind in ("oneOf", "anyOf"):
        return "must match exactly one of the documented forms"
    return str(error.message)


def _place(where: str, path: list[Any]) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _rank(root: Any, path: list[Any]) -> tuple[int, ...]:
    """Where ``path`` is in the value as sent: each step's position among its siblings."""
    rank: list[int] = []
    node = root
    for step in path:
        if isinstance(node, dict):
            keys = list(node)
            rank.append(keys.index(step) if step in node else len(keys))
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int):
            rank.append(step)
            node = node[step]
    return tuple(rank)
