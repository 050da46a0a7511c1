"""An integration's first setup in a Port API catalog, as the original's default setup.

Against a Port API (Port, or Ocean's catalog server reached as one), the integration's
record says whether its resources were set up (``arePortResourcesInitialized``). Until they
are, the start sets them up once: the record's mapping, if empty, becomes the folder's;
the folder's blueprints are created, unless any of them exists already (then none is,
as the original: someone set them up otherwise); then the record is marked set up. From
then on the blueprints are Port's to edit, and a start leaves them alone (the embedded
catalog keeps them in step with ``blueprints.json`` instead, see :mod:`ocean.defaults`).
``OCEAN__INITIALIZE_PORT_RESOURCES=false`` skips the setup.

One difference: when creating the blueprints fails, those created are deleted again and
the record stays not set up, so the next start tries again (the original marks it set up,
and never creates them).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

from ocean.errors import OceanError
from ocean.store.base import InstallsIntegrations

_log = logging.getLogger(__name__)


@runtime_checkable
class SetsUpResources(InstallsIntegrations, Protocol):
    """A catalog that keeps integration records and the blueprints they set up (a Port API)."""

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]: ...

    async def list_blueprints(self) -> list[dict[str, Any]]: ...

    async def delete_blueprint(self, identifier: str) -> None: ...


async def set_up(
    store: SetsUpResources,
    record: dict[str, Any],
    blueprints: list[dict[str, Any]],
    mapping: dict[str, Any],
    *,
    enabled: bool,
) -> list[str]:
    """Set the integration of ``record`` up in ``store`` if it is not yet; the blueprints
    created."""
    identifier = str(record.get("identifier") or record.get("installationId"))
    if record.get("arePortResourcesInitialized"):
        return []
    if not enabled:
        _log.info("setting up the integration's resources is off "
                  "(OCEAN__INITIALIZE_PORT_RESOURCES=false): no blueprint created")  # fmt: skip
        return []
    if not record.get("config"):
        await store.patch_integration(identifier, {"config": mapping})
    created = await _created(store, blueprints)
    await store.patch_integration(identifier, {"arePortResourcesInitialized": True})
    return created


async def _created(store: SetsUpResources, blueprints: list[dict[str, Any]]) -> list[str]:
    """The folder's blueprints created, or none when one exists already; a failure
    deletes those created before it is raised."""
    wanted = [str(bp.get("identifier")) for bp in blueprints]
    before = {bp.get("identifier") for bp in await store.list_blueprints()}
    if existing := [name for name in wanted if name in before]:
        _log.info("blueprints %s exist already: the integration's blueprints are not "
                  "created (as the original sets up)", existing)  # fmt: skip
        return []
    try:
        return await store.create_blueprints(blueprints)
    except OceanError:
        after = {bp.get("identifier") for bp in await store.list_blueprints()}
        for name in reversed([name for name in wanted if name in after]):
            await store.delete_blueprint(name)
        raise
