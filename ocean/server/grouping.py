"""Group commit for the server's entity writes.

Port's clients send at most 20 entities per request, several requests at a time. Writing
each request in its own transaction makes the commit rate the limit; instead, requests
that arrive while a write is in progress wait for it and then go to the store together,
in one call (one transaction). Requests with other write options, or touching an entity
another request of the group also touches, start a new group, so every request keeps the
meaning it would have alone. A group whose write fails (one request's entity the store
cannot take, say) is written again a request at a time, so that only the request at fault
fails, as it would have alone. Unless the catalog itself is unavailable
(:class:`~ocean.errors.CatalogUnavailableError`: its database cannot be reached): no
request is at fault then, and writing each again would only multiply the load on a
catalog that is down, so every request of the group, and of the groups after it that
arrived with it, fails at once with that error (the server answers 503); so do the
requests left when it goes down while a failed group's are written one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocean.errors import CatalogUnavailableError
from ocean.store.base import CreatesOnly, HoldsRules, Store, UpdatesOnly, WriteOutcome
from ocean.store.entity_rules import EntityRules
from ocean.store.group_commit import GroupCommit
from ocean.store.writes import WriteOutcomes, identifier_text, made_by
from ocean.types import Entity, EntityKey


@dataclass
class _Request:
    entities: list[Entity]
    options: dict[str, Any]
    keys: set[tuple[Any, Any]] = field(init=False)

    def __post_init__(self) -> None:
        # (an identifier sent as an object or a list, which its write refuses, by its text)
        self.keys = {
            (identifier_text(e.get("blueprint")), identifier_text(e.get("identifier")))
            for e in self.entities
        }


_Result = list[WriteOutcome] | Exception
"""A request's outcomes, or why its write failed."""


class GroupedWrites:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._commits: GroupCommit[_Request, _Result] = GroupCommit(self._write)

    def _rules(self) -> Mapping[str, EntityRules]:
        """The rules the store wrote by (to tell which request named a placeholder)."""
        return self._store.rules_held() if isinstance(self._store, HoldsRules) else {}

    async def upsert(self, entities: list[Entity], **options: Any) -> list[WriteOutcome]:
        """As :meth:`Store.upsert_entities` (``create_only=True``: as
        :meth:`CreatesOnly.create_entities`), sharing a transaction with concurrent calls."""
        result = await self._commits.submit(_Request(entities, options))
        if isinstance(result, Exception):
            raise result
        return result

    async def _write(self, requests: list[_Request]) -> list[_Result]:
        results: list[_Result] = []
        for group in _groups(requests):
            try:
                results += await self._together(group)
            except CatalogUnavailableError as error:  # no request at fault: none is retried
                return results + [error] * (len(requests) - len(results))
            except Exception as error:  # (rolled back: nothing of the group was written)
                results += [error] if len(group) == 1 else await self._each_alone(group)
            if results and isinstance(down := results[-1], CatalogUnavailableError):
                return results + [down] * (len(requests) - len(results))  # down meanwhile
        return results

    async def _each_alone(self, group: list[_Request]) -> list[_Result]:
        """The group's requests written one at a time, until the catalog is found down."""
        results: list[_Result] = []
        for request in group:
            results += await self._alone(request)
            if isinstance(results[-1], CatalogUnavailableError):
                break
        return results

    async def _alone(self, request: _Request) -> list[_Result]:
        try:
            return await self._together([request])
        except Exception as error:
            return [error]

    async def _together(self, group: list[_Request]) -> list[_Result]:
        """The group's requests written in one call, each with its own outcomes."""
        entities = [entity for request in group for entity in request.entities]
        outcomes = await written(self._store, entities, **group[0].options)
        results: list[_Result] = []
        offset, made = 0, made_by(outcomes)
        for request in group:
            mine = WriteOutcomes(outcomes[offset : offset + len(request.entities)])
            for outcome in mine:
                outcome.index -= offset
            offset += len(request.entities)
            # (the last takes those no request names: a merged body's stored targets)
            last = request is group[-1]
            mine.made, made = (made, []) if last else _named_by(request, made, self._rules())
            results.append(mine)
        return results


def _named_by(
    request: _Request, made: list[EntityKey], rules: Mapping[str, EntityRules]
) -> tuple[list[EntityKey], list[EntityKey]]:
    """The placeholders a request's entities name as relation targets, and the others (a
    group's write made them all: each is the first request's that names it). Without its
    blueprint's rules, an entity names the identifiers of its relations, of any blueprint."""
    named: set[tuple[str | None, str]] = set()
    for entity in request.entities:
        entity_rules = rules.get(str(entity.get("blueprint")))
        if entity_rules is not None:
            named |= {(target, ident) for _, target, ident in entity_rules.edges(dict(entity))}
        elif isinstance(relations := entity.get("relations"), dict):
            named |= {
                (None, target)
                for value in relations.values()
                for target in (value if isinstance(value, list) else [value])
                if isinstance(target, str)
            }
    mine = [key for key in made if key in named or (None, key[1]) in named]
    return mine, [key for key in made if key not in mine]


async def written(store: Store, entities: list[Entity], **options: Any) -> list[WriteOutcome]:
    """:meth:`Store.upsert_entities`; with ``create_only=True`` (a catalog that
    :class:`CreatesOnly`), :meth:`CreatesOnly.create_entities`; with ``update_only=True``
    (a catalog that :class:`UpdatesOnly`), :meth:`UpdatesOnly.update_entities`."""
    if options.pop("update_only", False) and isinstance(store, UpdatesOnly):
        return await store.update_entities(entities, **options)
    if not options.pop("create_only", False):
        return await store.upsert_entities(entities, **options)
    if not isinstance(store, CreatesOnly):
        raise TypeError(f"{type(store).__name__} cannot create only: check existence first")
    return await store.create_entities(entities, **options)


def _groups(requests: list[_Request]) -> list[list[_Request]]:
    """Consecutive requests with the same options and no entity in common, together."""
    groups: list[list[_Request]] = []
    keys: set[tuple[Any, Any]] = set()
    for request in requests:
        fits = groups and groups[-1][0].options == request.options and not (keys & request.keys)
        if not fits:
            groups.append([])
            keys = set()
        groups[-1].append(request)
        keys |= request.keys
    return groups
