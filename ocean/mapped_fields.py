"""What a kind's mapped fields are to the blueprints it writes (pure): those a blueprint
marks required (a null there is an error, not a warning), and those no blueprint defines
(the catalog drops them, as Port does: said once per kind, not per entity)."""

from __future__ import annotations

from typing import Any

from ocean.mapping import EntityMappings
from ocean.store.entity_rules import EntityRules


def required_fields(misconfigured: dict[str, str], blueprints: list[dict[str, Any]]) -> list[str]:
    """The misconfigured paths that a blueprint marks required (reported as errors)."""
    required: set[str] = set()
    for blueprint in blueprints:
        required |= {
            f"properties.{name}" for name in (blueprint.get("schema") or {}).get("required", [])
        }
        required |= {
            f"relations.{name}"
            for name, relation in (blueprint.get("relations") or {}).items()
            if isinstance(relation, dict) and relation.get("required")
        }
    return sorted(path for path in misconfigured if path in required)


def undefined_fields(mappings: EntityMappings, blueprints: dict[str, dict[str, Any]]) -> list[str]:
    """The mapped properties and relations a blueprint the kind wrote does not define, as
    ``properties.prNumber (githubPullRequest)``."""
    mapped = {
        "properties": mappings.properties if isinstance(mappings.properties, dict) else {},
        "relations": mappings.relations if isinstance(mappings.relations, dict) else {},
    }
    return [
        f"{path} ({identifier})"
        for identifier, blueprint in sorted(blueprints.items())
        for path in EntityRules(blueprint).undefined(mapped)
    ]
