"""``ocean.update_diff`` and ``ocean.unregister``: entities an integration maps itself
(GitOps files, cloud resources found deleted), written or deleted at once, as in the
original. Mixed into :class:`~port_ocean.context.ocean.PortOceanContext`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from port_ocean.clients.port.types import UserAgentType


class _Context(Protocol):
    @property
    def _given_app(self) -> Any: ...

    @property
    def port_client(self) -> Any: ...


class EntityWrites:
    async def update_diff(
        self: _Context,
        diff: Mapping[str, Sequence[Any]],
        user_agent_type: UserAgentType = UserAgentType.exporter,
    ) -> None:
        """Write the entities of ``diff["after"]`` as ``user_agent_type`` and delete those
        of ``diff["before"]`` it has no longer (``Entity`` models); what the catalog
        refuses is logged. In an integration's own tests, the given app's integration
        is asked, as in the original."""
        if self._given_app is not None:
            await self._given_app.integration.update_diff(diff, user_agent_type)
            return
        before, after = list(diff["before"]), list(diff["after"])
        await self.port_client._apply_diff(before, after, user_agent_type)

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


__all__ = ["EntityWrites"]
