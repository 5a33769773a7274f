"""Request validation against the same JSON Schemas the OpenAPI document publishes.

A deliberately small subset of JSON Schema (type, properties, required,
additionalProperties, enum, pattern, min/max length, minimum/maximum, items,
min/maxItems, minProperties, oneOf, $ref into ``components.schemas``): enough
for this API's requests, and it keeps the document and the checks one thing.

:func:`problems` lists *every* place a value breaks its schema (a 400 names
them all, issue 14); :func:`validate` raises the first of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SchemaViolation", "problems", "validate"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,),
    "boolean": (bool,), "number": (int, float),
}


class SchemaViolation(ValueError):
    """One place where a value breaks its schema."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def validate(value: Any, schema: Mapping[str, Any], *, where: str = "body",
             components: Mapping[str, Any] | None = None) -> None:
    """Raise the first :class:`SchemaViolation` unless ``value`` satisfies ``schema``."""
    found = problems(value, schema, where=where, components=components)
    if found:
        raise found[0]


def problems(value: Any, schema: Mapping[str, Any], *, where: str = "body",
             components: Mapping[str, Any] | None = None) -> list[SchemaViolation]:
    """Every :class:`SchemaViolation` of ``value`` (empty: it satisfies ``schema``), in
    the order a reader meets them: required fields first, then the fields as sent."""
    out: list[SchemaViolation] = []
    _collect(value, schema, where, components, out)
    return out


def _collect(value: Any, schema: Mapping[str, Any], where: str,
             components: Mapping[str, Any] | None, out: list[SchemaViolation]) -> None:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if components is None or name not in components:
            raise KeyError(f"unresolved $ref {schema['$ref']}")
        _collect(value, components[name], where, components, out)
        return
    if "oneOf" in schema:
        matches = sum(1 for option in schema["oneOf"]
                      if not problems(value, option, where=where, components=components))
        if matches != 1:
            out.append(SchemaViolation(where, "must match exactly one of the documented forms"))
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind])
        if kind in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            # A value of the wrong type has no further problems worth naming.
            out.append(SchemaViolation(
                where, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}"))
            return
    if "enum" in schema and value not in schema["enum"]:
        out.append(SchemaViolation(
            where, f"must be one of {', '.join(map(str, schema['enum']))}"))
    if isinstance(value, str):
        _check_string(value, schema, where, out)
    elif isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(SchemaViolation(where, f"must be at least {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            out.append(SchemaViolation(where, f"must be at most {schema['maximum']}"))
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(SchemaViolation(where, f"must have at most {schema['maxItems']} items"))
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(SchemaViolation(where,
                                       f"must have at least {schema['minItems']} items"))
        for i, item in enumerate(value):
            _collect(item, schema.get("items", {}), f"{where}[{i}]", components, out)
    elif isinstance(value, dict):
        _check_object(value, schema, where, components, out)


def _check_string(value: str, schema: Mapping[str, Any], where: str,
                  out: list[SchemaViolation]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(SchemaViolation(where,
                                   f"must be at least {schema['minLength']} characters"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(SchemaViolation(where, f"must be at most {schema['maxLength']} characters"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(SchemaViolation(where, f"must match {schema['pattern']}"))


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], where: str,
                  components: Mapping[str, Any] | None, out: list[SchemaViolation]) -> None:
    for name in schema.get("required", []):
        if name not in value:
            out.append(SchemaViolation(f"{where}.{name}", "is required"))
    properties = schema.get("properties", {})
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        out.append(SchemaViolation(where,
                                   f"must have at least {schema['minProperties']} fields"))
    for name, item in value.items():
        if name in properties:
            _collect(item, properties[name], f"{where}.{name}", components, out)
        elif schema.get("additionalProperties", True) is False:
            out.append(SchemaViolation(f"{where}.{name}", "is not a known field"))
