"""``ocean.port_client``: the calls integrations make of the catalog, over Ocean's store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocean.installation import OrganizationReads
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store
from port_ocean._unsupported import UnsupportedAttributeError, message, missing
from port_ocean.clients.port.entities import EntityCalls
from port_ocean.clients.port.integrations import IntegrationCalls
from port_ocean.clients.port.runs import RunCalls


class PortClient(EntityCalls, IntegrationCalls, RunCalls):
    """The part of the original's ``PortClient`` integrations use: entities they write and
    search (:class:`~port_ocean.clients.port.entities.EntityCalls`), the running
    integration and its organization
    (:class:`~port_ocean.clients.port.integrations.IntegrationCalls`), blueprints, and
    reports on action runs (:class:`~port_ocean.clients.port.runs.RunCalls`). ``owner`` is
    the running integration, ``mapping`` the mapping it runs with, ``feature_flags`` the
    organization's feature flags where ``store`` is an embedded catalog (the settings'
    ``catalog.feature_flags``; a Port API answers its own)."""

    def __init__(
        self,
        store: Store,
        owner: Owner,
        mapping: PortAppConfig,
        *,
        feature_flags: Sequence[str] = (),
    ) -> None:
        self._store, self._owner, self._mapping = store, owner, mapping
        self._organization = OrganizationReads(store, feature_flags=feature_flags)

    async def get_blueprint(self, identifier: str, should_log: bool = True) -> dict[str, Any]:
        for blueprint in await self._store.list_blueprints():
            if blueprint["identifier"] == identifier:
                return blueprint
        raise KeyError(f"blueprint {identifier!r} does not exist in the catalog")

    def __getattr__(self, name: str) -> Any:
        """A call of the original's client Ocean does not make says so (its Kafka
        credentials, migrations, lakehouse and bulk entity calls: the runner's own)."""
        if name.startswith("_"):
            raise AttributeError(name)
        raise UnsupportedAttributeError(message(f"ocean.port_client.{name}", __name__))


__getattr__ = missing(__name__)
