"""Entity upserts through Port's bulk route (``POST /v1/blueprints/{bp}/entities/bulk``).

Change detection (``only_changed``) reads what the writer owns of the entities, 50
identifiers a search, as the original does: an entity equal to the stored one is not sent
again, unless someone else wrote it (it is then written, and so owned). A failed search
does not stop the write: the whole batch is sent. Each entity's outcome comes from Port's
answer, matched by index: ``created`` as Port says, and a search identifier that matched
no entity (``identifier: "unknown"``) dropped as the original drops it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ocean.load.diff import is_unchanged
from ocean.store.base import Owner, WriteOutcome
from ocean.store.port.http import PortAPIError, PortHTTP, PortUnavailableError
from ocean.store.port.lookups import search
from ocean.store.port.requests import bulk_batches, by_blueprint, identifier_query, owned_query
from ocean.store.writes import identifier_text
from ocean.types import Entity, EntityKey

_log = logging.getLogger(__name__)

Stored = dict[EntityKey, Entity]
"""What the writer owns of the entities written, as Port holds them (empty: not read)."""


async def upsert(
    http: PortHTTP,
    entities: list[Entity],
    *,
    owner: Owner,
    params: dict[str, str],
    only_changed: bool,
) -> list[WriteOutcome]:
    """Each entity's outcome, in order (``params``: the bulk route's query)."""
    limits = await http.limits()
    server_diffs = only_changed and http.ocean  # Ocean's server compares itself
    stored = await _stored(http, entities, owner) if only_changed and not server_diffs else {}
    outcomes: list[WriteOutcome] = []
    writes: list[tuple[int, Entity]] = []
    for index, entity in enumerate(entities):
        current = stored.get((str(entity.get("blueprint")), str(entity.get("identifier"))))
        if current is not None and is_unchanged(entity, current):
            outcomes.append(
                WriteOutcome(index, entity["identifier"], entity["blueprint"], "unchanged")
            )
        else:
            writes.append((index, entity))
    params = params | ({"only_changed": "true"} if server_diffs else {})
    calls = [
        _bulk(http, blueprint, batch, params, owner, stored)
        for blueprint, group in by_blueprint(writes).items()
        for batch in bulk_batches(group, limits)
    ]
    for results in await asyncio.gather(*calls):  # the client's in-flight limit bounds them
        outcomes += results
    return sorted(outcomes, key=lambda outcome: outcome.index)


async def _stored(http: PortHTTP, entities: list[Entity], owner: Owner) -> Stored:
    """What ``owner`` owns of ``entities``; of a search that failed, nothing (its entities
    are all written)."""
    wanted: dict[str, list[str]] = {}
    for entity in entities:
        if isinstance(entity.get("identifier"), str):
            wanted.setdefault(str(entity["blueprint"]), []).append(entity["identifier"])
    size = (await http.limits()).search_identifiers
    queries = [
        (
            blueprint,
            owned_query(owner, identifier_query(blueprint, identifiers[start : start + size])),
        )
        for blueprint, identifiers in wanted.items()
        for start in range(0, len(identifiers), size)
    ]
    pages = await asyncio.gather(
        *(search(http, query, user_agent=owner.datasource) for _, query in queries),
        return_exceptions=True,
    )
    failed = [page for page in pages if isinstance(page, BaseException)]
    for page in failed:
        if not isinstance(page, PortAPIError):
            raise page
    if failed:  # only the entities of the searches that failed are written unread
        _log.warning(
            "could not read back %d of %d searches' entities to skip the unchanged ones, so "
            "theirs are written: %s", len(failed), len(queries), failed[0],
        )  # fmt: skip
    return {
        (blueprint, str(entity["identifier"])): entity  # type: ignore[misc]
        for (blueprint, _), page in zip(queries, pages, strict=True)
        if not isinstance(page, BaseException)
        for entity in page
    }


async def _bulk(
    http: PortHTTP,
    blueprint: str,
    batch: list[tuple[int, Entity]],
    params: dict[str, str],
    owner: Owner,
    stored: Stored,
) -> list[WriteOutcome]:
    try:
        reply = await http.call(
            "POST",
            f"/blueprints/{blueprint}/entities/bulk",
            json={"entities": [e for _, e in batch]},
            params=params,
            idempotent=True,
            user_agent=owner.datasource,
        )
    except PortAPIError as error:
        if error.status != 413:
            return [_failed(i, e, blueprint, error) for i, e in batch]
        return [await _single(http, blueprint, i, e, params, owner, stored) for i, e in batch]
    done = {item["index"]: item for item in reply.body.get("entities", [])}
    errors = {item["index"]: item for item in reply.body.get("errors", [])}
    return [
        _written(index, entity, blueprint, done[position], stored)
        if position in done
        else _refused(index, entity, blueprint, errors.get(position, {}))
        for position, (index, entity) in enumerate(batch)
    ]


def _written(
    index: int, entity: Entity, blueprint: str, item: dict[str, Any], stored: Stored
) -> WriteOutcome:
    """A bulk write's success: Ocean's server says the status, Port whether it created."""
    if item.get("status"):
        status = str(item["status"])
    elif isinstance(item.get("created"), bool):
        status = "created" if item["created"] else "updated"
    else:
        status = _guessed(blueprint, entity, stored)
    identifier = item.get("identifier", entity["identifier"])
    return WriteOutcome(index, identifier, blueprint, status, version=item.get("version"))


def _refused(index: int, entity: Entity, blueprint: str, problem: dict[str, Any]) -> WriteOutcome:
    named = identifier_text(entity["identifier"])
    if problem.get("identifier") == "unknown":
        return _dropped(index, named, blueprint, problem.get("message"))
    message = f"{problem.get('error', 'error')}: {problem.get('message', 'no result from Port')}"
    return WriteOutcome(index, named, blueprint, "failed", error=message)


def _dropped(index: int, named: str, blueprint: str, why: object) -> WriteOutcome:
    """A search identifier that matched no entity: nothing to write, not a failure (the
    original drops it); reported unchanged, as nothing was written."""
    _log.info("dropped an entity of %r whose search identifier %s matched none: %s",
              blueprint, named, why)  # fmt: skip
    return WriteOutcome(index, named, blueprint, "unchanged")


async def _single(
    http: PortHTTP,
    blueprint: str,
    index: int,
    entity: Entity,
    params: dict[str, str],
    owner: Owner,
    stored: Stored,
) -> WriteOutcome:
    try:
        reply = await http.call(
            "POST",
            f"/blueprints/{blueprint}/entities",
            json=entity,
            params=params,
            idempotent=True,
            user_agent=owner.datasource,
        )
    except PortAPIError as error:
        if error.status == 404 and not isinstance(entity["identifier"], str):
            return _dropped(index, identifier_text(entity["identifier"]), blueprint, error)
        return _failed(index, entity, blueprint, error)
    written = reply.body.get("entity") if isinstance(reply.body, dict) else None
    identifier = (written or {}).get("identifier", entity["identifier"])
    return WriteOutcome(index, identifier, blueprint, _guessed(blueprint, entity, stored))


def _guessed(blueprint: str, entity: Entity, stored: Stored) -> str:
    """``created`` unless the writer's copy was read before (Port did not say)."""
    return "updated" if (blueprint, str(entity["identifier"])) in stored else "created"


def _failed(index: int, entity: Entity, blueprint: str, error: PortAPIError) -> WriteOutcome:
    down = isinstance(error, PortUnavailableError)  # a live event waits and writes it again
    named = identifier_text(entity["identifier"])
    message = f"not_found: {error}" if error.status == 404 else str(error)  # (as bulk errors)
    return WriteOutcome(index, named, blueprint, "failed", message, unavailable=down)
