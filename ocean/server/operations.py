"""Each route's query parameters, request body and success answer, by method and path
(the paths as OpenAPI writes them). Errors are the shared ``Error`` body (see
:mod:`ocean.server.openapi`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocean.server.schemas import Schema, ok, ref

_STR: Schema = {"type": "string"}
_BOOL: Schema = {"type": "boolean"}
_OBJECT: Schema = {"type": "object"}
_STRINGS: Schema = {"type": "array", "items": _STR}
_ENTITIES: Schema = {"type": "array", "items": ref("Entity")}
_INTEGRATION = ok(integration=_OBJECT)


@dataclass(frozen=True)
class Operation:
    """What one method of one path takes and answers."""

    answer: Schema
    status: str = "200"
    body: Schema | None = None
    query: dict[str, Schema] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    """Other success statuses, answered with the same schema (a bulk upsert's 207)."""


def _query(*names: str, kind: Schema = _BOOL) -> dict[str, Schema]:
    return dict.fromkeys(names, kind)


_UPSERT = _query("upsert", "merge", "create_missing_related_entities", "validation_only") | {
    "run_id": _STR,
    "ocean_info_event_type": _STR,
    "ocean_info_resync_id": _STR,
}
_CHANGE = _query("create_missing_related_entities") | {"run_id": _STR}
_VIEW = _query("exclude_calculated_properties", "attach_title_to_relation") | {
    "include": _STRINGS,
    "exclude": _STRINGS,
}
_DELETE = _query("delete_dependents") | {"run_id": _STR, "ocean_info_event_type": _STR}
_BULK_BODY: Schema = {
    "type": "object",
    "properties": {"entities": {"type": "array", "items": ref("EntityInput"), "maxItems": 20}},
    "required": ["entities"],
}
_BULK_ANSWER = ok(entities={"type": "array", "items": _OBJECT}, errors={"type": "array"})
_SEARCH_BODY: Schema = {
    "type": "object",
    "properties": {
        "query": ref("SearchQuery"),
        "include": _STRINGS,
        "exclude": _STRINGS,
        "limit": {"type": "number", "minimum": 1, "maximum": 1000},
        "from": _STR,
    },
    "additionalProperties": False,
}
_AUDIT_QUERY: dict[str, Schema] = {
    "identifier": _STR,
    "entity": _STR,
    "blueprint": _STR,
    "origin": _STRINGS,
    "InstallationId": _STR,
    "resources": _STRINGS,
    "includes": _STRINGS,
    "from": {"type": "string", "format": "date-time"},
    "to": {"type": "string", "format": "date-time"},
    "action": {"enum": ["CREATE", "UPDATE", "DELETE"]},
    "status": {"enum": ["SUCCESS", "FAILURE"]},
    "limit": {"type": "number", "minimum": 1},
}
_PAGES: Schema = {
    "type": "object",
    "properties": {"slot": _STR, "fingerprint": _STR, "records": {"type": "array"}},
    "required": ["slot", "fingerprint"],
}
_CURSOR = {"kind": _STR, "index": {"type": "integer", "minimum": 0}}

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("get", "/openapi.json"): Operation(_OBJECT),
    ("get", "/docs"): Operation({"type": "string"}),
    ("post", "/v1/auth/access_token"): Operation(
        ok(accessToken=_STR, expiresIn={"type": "number"}, tokenType=_STR),
        body={
            "type": "object",
            "properties": {"clientId": _STR, "clientSecret": _STR},
            "required": ["clientId", "clientSecret"],
        },
    ),
    ("get", "/v1/organization"): Operation(ok(organization=_OBJECT)),
    ("get", "/v1/integration/provision-enabled"): Operation(ok(integrations=_STRINGS)),
    ("post", "/v1/integration"): Operation(
        _INTEGRATION,
        body={
            "type": "object",
            "properties": {"installationId": _STR},
            "required": ["installationId"],
        },
    ),
    ("get", "/v1/integration/{id}"): Operation(_INTEGRATION),
    ("patch", "/v1/integration/{id}"): Operation(_INTEGRATION, body=_OBJECT),
    ("delete", "/v1/integration/{id}"): Operation(ok()),
    ("patch", "/v1/integration/{id}/config"): Operation(_INTEGRATION, body=_OBJECT),
    ("get", "/v1/integration/{id}/cursor"): Operation(ok(cursor={}), query=_CURSOR),
    ("put", "/v1/integration/{id}/cursor"): Operation(
        ok(cursor=_OBJECT), query=_CURSOR, body={"type": "object", "properties": {"primary": _STR}}
    ),
    ("post", "/v1/integration/{id}/cursor"): Operation(
        ok(cursor=_OBJECT), query=_CURSOR, body={"type": "object", "properties": {"primary": _STR}}
    ),
    ("post", "/v1/integration/{id}/kinds/{kind}/examples"): Operation(ok(), body=_OBJECT),
    ("post", "/__ingest/{rest}"): Operation(ok(), body=_OBJECT),
    ("put", "/__ingest/{rest}"): Operation(ok(), body=_OBJECT),
    ("patch", "/v1/integration/{id}/resync-state"): Operation(_INTEGRATION, body=_OBJECT),
    ("get", "/v1/integration/{id}/resync-request"): Operation(ok(request={})),
    ("post", "/v1/blueprints/entities/datasource-entities"): Operation(
        ok(entities=_ENTITIES, next={}),
        body={
            "type": "object",
            "properties": {
                "datasource_prefix": _STR,
                "datasource_suffix": _STR,
                "limit": {"type": "integer", "minimum": 0},
                "before": _STR,
            },
        },
    ),
    ("post", "/v1/blueprints/{bp}/entities/bulk"): Operation(
        _BULK_ANSWER, body=_BULK_BODY, query=_UPSERT, also=("207",)
    ),
    ("post", "/v1/blueprints/{bp}/bulk/entities/delete"): Operation(
        ok(deletedEntities=_STRINGS, notFound=_STRINGS),
        body={
            "type": "object",
            "properties": {"entities": {"type": "array", "items": _STR, "maxItems": 100}},
            "required": ["entities"],
        },
        query=_DELETE,
    ),
    ("get", "/v1/blueprints"): Operation(
        ok(blueprints={"type": "array", "items": ref("Blueprint")})
    ),
    ("post", "/v1/blueprints"): Operation(
        ok(blueprint=ref("Blueprint")), "201", body=ref("Blueprint")
    ),
    ("get", "/v1/blueprints/{bp}"): Operation(ok(blueprint=ref("Blueprint"))),
    ("put", "/v1/blueprints/{bp}"): Operation(
        ok(blueprint=ref("Blueprint")), body=ref("Blueprint")
    ),
    ("patch", "/v1/blueprints/{bp}"): Operation(
        ok(blueprint=ref("Blueprint")), body=ref("Blueprint")
    ),
    ("delete", "/v1/blueprints/{bp}"): Operation(ok(), query=_query("delete_actions")),
    ("delete", "/v1/blueprints/{bp}/all-entities"): Operation(
        ok(migrationId=_STR), query=_query("delete_blueprint") | {"run_id": _STR}
    ),
    ("get", "/v1/migrations/{id}"): Operation(ok(migration=_OBJECT)),
    ("post", "/v1/entities/search"): Operation(
        ok(entities=_ENTITIES), body=ref("SearchQuery"), query=_VIEW
    ),
    ("post", "/v1/blueprints/{bp}/entities/search"): Operation(
        ok(entities=_ENTITIES), body=_SEARCH_BODY, query=_VIEW
    ),
    ("get", "/v1/blueprints/{bp}/entities-count"): Operation(ok(count={"type": "integer"})),
    ("get", "/v1/blueprints/{bp}/entities"): Operation(ok(entities=_ENTITIES), query=_VIEW),
    ("post", "/v1/blueprints/{bp}/entities"): Operation(
        ok(entity=ref("Entity")), "201", body=ref("EntityInput"), query=_UPSERT, also=("200",)
    ),
    ("get", "/v1/blueprints/{bp}/entities/{id}"): Operation(ok(entity=ref("Entity")), query=_VIEW),
    ("put", "/v1/blueprints/{bp}/entities/{id}"): Operation(
        ok(entity=ref("Entity")), body=ref("EntityInput"), query=_CHANGE
    ),
    ("patch", "/v1/blueprints/{bp}/entities/{id}"): Operation(
        ok(entity=ref("Entity")), body=ref("EntityInput"), query=_CHANGE
    ),
    ("delete", "/v1/blueprints/{bp}/entities/{id}"): Operation(ok(), query=_DELETE),
    ("get", "/v1/audit-log"): Operation(
        ok(audits={"type": "array", "items": ref("AuditEntry")}), query=_AUDIT_QUERY
    ),
    ("get", "/v1/ocean/time"): Operation(ok(now={"type": "string"})),
    ("post", "/v1/ocean/pages/recall"): Operation(ok(records={"type": "array"}), body=_PAGES),
    ("put", "/v1/ocean/pages"): Operation(ok(), body=_PAGES),
}
