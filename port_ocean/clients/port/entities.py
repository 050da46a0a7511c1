"""The entity calls of the original's ``PortClient`` integrations make themselves
(``upsert_entity``, ``delete_entity``, ``search_entities``, ``search_batch_entities``),
over Ocean's store
(:mod:`ocean.entity_calls`), with the original's ``Entity`` models in and out; and the
entities ``ocean.update_diff`` and ``ocean.unregister`` write and delete."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Literal

from ocean.entity_calls import apply_diff, entity_call, keys_query, owned_keys
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store
from ocean.store.port.requests import owned_query
from port_ocean.clients.port.refusals import refusal, write_refusal
from port_ocean.clients.port.types import RequestOptions, UserAgentType

if TYPE_CHECKING:  # pydantic is imported on use: `ocean sail` starts without it
    from port_ocean.core.models import Entity

_log = logging.getLogger(__name__)
_KEYS = ["blueprint", "identifier"]
"""What a search with a query returns of each entity unless told (the original's)."""


class EntityCalls:
    """Mixed into ``PortClient`` (which holds ``_store`` and ``_owner``)."""

    _store: Store
    _owner: Owner
    _mapping: PortAppConfig

    def _as(self, user_agent_type: UserAgentType | None) -> Owner:
        """The integration as the writer ``user_agent_type`` names (``exporter``, ``gitops``;
        None: the integration's own, ``exporter``)."""
        if user_agent_type is None:
            return self._owner
        return dataclasses.replace(self._owner, user_agent_type=user_agent_type.value)

    async def upsert_entity(
        self,
        entity: Entity | dict[str, Any],
        request_options: RequestOptions,
        user_agent_type: UserAgentType | None = None,
        should_raise: bool = True,
    ) -> Entity | None | Literal[False]:
        """Create or update one entity (``request_options``: ``merge``,
        ``create_missing_related_entities``; ``validation_only``: only check it), as the
        original: the entity reduced to its identifier, blueprint and relations; False when
        the catalog refused it as something it relates to (or its blueprint) is missing.
        Another refusal raises ``httpx.HTTPStatusError`` (``should_raise``), else is logged
        and answered as a success (None for an entity whose identifier is a search)."""
        sent = _sent(entity)
        outcome, answer = await entity_call(
            self._store,
            sent,
            owner=self._as(user_agent_type),
            merge=request_options["merge"],
            create_missing_related=request_options["create_missing_related_entities"],
            validation_only=request_options["validation_only"],
        )
        if not outcome.ok:
            refused = write_refusal(outcome)
            _log.error("the catalog refused entity %r: %s", outcome.identifier, outcome.error)
            if refused.response.status_code == 404:
                return False
            if should_raise:
                raise refused
        if isinstance(answer.get("identifier"), dict):
            return None
        return _reduced(dict(answer))

    async def delete_entity(
        self,
        entity: Entity,
        request_options: RequestOptions,
        user_agent_type: UserAgentType | None = None,
        should_raise: bool = True,
    ) -> None:
        """Delete one entity, whoever wrote it, and with ``delete_dependent_entities`` those
        relating to it, as the original: one already gone is no error; one that others
        relate to is kept and refused as Port refuses it, an ``httpx.HTTPStatusError``
        (409; logged instead unless ``should_raise``)."""
        blueprint, identifier = str(entity.blueprint), str(entity.identifier)
        cascade = request_options["delete_dependent_entities"]
        result = await self._store.delete_entities(
            [(blueprint, identifier)], delete_dependents=cascade
        )
        users = result.blocked.get((blueprint, identifier))
        if not users:
            return
        names = ", ".join(f"{bp}/{ident}" for bp, ident in users[:5])
        message = (
            f"entity {identifier!r} of blueprint {blueprint!r} has dependents ({names}): "
            "delete them too (delete_dependent_entities) or remove their relations first"
        )
        _log.error("the catalog refused to delete an entity: %s", message)
        if should_raise:
            path = f"/v1/blueprints/{blueprint}/entities/{identifier}"
            raise refusal(409, "conflict", message, "DELETE", path)

    async def search_entities(
        self,
        user_agent_type: UserAgentType | None = None,
        query: dict[str, Any] | None = None,
        parameters_to_include: list[str] | None = None,
        before: str | None = None,
    ) -> list[Entity]:
        """The entities the integration wrote (as ``user_agent_type``): without ``query``,
        each one's identifier and blueprint (``before``: only those not written since);
        with one, those matching it, each with ``parameters_to_include`` (its identifier and
        blueprint unless told)."""
        from port_ocean.core.models import Entity

        owner = self._as(user_agent_type)
        if query is None:
            keys = await owned_keys(self._store, owner, before=before)
            return [Entity.parse_obj({"identifier": i, "blueprint": bp}) for bp, i in keys]
        found = await self._store.search(
            owned_query(owner, query), include=parameters_to_include or _KEYS
        )
        return [Entity.parse_obj(entity) for entity in found]

    async def search_batch_entities(
        self, user_agent_type: UserAgentType | None, entities_to_search: list[Entity]
    ) -> list[Entity]:
        """Those of ``entities_to_search`` (by identifier and blueprint) the integration
        wrote, each with its identifier and blueprint."""
        keys = [(str(entity.blueprint), str(entity.identifier)) for entity in entities_to_search]
        return await self.search_entities(user_agent_type, keys_query(keys))

    async def _apply_diff(
        self,
        before: list[Entity] | list[dict[str, Any]],
        after: list[Entity] | list[dict[str, Any]],
        user_agent_type: UserAgentType | None,
    ) -> None:
        """Write ``after`` (models, or entities as mapped) as ``user_agent_type`` and delete
        what ``before`` has that ``after`` has not (:func:`ocean.entity_calls.apply_diff`);
        what the catalog refused is logged, as the original logs it, not raised."""
        errors = await apply_diff(
            self._store,
            [_sent(entity) for entity in before],
            [_sent(entity) for entity in after],
            owner=self._as(user_agent_type),
            mapping=self._mapping,
        )
        for error in errors:
            _log.error("%s", error)


def _sent(entity: Entity | dict[str, Any]) -> Any:
    """The entity as the catalog is sent it: the fields it was given, by their aliases."""
    return entity if isinstance(entity, dict) else entity.dict(exclude_unset=True, by_alias=True)


def _reduced(entity: dict[str, Any]) -> Entity:
    """The original's reduced entity: identifier, blueprint, and relations (those found by
    a search left as None)."""
    from port_ocean.core.models import Entity

    relations = entity.get("relations") or {}
    return Entity.parse_obj(
        {
            "identifier": entity.get("identifier"),
            "blueprint": entity.get("blueprint"),
            "relations": {
                name: None if isinstance(value, dict) else value
                for name, value in relations.items()
            },
        }
    )
