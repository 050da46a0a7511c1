"""Request and response schemas of the catalog server's routes (JSON Schema, as OpenAPI
3.1 takes it), by method and path: what :mod:`ocean.server.openapi` publishes and the
documentation page and the API fuzzer (``bench/api_fuzz.py``) read."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(**fields: Schema) -> Schema:
    """A success body: ``ok: true`` and the given fields, all present."""
    return {
        "type": "object",
        "properties": {"ok": {"const": True}, **fields},
        "required": ["ok", *fields],
    }


_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_OBJECT = {"type": "object"}
_STRINGS = {"type": "array", "items": _STR}
_RELATION_VALUE = {"anyOf": [_STR, _STRINGS, {"type": "null"}, ref("SearchQuery")]}

COMPONENTS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "properties": {"ok": {"const": False}, "error": _STR, "message": _STR},
        "required": ["ok", "error", "message"],
    },
    "SearchRule": {
        "type": "object",
        "properties": {
            "property": {"anyOf": [_STR, _OBJECT]},
            "operator": _STR,
            "value": {},
            "blueprint": _STR,
            "direction": {"enum": ["upstream", "downstream"]},
            "required": {"type": ["boolean", "null"]},
        },
        "required": ["operator"],
    },
    "SearchQuery": {
        "type": "object",
        "properties": {
            "combinator": {"enum": ["and", "or"]},
            "rules": {"type": "array", "items": {"anyOf": [ref("SearchRule"), ref("SearchQuery")]}},
        },
        "required": ["combinator", "rules"],
        "example": {
            "combinator": "and",
            "rules": [{"property": "$identifier", "operator": "=", "value": "my-service"}],
        },
    },
    "EntityInput": {
        "type": "object",
        "properties": {
            "identifier": {"anyOf": [{"type": "string", "maxLength": 1000}, ref("SearchQuery")]},
            "title": {"type": ["string", "null"]},
            "icon": {"type": ["string", "null"]},
            "team": {"anyOf": [_STR, _STRINGS, {"type": "null"}]},
            "properties": _OBJECT,
            "relations": {"type": "object", "additionalProperties": _RELATION_VALUE},
        },
        "example": {"identifier": "my-service", "title": "My service", "properties": {}},
    },
    "Entity": {
        "type": "object",
        "properties": {
            "identifier": _STR,
            "blueprint": _STR,
            "title": {"type": ["string", "null"]},
            "icon": {"type": ["string", "null"]},
            "team": {"anyOf": [_STR, _STRINGS]},
            "properties": _OBJECT,
            "relations": _OBJECT,
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    },
    "Blueprint": {
        "type": "object",
        "properties": {
            "identifier": {"type": "string", "maxLength": 100},
            "title": _STR,
            "description": {"type": ["string", "null"]},
            "icon": {"type": ["string", "null"]},
            "schema": {
                "type": "object",
                "properties": {"properties": _OBJECT, "required": _STRINGS},
            },
            "relations": _OBJECT,
            "mirrorProperties": _OBJECT,
            "calculationProperties": _OBJECT,
            "aggregationProperties": _OBJECT,
        },
        "example": {"identifier": "service", "title": "Service", "schema": {"properties": {}}},
    },
    "AuditEntry": {
        "type": "object",
        "properties": {
            "identifier": _STR,
            "action": {"enum": ["CREATE", "UPDATE", "DELETE"]},
            "resourceType": {"enum": ["entity", "blueprint"]},
            "status": {"enum": ["SUCCESS", "FAILURE"]},
            "trigger": {
                "type": "object",
                "properties": {"at": _STR, "origin": _STR, "by": _OBJECT},
            },
            "context": {"type": "object", "properties": {"blueprint": _STR, "entity": _STR}},
            "diff": {
                "type": "object",
                "properties": {"added": _STRINGS, "removed": _STRINGS, "changed": _STRINGS},
            },
            "message": {"type": ["string", "null"]},
        },
    },
}
