"""When a blueprint may be deleted (both SQL catalogs): once it has no entities and no
other blueprint relates to it, as Port refuses otherwise."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ocean.errors import ConflictError


def refuse_deletion(identifier: str, entities: int, others: dict[str, dict[str, Any]]) -> None:
    """Raise :class:`ConflictError` when ``identifier`` still has entities or other
    blueprints relate to it."""
    if entities:
        raise ConflictError(
            f"blueprint {identifier!r} still has {entities} entities: delete them with it "
            f"(DELETE /v1/blueprints/{identifier}/all-entities?delete_blueprint=true)"
        )
    relating = sorted(
        f"{bp}.{name}"
        for bp, body in others.items()
        for name, relation in dict(body.get("relations") or {}).items()
        if isinstance(relation, dict) and relation.get("target") == identifier
    )
    if relating:
        raise ConflictError(
            f"blueprint {identifier!r} is the target of the relations {', '.join(relating)}: "
            "remove those relations first (PATCH their blueprints)"
        )


@runtime_checkable
class DeletesBlueprints(Protocol):
    """A catalog that deletes blueprints (SQLite, PostgreSQL)."""

    async def delete_blueprint(self, identifier: str) -> None:
        """Delete it; :class:`NotFoundError` when it does not exist, :class:`ConflictError`
        while it has entities or another blueprint relates to it."""
        ...
