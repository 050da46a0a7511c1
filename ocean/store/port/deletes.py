"""Entity deletion through Port's bulk route (``POST /v1/blueprints/{bp}/bulk/entities/delete``).

Keys go in the order given, a request each time the blueprint changes or 100 identifiers
are reached, one request at a time: a resync hands its stale entities each before those it
relates to, and Port refuses (422), without ``delete_dependents``, a request taking an
entity that something still standing relates to. A 404 means an entity of the request is
gone already (a retried request whose first answer was lost, or a person deleted it
meanwhile): it counts as deleted, and the request's others are deleted one at a time
(Ocean's catalog server names those in ``notFound`` instead). A 422 means something
relates to an entity of the request (written since the resync planned, by a live event or
a person): the request's entities are then deleted one at a time and the refused ones are
kept, as the original logs them and goes on. What Port answers it did not delete
(``deletedEntities`` may be partial) is reported kept, with the entities relating to it.
"""

from __future__ import annotations

import logging

from ocean.store.base import DeleteResult
from ocean.store.port.dependents import find_dependents
from ocean.store.port.http import PortAPIError, PortHTTP
from ocean.store.port.requests import runs_of
from ocean.types import EntityKey

_log = logging.getLogger(__name__)


async def delete(
    http: PortHTTP,
    keys: list[EntityKey],
    *,
    params: dict[str, str],
    user_agent: str | None,
) -> DeleteResult:
    """Delete ``keys`` in their order (``params``: ``delete_dependents`` and the event's)."""
    size = (await http.limits()).delete_identifiers
    deleted: list[EntityKey] = []
    kept: list[EntityKey] = []
    for blueprint, batch in runs_of(keys, size):
        gone = set(await _delete(http, blueprint, batch, params, user_agent))
        deleted += [(blueprint, identifier) for identifier in batch if identifier in gone]
        kept += [(blueprint, identifier) for identifier in batch if identifier not in gone]
    return DeleteResult(deleted=deleted, blocked=await _users(http, kept, user_agent))


async def _delete(
    http: PortHTTP, blueprint: str, batch: list[str], params: dict[str, str], agent: str | None
) -> list[str]:
    """What one request deleted (a 404: each of ``batch`` alone, those gone counted)."""
    try:
        reply = await http.call(
            "POST",
            f"/blueprints/{blueprint}/bulk/entities/delete",
            json={"entities": batch},
            params=params,
            idempotent=True,
            user_agent=agent,
        )
    except PortAPIError as error:
        if error.status != 404 and not _dependents_refused(error):
            raise
        if len(batch) == 1:
            return _refused_alone(blueprint, batch[0], error)
        gone: list[str] = []
        for identifier in batch:  # which of them is gone or refused is not said: each alone
            gone += await _delete(http, blueprint, [identifier], params, agent)
        return gone
    gone = reply.body.get("deletedEntities", []) + reply.body.get("notFound", [])
    return [str(identifier) for identifier in gone]  # notFound: Ocean's server's word for 404


def _dependents_refused(error: PortAPIError) -> bool:
    """Whether Port refused a deletion because something relates to an entity (a 422
    that says so; another 422, a request Port cannot read, is raised as it is)."""
    return error.status == 422 and "dependen" in error.body.lower()


def _refused_alone(blueprint: str, identifier: str, error: PortAPIError) -> list[str]:
    """What a request deleting one entity deleted when Port refused it: the entity if it
    was gone already (404), nothing if something relates to it (422: it is kept)."""
    if error.status == 404:
        _log.info("entity %r of blueprint %r was deleted already", identifier, blueprint)
        return [identifier]
    _log.warning("Port kept entity %r of blueprint %r: %s", identifier, blueprint, error)
    return []


async def _users(
    http: PortHTTP, kept: list[EntityKey], agent: str | None
) -> dict[EntityKey, list[EntityKey]]:
    """Each kept key with the entities relating to it, as far as Port says (none when it
    cannot say now: the key is reported kept all the same)."""
    if not kept:
        return {}
    _log.warning(
        "Port kept %d of the entities it was asked to delete (others relate to them), e.g. %s",
        len(kept),
        kept[0],
    )
    try:
        found = await find_dependents(http, kept, after=None, user_agent=agent)
    except PortAPIError as error:
        _log.warning("could not ask Port what relates to the entities it kept: %s", error)
        return {key: [] for key in kept}
    return {key: sorted(found.of.get(key, set())) for key in kept}
