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
from urllib.parse import quote

from ocean.errors import CatalogUnavailableError, OceanError, StoreError
from ocean.resource_files import ExtraResources
from ocean.store.base import InstallsIntegrations
from ocean.store.port.blueprints import STAGES

_log = logging.getLogger(__name__)


@runtime_checkable
class SetsUpResources(InstallsIntegrations, Protocol):
    """A catalog that keeps integration records and the blueprints they set up (a Port API)."""

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]: ...

    async def list_blueprints(self) -> list[dict[str, Any]]: ...

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None: ...

    async def create_resource(self, path: str, body: dict[str, Any]) -> bool:
        """POST ``body`` to ``path`` (``/actions``, say); False: it exists (409)."""
        ...


async def set_up(
    store: SetsUpResources,
    identifier: str,
    record: dict[str, Any],
    blueprints: list[dict[str, Any]],
    mapping: dict[str, Any],
    *,
    enabled: bool,
    extras: ExtraResources | None = None,
) -> list[str]:
    """Set the integration ``identifier`` (its ``record``) up in ``store`` if it is not
    yet; the blueprints created. Once they all exist, the folder's ``extras`` are created
    (one that fails is logged, as the original does, and not tried again)."""
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
    await create_extras(store, extras or ExtraResources())
    await store.patch_integration(identifier, {"arePortResourcesInitialized": True})
    return created


async def _relate(store: SetsUpResources, blueprints: list[dict[str, Any]]) -> set[Any]:
    """Give each blueprint what of the folder's relations (with ownership and team
    inheritance), then computed properties, it lacks (a blueprint is made without them,
    then patched: a setup stopped in between left it without them); the identifiers of
    the blueprints the catalog holds."""
    stored = {bp.get("identifier"): bp for bp in await store.list_blueprints()}
    for keys in STAGES:  # every relation first: a computed property may follow another's
        for wanted in blueprints:
            have = stored.get(wanted.get("identifier"))
            if have is not None and _absent(keys, wanted, have):
                await _complete(store, str(wanted["identifier"]), keys, wanted)
    return set(stored)


async def _complete(
    store: SetsUpResources, identifier: str, keys: tuple[str, ...], wanted: dict[str, Any]
) -> None:
    """Patch into the blueprint what of ``wanted``'s ``keys`` it lacks. One the catalog
    refuses (a blueprint made in Port before, whose own property has the name of the
    folder's mirror, say) is left as it is, with a warning: the original never touches a
    blueprint that exists, and a refusal would fail every start."""
    from ocean.store.port.http import PortAPIError  # (httpx: imported with a Port API)

    try:
        await store.change_blueprint(identifier, functools.partial(_absent, keys, wanted))
    except PortAPIError as error:
        if isinstance(error, CatalogUnavailableError) or not 400 <= (error.status or 0) < 500:
            raise  # (unanswered, a 408 or 429 too: no refusal; the next start tries again)
        _log.warning("the blueprint %s in the catalog was not given the folder's %s (%s); "
                     "edit it there if the integration needs them",
                     identifier, "/".join(keys), error)  # fmt: skip


async def create_extras(store: SetsUpResources, extras: ExtraResources) -> None:
    """Create the folder's actions, scorecards and pages; a refusal is logged and the
    rest go on (the original's default setup: they are Port's to fix by hand); one left
    unanswered (no answer, 408, 429, 502-504) fails the setup once the rest are made, so that the
    next start, the record not marked set up, makes it (one made meanwhile is a 409)."""
    calls = [
        *(("action", str(one.get("identifier")), "/actions", one) for one in extras.actions),
        *(
            (
                "scorecard",
                f"{blueprint}/{card.get('identifier')}",
                f"/blueprints/{quote(blueprint, safe='')}/scorecards",
                card,
            )
            for blueprint, card in extras.scorecards
        ),  # fmt: skip
        *(("page", str(one.get("identifier")), "/pages", one) for one in extras.pages),
    ]
    unsent: list[str] = []
    for kind, name, path, body in calls:
        try:
            if not await store.create_resource(path, body):
                _log.info("the %s %s exists already: left as it is", kind, name)
        except OceanError as error:
            if isinstance(error, CatalogUnavailableError):  # unanswered (sent once), not refused
                unsent.append(f"{kind} {name} ({error})")
                continue
            _log.warning("could not create the %s %s (%s); the setup goes on without it: "
                         "create it in Port by hand", kind, name, error)  # fmt: skip
    if unsent:
        raise StoreError(
            f"the catalog did not answer the creation of the {'; '.join(unsent)}: the "
            "integration is not marked set up, and the next start creates what is missing"
        )


def _absent(
    keys: tuple[str, ...], wanted: dict[str, Any], stored: dict[str, Any]
) -> dict[str, Any]:
    """The patch that gives ``stored`` what of ``wanted``'s ``keys`` it lacks: a relation
    or computed property by name (those it has are kept, one added meanwhile by another
    writer too), ownership or team inheritance when unset; empty: none lacks."""
    patch: dict[str, Any] = {}
    for key in keys:
        value, have = wanted.get(key), stored.get(key)
        if not isinstance(value, dict) or not value:
            continue
        if key in ("ownership", "teamInheritance"):
            patch |= {} if have else {key: value}
            continue
        have = dict(have or {})
        if missing := {name: item for name, item in value.items() if name not in have}:
            patch[key] = have | missing
    return patch
