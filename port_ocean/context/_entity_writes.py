"""``ocean.register``, ``ocean.sync``, ``ocean.update_diff``, ``ocean.update_raw_diff`` and
``ocean.unregister``: entities an integration maps itself (GitOps files, cloud resources
found deleted), or raw items it maps with its mapping, written or deleted at once, as in
the original. Mixed into :class:`~port_ocean.context.ocean.PortOceanContext`. In an
integration's own tests, each asks the given app's integration, as the original's does."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from port_ocean.clients.port.types import UserAgentType

if TYPE_CHECKING:
    from ocean.config.settings import Settings
    from ocean.integration import FieldResolver
    from ocean.mapping import PortAppConfig
    from ocean.types import Entity as Mapped

_log = logging.getLogger("port_ocean.context.ocean")


class _Context(Protocol):
    @property
    def _given_app(self) -> Any: ...

    @property
    def port_client(self) -> Any: ...

    @property
    def settings(self) -> Settings: ...

    def running_mapping(self) -> PortAppConfig: ...

    def field_resolver(self) -> FieldResolver | None: ...

    async def update_raw_diff(
        self, kind: str, raw_diff: Mapping[str, Sequence[Any]], user_agent_type: UserAgentType
    ) -> None: ...


class EntityWrites:
    async def update_diff(
        self: _Context,
        diff: Mapping[str, Sequence[Any]],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """Write the entities of ``diff["after"]`` as ``user_agent_type`` and delete those
        of ``diff["before"]`` it has no longer (``Entity`` models); what the catalog
        refuses is logged."""
        if self._given_app is not None:
            await self._given_app.integration.update_diff(diff, user_agent_type)
            return
        before, after = list(diff["before"]), list(diff["after"])
        await self.port_client._apply_diff(before, after, user_agent_type)

    async def update_raw_diff(
        self: _Context,
        kind: str,
        raw_diff: Mapping[str, Sequence[Any]],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """:meth:`update_diff` of raw items: ``raw_diff["before"]`` and ``["after"]`` are
        mapped with every resource of ``kind`` in the running mapping (entities the
        selector rejects are left out). When an item of ``after`` cannot be mapped,
        nothing is deleted (the state is incomplete), as in the original."""
        if self._given_app is not None:
            await self._given_app.integration.update_raw_diff(kind, raw_diff, user_agent_type)
            return
        before, _ = await _mapped(self, kind, list(raw_diff["before"]))
        after, errors = await _mapped(self, kind, list(raw_diff["after"]))
        if errors:
            _log.error("%d item(s) of kind %r could not be mapped, so nothing is deleted: %s",
                       len(errors), kind, "; ".join(errors[:5]))  # fmt: skip
            before = []
        await self.port_client._apply_diff(before, after, user_agent_type)

    async def register_raw(
        self: _Context,
        kind: str,
        change: list[dict[str, Any]],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """The original's ``register_raw``: as the integration (``exporter``), the core's
        (upserted where the selector keeps an item, deleted where it rejects it); as
        another writer (``gitops``), the items mapped and written as it, deleting nothing."""
        if self._given_app is not None:
            await self._given_app.integration.register_raw(kind, change, user_agent_type)
            return
        if user_agent_type == UserAgentType.exporter:
            await super().register_raw(kind, change)  # type: ignore[misc]
            return
        await self.update_raw_diff(kind, {"before": [], "after": change}, user_agent_type)

    async def unregister_raw(
        self: _Context,
        kind: str,
        change: list[dict[str, Any]],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """The original's ``unregister_raw``: the entities the items map to deleted, as the
        integration (``exporter``) or as another writer."""
        if self._given_app is not None:
            await self._given_app.integration.unregister_raw(kind, change, user_agent_type)
            return
        if user_agent_type == UserAgentType.exporter:
            await super().unregister_raw(kind, change)  # type: ignore[misc]
            return
        await self.update_raw_diff(kind, {"before": change, "after": []}, user_agent_type)

    async def register(
        self: _Context,
        entities: Sequence[Any],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """Write ``entities`` (``Entity`` models) as ``user_agent_type``, deleting nothing;
        what the catalog refuses is logged."""
        if self._given_app is not None:
            await self._given_app.integration.register(entities, user_agent_type)
            return
        await self.port_client._apply_diff([], list(entities), user_agent_type)

    async def sync(
        self: _Context,
        entities: Sequence[Any],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """Make ``entities`` all that ``user_agent_type`` holds in the catalog: write them,
        and delete what else it wrote there, unless that is more than the mapping's
        ``entityDeletionThreshold`` of it (then only write), as in the original. An entity
        the catalog refuses is logged, and kept if it was there (the original deletes it)."""
        if self._given_app is not None:
            await self._given_app.integration.sync(entities, user_agent_type)
            return
        owned = await self.port_client.search_entities(user_agent_type)
        kept = {(str(e.blueprint), e.identifier) for e in entities if isinstance(e.identifier, str)}
        gone = [entity for entity in owned if (entity.blueprint, entity.identifier) not in kept]
        threshold = self.running_mapping().entity_deletion_threshold
        if gone and len(gone) / len(owned) > threshold:
            _log.info("ocean.sync: not deleting %d of the %d entities written as %s: more "
                      "than the entityDeletionThreshold (%g)", len(gone), len(owned),
                      user_agent_type.value, threshold)  # fmt: skip
            owned = []
        await self.port_client._apply_diff(owned, list(entities), user_agent_type)

    async def unregister(
        self: _Context,
        entities: Sequence[Any],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """Delete ``entities`` (``Entity`` models: their blueprint and identifier), whoever
        wrote them, with what relates to them when the mapping deletes dependents."""
        if self._given_app is not None:
            await self._given_app.integration.unregister(entities, user_agent_type)
            return
        await self.port_client._apply_diff(list(entities), [], user_agent_type)


async def _mapped(context: _Context, kind: str, items: list[Any]) -> tuple[list[Mapped], list[str]]:
    """``items`` mapped with each resource of ``kind`` in the running mapping (the values
    the integration resolves itself included): the entities its selector keeps, and the
    errors (an item that is not JSON, an expression that fails on it)."""
    from ocean.extract.fields import resolve_fields
    from ocean.extract.raw_values import sift
    from ocean.transform.mapper import CompiledResource

    settings = context.settings
    env = dict(os.environ) if settings.allow_environment_variables_jq_access else None
    resolver = context.field_resolver()
    entities: list[Mapped] = []
    errors: list[str] = []
    for index, resource in enumerate(context.running_mapping().resources):
        if resource.kind != kind:
            continue
        compiled = CompiledResource(resource, env=env, index=index, resolver=resolver)
        clean, bad = sift(kind, items, 0, fix="Make the items given JSON values only")
        result = compiled.map_items(clean)
        await resolve_fields(compiled, result)
        entities += result.passed
        errors += bad + result.errors
    return entities, errors


__all__ = ["EntityWrites"]
