"""An integration's first setup in a Port API catalog, as the original's default setup.

Against a Port API (Port, or Ocean's catalog server reached as one), the integration's
record says whether its resources were set up (``arePortResourcesInitialized``). Until they
are, the start sets them up: the record's mapping, if empty, becomes the folder's; the
folder's blueprints missing there are created; once all of them exist, the record is
marked set up. From then on the blueprints are Port's to edit, and a start leaves them
alone (the embedded catalog keeps them in step with ``blueprints.json`` instead, see
:mod:`ocean.defaults`). ``OCEAN__INITIALIZE_PORT_RESOURCES=false`` skips the setup.

Two differences from the original, both for a setup that cannot finish at once: the
original creates no blueprint when any of them exists, and when creating one fails deletes
those it made and marks the record set up anyway, so the rest are never made. Here the
missing ones are created (one another replica makes meanwhile counts as made), nothing is
deleted, and the record is marked set up only once every blueprint exists: a start that
fails is completed by the next.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ocean.errors import StoreError
from ocean.store.base import InstallsIntegrations

_log = logging.getLogger(__name__)


@runtime_checkable
class SetsUpResources(InstallsIntegrations, Protocol):
    """A catalog that keeps integration records and the blueprints they set up (a Port API)."""

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]: ...

    async def list_blueprints(self) -> list[dict[str, Any]]: ...

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None: ...


async def set_up(
    store: SetsUpResources,
    identifier: str,
    record: dict[str, Any],
    blueprints: list[dict[str, Any]],
    mapping: dict[str, Any],
    *,
    enabled: bool,
) -> list[str]:
    """Set the integration ``identifier`` (its ``record``) up in ``store`` if it is not
    yet; the blueprints created."""
    if record.get("arePortResourcesInitialized"):
        return []
    if not enabled:
        _log.info("setting up the integration's resources is off "
                  "(OCEAN__INITIALIZE_PORT_RESOURCES=false): no blueprint created")  # fmt: skip
        return []
    if not record.get("config"):
        await store.patch_integration(identifier, {"config": mapping})
    created = await store.create_blueprints(blueprints)
    stored = await _relate(store, blueprints)
    if missing := [
        str(bp.get("identifier")) for bp in blueprints if bp.get("identifier") not in stored
    ]:
        raise StoreError(
            f"the integration's blueprints {missing} are not in the catalog after they were "
            "created; the next start tries again"
        )
    await store.patch_integration(identifier, {"arePortResourcesInitialized": True})
    return created


async def _relate(store: SetsUpResources, blueprints: list[dict[str, Any]]) -> set[Any]:
    """Give each blueprint the folder's relations it lacks (a blueprint is made without
    them, then patched: a setup stopped in between left it without them); the identifiers
    of the blueprints the catalog holds."""
    stored = {bp.get("identifier"): bp for bp in await store.list_blueprints()}
    for wanted in blueprints:
        if wanted.get("identifier") in stored and _absent_relations(
            wanted, stored[wanted["identifier"]]
        ):
            await store.change_blueprint(
                str(wanted["identifier"]), functools.partial(_absent_relations, wanted)
            )
    return set(stored)


def _absent_relations(wanted: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The patch that gives ``stored`` the relations of ``wanted`` it lacks (those it has
    are kept, a relation added meanwhile by another writer too); empty: none lacks."""
    have = dict(stored.get("relations") or {})
    absent = {
        name: relation
        for name, relation in dict(wanted.get("relations") or {}).items()
        if name not in have
    }
    return {"relations": have | absent} if absent else {}
