"""The running integration and its organization as the catalog describes them: Port's
``GET /v1/integration/{identifier}`` and ``GET /v1/organization``.

A Port API (Port, or Ocean's catalog server) answers both itself. An embedded catalog
belongs to no organization: it answers :func:`embedded_organization`, with the feature
flags ``OCEAN__CATALOG__FEATURE_FLAGS`` names (none by default), as the catalog server does; and the integration's record is the one the catalog keeps
(``ocean defaults dock`` writes it), under what the run knows of itself: its identifier,
type, version and the mapping it runs with (the configuration Port would hold).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ocean.store.base import InstallsIntegrations, KnowsOrganization, Owner, Store

ORGANIZATION_ID = "ocean"
"""The organization id of an embedded catalog and of Ocean's catalog server."""


def embedded_organization(feature_flags: Sequence[str] = ()) -> dict[str, Any]:
    """The organization of a catalog that belongs to none: Ocean's, with the feature flags
    its settings name (``catalog.feature_flags``)."""
    return {"id": ORGANIZATION_ID, "name": "Ocean", "featureFlags": list(feature_flags)}


async def organization(store: Store, feature_flags: Sequence[str] = ()) -> dict[str, Any]:
    """``{id, name, featureFlags}``: the Port API's organization, else the embedded one
    (with ``feature_flags``)."""
    if isinstance(store, KnowsOrganization):
        return await store.organization()
    return embedded_organization(feature_flags)


class OrganizationReads:
    """:func:`organization`, read again once ``ttl`` seconds have passed (as the original's
    client keeps feature flags for five minutes: live events ask for them each);
    ``feature_flags``: the embedded catalog's."""

    def __init__(
        self,
        store: Store,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        feature_flags: Sequence[str] = (),
    ) -> None:
        self._store, self._ttl, self._clock = store, ttl, clock
        self._flags = tuple(feature_flags)
        self._read: tuple[float, dict[str, Any]] | None = None

    async def read(self) -> dict[str, Any]:
        now = self._clock()
        if self._read is None or now - self._read[0] >= self._ttl:
            self._read = (now, await organization(self._store, self._flags))
        return self._read[1]


def installation_record(owner: Owner, config: dict[str, Any]) -> dict[str, Any]:
    """What a run knows of its integration, in the fields of Port's integration record
    (``config``: its mapping as a document)."""
    return {
        "identifier": owner.identifier,
        "installationId": owner.identifier,
        "installationAppType": owner.integration_type,
        "version": owner.version,
        "config": config,
    }


async def current_integration(
    store: Store, owner: Owner, config: dict[str, Any]
) -> dict[str, Any] | None:
    """The integration's record as ``GET /v1/integration/{identifier}`` answers it (None:
    a Port API that does not know it). A Port API's is its own; an embedded catalog's is the
    record it keeps, under :func:`installation_record` of the running integration."""
    record = await store.get_integration(owner.identifier)
    if isinstance(store, InstallsIntegrations):
        return record
    defaults = {"installationType": "OnPrem", "_orgId": ORGANIZATION_ID}
    return defaults | (record or {}) | installation_record(owner, config)
