"""The calls of the original's ``PortClient`` about the running integration and its
organization (``get_current_integration``, ``get_organization_feature_flags``,
``get_org_id``), answered by Ocean's core (:mod:`ocean.installation`): a Port API's own
answers, or the embedded catalog's."""

from __future__ import annotations

from typing import Any

from ocean.installation import OrganizationReads, current_integration
from ocean.mapping import PortAppConfig, to_document
from ocean.store.base import Owner, Store
from port_ocean.clients.port.refusals import answered, refusal


class IntegrationCalls:
    """Mixed into ``PortClient`` (which holds these)."""

    _store: Store
    _owner: Owner
    _mapping: PortAppConfig
    _organization: OrganizationReads

    async def get_current_integration(
        self, should_raise: bool = True, should_log: bool = True, *, is_polling: bool = False
    ) -> dict[str, Any]:
        """The integration's record, as ``GET /v1/integration/{identifier}`` answers it:
        ``config`` (the mapping), ``installationAppType``, ``version``, ``_orgId``, ...;
        ``{}`` when the call fails and ``should_raise`` is false."""
        record: dict[str, Any] = await answered(self._integration(), {}, should_raise, should_log)
        return record

    async def _integration(self) -> dict[str, Any]:
        config = to_document(self._mapping)
        record = await current_integration(self._store, self._owner, config)
        if record is None:
            identifier = self._owner.identifier
            raise refusal(
                404,
                "not_found",
                f"integration {identifier!r} is not installed in the catalog",
                "GET",
                f"/v1/integration/{identifier}",
            )
        return record

    async def get_organization_feature_flags(
        self, should_raise: bool = True, should_log: bool = True
    ) -> list[str]:
        """The organization's feature flags (an embedded catalog's: those
        ``OCEAN__CATALOG__FEATURE_FLAGS`` names), read again after five minutes; ``[]``
        when the call fails and ``should_raise`` is false."""
        found = await answered(self._organization.read(), {}, should_raise, should_log)
        return list(found.get("featureFlags") or [])

    async def get_org_id(self) -> str:
        """The organization's id (``ocean`` for an embedded catalog)."""
        return str((await self._organization.read())["id"])
