"""Request validation against the same JSON Schemas the OpenAPI document publishes.

A deliberately small subset of JSON Schema (type, properties, required,
additionalProperties, enum, pattern, min/max length, minimum/maximum, items,
maxItems, oneOf, $ref into ``components.schemas``): enough for this API's
requests, and it keeps the document and the checks one thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SchemaViolation", "validate"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,),
    "boolean": (bool,), "number": (int, float),
}


class SchemaViolation(ValueError):
    """The first place where a value breaks its schema."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def validate(value: Any, schema: Mapping[str, Any], *, where: str = "body",
             components: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`SchemaViolation` unless ``value`` satisfies ``schema``."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if components is None or name not in components:
            raise KeyError(f"unresolved $ref {schema['$ref']}")
        validate(value, components[name], where=where, components=components)
        return
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, where=where, components=components)
            except SchemaViolation:
                continue
            matches += 1
        if matches != 1:
            raise SchemaViolation(where, "must match exactly one of the documented forms")
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind])
        if kind in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            raise SchemaViolation(where, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaViolation(where, f"must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        _check_string(value, schema, where)
    elif isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaViolation(where, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaViolation(where, f"must be at most {schema['maximum']}")
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaViolation(where, f"must have at most {schema['maxItems']} items")
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise SchemaViolation(where, f"must have at least {schema['minItems']} items")
        for i, item in enumerate(value):
            validate(item, schema.get("items", {}), where=f"{where}[{i}]",
                     components=components)
    elif isinstance(value, dict):
        _check_object(value, schema, where, components)


def _check_string(value: str, schema: Mapping[str, Any], where: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise SchemaViolation(where, f"must be at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise SchemaViolation(where, f"must be at most {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise SchemaViolation(where, f"must match {schema['pattern']}")


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], where: str,
                  components: Mapping[str, Any] | None) -> None:
    for name in schema.get("required", []):
        if name not in value:
            raise SchemaViolation(f"{where}.{name}", "is required")
    properties = schema.get("properties", {})
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        raise SchemaViolation(where, f"must have at least {schema['minProperties']} fields")
    for name, item in value.items():
        if name in properties:
            validate(item, properties[name], where=f"{where}.{name}", components=components)
        elif schema.get("additionalProperties", True) is False:
            raise SchemaViolation(f"{where}.{name}", "is not a known field")
